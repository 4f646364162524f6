"""UK time for people, UTC for storage (issue #19, 10)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from leads.rules import uktime
from leads.rules.vocabulary import staff_label


def test_times_are_shown_in_uk_time_with_the_zone_stated():
    assert uktime.show(datetime(2026, 12, 2, 14, 5, tzinfo=UTC)) == "02 Dec 2026 14:05 GMT"
    assert uktime.show(datetime(2026, 7, 1, 9, 0, tzinfo=UTC)) == "01 Jul 2026 10:00 BST"
    assert uktime.show(datetime(2026, 7, 1, 23, 30, tzinfo=UTC), with_time=False) == "02 Jul 2026"
    assert uktime.show(None) == "—"
    assert uktime.show(datetime(2026, 7, 1, 9, 0, 7, tzinfo=UTC), seconds=True) == "01 Jul 2026 10:00:07 BST"


def test_typed_times_are_uk_wall_clock_times_stored_as_utc():
    assert uktime.from_local(datetime.fromisoformat("2026-07-01T10:00")) == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert uktime.from_local(datetime.fromisoformat("2026-12-01T10:00")) == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert uktime.today(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == date(2026, 7, 1)


# 2026's changes: forward at 01:00 GMT on Sunday 29 March, back at 02:00 BST (01:00 UTC) on Sunday 25 October.
@pytest.mark.parametrize(
    ("utc", "shown"),
    [
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "29 Mar 2026 00:59 GMT"),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "29 Mar 2026 02:00 BST"),
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "25 Oct 2026 01:30 BST"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "25 Oct 2026 01:30 GMT"),
        (datetime(2026, 10, 25, 2, 0, tzinfo=UTC), "25 Oct 2026 02:00 GMT"),
    ],
)
def test_shown_across_the_clock_changes(utc, shown):
    assert uktime.show(utc) == shown


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("2026-03-29T00:30", datetime(2026, 3, 29, 0, 30, tzinfo=UTC)),  # still GMT
        ("2026-03-29T02:30", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),  # BST from 02:00
        ("2026-10-25T00:30", datetime(2026, 10, 24, 23, 30, tzinfo=UTC)),  # still BST
        ("2026-10-25T01:30", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),  # happens twice: the first (BST)
        ("2026-10-25T02:30", datetime(2026, 10, 25, 2, 30, tzinfo=UTC)),  # GMT again
    ],
)
def test_typed_across_the_clock_changes(typed, stored):
    entered = datetime.fromisoformat(typed)
    assert uktime.exists(entered)
    assert uktime.from_local(entered) == stored
    assert uktime.for_input(stored) == entered  # the form shows back what was typed


def test_the_skipped_hour_in_march_never_showed_on_a_uk_clock():
    typed = datetime.fromisoformat
    assert not uktime.exists(typed("2026-03-29T01:30"))
    assert uktime.exists(typed("2026-03-29T00:59")) and uktime.exists(typed("2026-03-29T02:00"))


def test_a_form_default_is_the_uk_wall_clock_to_the_minute():
    shown = uktime.for_input(datetime(2026, 7, 1, 9, 0, 42, 7, tzinfo=UTC))
    assert shown == datetime.fromisoformat("2026-07-01T10:00")
    assert uktime.for_input(datetime(2026, 12, 1, 9, 0, tzinfo=UTC)) == datetime.fromisoformat("2026-12-01T09:00")


def test_staff_are_named_not_addressed():
    assert staff_label("sam.sales@radnac.example") == "Sam Sales"
    assert staff_label("system:demo") == "System (demo)"
    assert staff_label(None) == "Nobody"
