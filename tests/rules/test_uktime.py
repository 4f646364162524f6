"""UK time for people, UTC for storage (issue #19, 10)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from leads.rules import uktime
from leads.rules.vocabulary import staff_label


def test_times_are_shown_in_uk_time_with_the_zone_stated():
    assert uktime.show(datetime(2026, 12, 2, 14, 5, tzinfo=UTC)) == "02 Dec 2026 14:05 GMT"
    assert uktime.show(datetime(2026, 7, 1, 9, 0, tzinfo=UTC)) == "01 Jul 2026 10:00 BST"
    assert uktime.show(datetime(2026, 7, 1, 23, 30, tzinfo=UTC), with_time=False) == "02 Jul 2026"
    assert uktime.show(None) == "—"


def test_typed_times_are_uk_wall_clock_times_stored_as_utc():
    assert uktime.from_local(datetime.fromisoformat("2026-07-01T10:00")) == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert uktime.from_local(datetime.fromisoformat("2026-12-01T10:00")) == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert uktime.start_of_day(date(2026, 7, 1)) == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert uktime.today(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == date(2026, 7, 1)


def test_staff_are_named_not_addressed():
    assert staff_label("sam.sales@radnac.example") == "Sam Sales"
    assert staff_label("system:demo") == "System (demo)"
    assert staff_label(None) == "Nobody"
