"""The retention schedule and its clock arithmetic. Pure: no app, no database, an explicit `now` everywhere."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from leads.rules import schedule
from leads.rules.schedule import (
    SCHEDULE,
    Period,
    add_period,
    countdown,
    deadline,
    grant_lapse_at,
    humanize,
    is_due,
    line_numbers,
    validate_schedule,
)

NOTICE = Path(__file__).resolve().parents[2] / "policy" / "privacy-notice.txt"
T0 = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
TICK = timedelta(microseconds=1)
PLUS_ONE = timezone(timedelta(hours=1))
MINUS_FIVE = timezone(timedelta(hours=-5))


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_schedule_has_exactly_the_notices_rows():
    actions = {kind: rule.action for kind, rule in SCHEDULE.items()}
    assert actions == {
        "lead": "destroy_record",
        "install_notification": "destroy_record",
        "support_grant": "lapse",
        "correspondence": "keep",
        "ip_address": "destroy_field",
        "rights_request": "reduce_to_outline",  # RULES.md's decision: the notice names no period
    }
    assert validate_schedule(SCHEDULE) is None


@pytest.mark.parametrize(
    ("kind", "lines", "words"),
    [
        ("lead", "58-69", ["Azure Marketplace Leads", "three (3) years", "automatically destroyed"]),
        ("install_notification", "70-85", ["Install Notifications", "ninety (90) days", "uninstall"]),
        ("support_grant", "86-92", ["Co-Admin Access Permission", "ten (10) days", "lapsed", "closed"]),
        ("correspondence", "93-97, 105", ["Emails", "retained indefinitely", "contact form"]),
        ("ip_address", "100-104", ["IP addresses", "ten (10) days", "automatically destroyed"]),
        ("rights_request", "25-32", ["right of access", "right to erasure", "within one month"]),
    ],
)
def test_every_rule_cites_notice_lines_that_say_so(kind, lines, words):
    rule = SCHEDULE[kind]
    notice = NOTICE.read_text(encoding="utf-8").splitlines()  # index + 1 is `nl -ba` numbering
    cited = line_numbers(rule.notice_lines)
    assert rule.notice_lines == lines
    assert max(cited) <= len(notice)
    text = "\n".join(notice[n - 1] for n in cited)
    for word in words:
        assert word in text, f"{rule.citation} should mention {word!r}"
    assert rule.citation == f"Privacy notice lines {lines}"


def test_line_numbers_expand_ranges_and_single_lines():
    assert line_numbers("93-97, 105") == (93, 94, 95, 96, 97, 105)
    assert line_numbers("58") == (58,)


@pytest.mark.parametrize(
    ("kind", "start", "expected"),
    [
        ("lead", T0, at(2029, 11, 25, 9, 30)),
        ("install_notification", at(2026, 3, 1, 10), at(2026, 5, 30, 10)),
        ("support_grant", T0, at(2026, 12, 5, 9, 30)),
        ("ip_address", T0, at(2026, 12, 5, 9, 30)),
        ("correspondence", T0, None),
    ],
)
def test_each_rows_deadline_and_the_instant_it_falls_due(kind, start, expected):
    due_at = deadline(kind, start)
    assert due_at == expected
    if due_at is None:
        assert not is_due(due_at, at(9999, 1, 1))
        return
    assert not is_due(due_at, due_at - TICK)
    assert is_due(due_at, due_at)
    assert is_due(due_at, due_at + TICK)
    assert countdown(kind, start, now=due_at - TICK).state == "counting"
    assert countdown(kind, start, now=due_at).state == "due"


@pytest.mark.parametrize(
    ("start", "period", "expected"),
    [
        (at(2024, 2, 29), Period(years=3), at(2027, 2, 28)),  # no 29 Feb: clamp earlier, never 1 March
        (at(2024, 2, 29), Period(years=4), at(2028, 2, 29)),
        (at(2025, 1, 31), Period(months=1), at(2025, 2, 28)),
        (at(2024, 1, 31), Period(months=1), at(2024, 2, 29)),
        (at(2024, 3, 31), Period(months=1), at(2024, 4, 30)),
        (at(2023, 12, 15), Period(months=1), at(2024, 1, 15)),
        (at(2024, 2, 29), Period(years=1, months=1), at(2025, 3, 29)),  # months combined before clamping
        (at(2024, 2, 29), Period(years=1, days=1), at(2025, 3, 1)),  # calendar part first, then days
        (at(2024, 1, 1), Period(days=90), at(2024, 3, 31)),  # leap year: February has 29 days
        (at(2023, 1, 1), Period(days=90), at(2023, 4, 1)),
        (at(2024, 2, 29, 23, 59, 59), Period(days=10), at(2024, 3, 10, 23, 59, 59)),
    ],
)
def test_add_period_is_calendar_correct(start, period, expected):
    assert add_period(start, period) == expected


@pytest.mark.parametrize(
    ("start", "period", "expected"),
    [
        (datetime(2024, 2, 29, 0, 30, tzinfo=PLUS_ONE), Period(years=3), at(2027, 2, 28, 23, 30)),
        (datetime(2026, 1, 31, 22, tzinfo=MINUS_FIVE), Period(months=1), at(2026, 3, 1, 3)),
    ],
)
def test_other_zones_are_converted_to_utc_first(start, period, expected):
    result = add_period(start, period)
    assert result == expected
    assert result.tzinfo is UTC


def naive_calls():
    naive = datetime(2026, 11, 25, 9, 30)  # noqa: DTZ001 - the point of the test
    return [
        lambda: add_period(naive, Period(days=1)),
        lambda: deadline("lead", naive),
        lambda: is_due(naive, T0),
        lambda: is_due(T0, naive),
        lambda: is_due(None, naive),
        lambda: grant_lapse_at(last_communication_at=naive, closed_at=None),
        lambda: grant_lapse_at(last_communication_at=T0, closed_at=naive),
        lambda: humanize(naive, T0),
        lambda: humanize(T0, naive),
        lambda: countdown("lead", T0, now=naive),
        lambda: countdown("lead", naive, now=T0),
        lambda: countdown("support_grant", None, now=T0, deadline_at=naive),
    ]


@pytest.mark.parametrize("call", naive_calls())
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def test_unknown_kind_is_a_key_error():
    with pytest.raises(KeyError):
        deadline("cookie", T0)
    with pytest.raises(KeyError):
        countdown("cookie", T0, now=T0)


@pytest.mark.parametrize(
    ("now", "then", "text"),
    [
        (at(2026, 11, 25), at(2029, 2, 25), "2 years 3 months"),
        (at(2026, 11, 25), at(2027, 11, 25), "1 year"),
        (at(2026, 11, 25), at(2028, 11, 30), "2 years 5 days"),  # the two largest non-zero units
        (at(2026, 11, 25), at(2026, 12, 1, 4), "6 days 4 hours"),
        (at(2026, 11, 25), at(2026, 11, 26, 1), "1 day 1 hour"),
        (at(2026, 11, 25), at(2026, 11, 25, 3, 12, 40), "3 hours 12 minutes"),
        (at(2026, 11, 25), at(2026, 11, 25, 0, 0, 45), "45 seconds"),
        (at(2026, 11, 25), at(2026, 11, 26, 23, 59, 59), "1 day 23 hours"),  # truncated, not rounded up
        (at(2025, 1, 31), at(2025, 2, 28), "1 month"),  # agrees with add_period's clamp
        (at(2025, 1, 31), at(2025, 2, 27, 23), "27 days 23 hours"),
        (at(2029, 2, 25), at(2026, 11, 25), "2 years 3 months"),  # symmetric: the caller says "ago"
        (T0, T0, "less than a second"),
        (T0, T0 + timedelta(milliseconds=500), "less than a second"),
        (datetime(2026, 11, 25, 10, 30, tzinfo=PLUS_ONE), at(2026, 11, 25, 9, 31), "1 minute"),
    ],
)
def test_humanize_wording(now, then, text):
    assert humanize(now, then) == text


@pytest.mark.parametrize(
    ("last", "closed", "expected"),
    [
        (T0, None, at(2026, 12, 5, 9, 30)),  # silence: exactly ten days
        (T0, at(2026, 11, 27, 12), at(2026, 11, 27, 12)),  # closed first
        (T0, at(2026, 12, 9), at(2026, 12, 5, 9, 30)),  # silence first
        (T0, datetime(2026, 11, 27, 12, tzinfo=MINUS_FIVE), at(2026, 11, 27, 17)),
    ],
)
def test_grant_lapses_at_the_earlier_of_close_and_silence(last, closed, expected):
    lapse = grant_lapse_at(last_communication_at=last, closed_at=closed)
    assert lapse == expected
    assert lapse.tzinfo is UTC


def test_a_grant_countdown_uses_the_given_lapse_time():
    lapse = grant_lapse_at(last_communication_at=T0, closed_at=at(2026, 11, 27, 12))
    shown = countdown("support_grant", T0, now=T0, deadline_at=lapse)
    assert (shown.deadline, shown.state, shown.text) == (lapse, "counting", "2 days 2 hours")
    assert countdown("support_grant", T0, now=lapse, deadline_at=lapse).state == "due"


@pytest.mark.parametrize(
    ("kind", "start", "now", "on_hold", "state", "text", "seconds_left"),
    [
        ("lead", at(2026, 2, 25), at(2026, 11, 25), False, "counting", "2 years 3 months", 71_107_200),
        ("lead", T0, T0, False, "counting", "3 years", 94_694_400),
        ("ip_address", T0, at(2026, 12, 5, 9, 29, 15), False, "counting", "45 seconds", 45),
        ("ip_address", T0, at(2026, 12, 5, 9, 30), False, "due", "due for destruction now", 0),
        ("ip_address", T0, at(2026, 12, 6, 9, 30), False, "due", "due for destruction now", -86_400),
        ("install_notification", None, T0, False, "not_started", "kept while installed", None),
        ("lead", None, T0, False, "not_started", "clock not started", None),
        ("correspondence", T0, T0, False, "indefinite", "kept indefinitely", None),
        ("correspondence", None, T0, False, "indefinite", "kept indefinitely", None),
        ("lead", T0, T0, True, "on_hold", "on hold (legal hold)", 94_694_400),
        ("lead", T0, at(2030, 1, 1), True, "on_hold", "on hold (legal hold)", -3_162_600),
    ],
)
def test_countdown_states_and_wording(kind, start, now, on_hold, state, text, seconds_left):
    shown = countdown(kind, start, now=now, on_hold=on_hold)
    assert (shown.state, shown.text, shown.seconds_left) == (state, text, seconds_left)
    assert shown.deadline == deadline(kind, start)
    assert shown.rule is SCHEDULE[kind]
    assert shown.citation == SCHEDULE[kind].citation


def test_a_countdown_rounds_seconds_up_so_counting_never_shows_zero():
    shown = countdown("ip_address", T0, now=at(2026, 12, 5, 9, 30) - timedelta(milliseconds=1))
    assert (shown.state, shown.seconds_left, shown.text) == ("counting", 1, "less than a second")


def test_an_indefinite_kind_cannot_be_given_a_deadline():
    with pytest.raises(ValueError, match="indefinitely"):
        countdown("correspondence", None, now=T0, deadline_at=T0)


LEAD = SCHEDULE["lead"]


@pytest.mark.parametrize(
    ("key", "rule", "message"),
    [
        ("lead", dataclasses.replace(LEAD, action="shred"), "unknown action"),
        ("lead", dataclasses.replace(LEAD, action="keep"), "cannot have a period"),
        ("lead", dataclasses.replace(LEAD, period=None), "needs a period"),
        ("lead", dataclasses.replace(LEAD, action="lapse", period=None), "needs a period"),
        ("lead", dataclasses.replace(LEAD, period=Period()), "positive"),
        ("lead", dataclasses.replace(LEAD, period=Period(years=3, days=-1)), "positive"),
        ("lead", dataclasses.replace(LEAD, notice_lines=""), "notice lines"),
        ("lead", dataclasses.replace(LEAD, notice_lines="fifty-eight"), "notice lines"),
        ("lead", dataclasses.replace(LEAD, notice_lines="69-58"), "notice lines"),
        ("lead", dataclasses.replace(LEAD, notice_lines="0-3"), "notice lines"),
        ("lead", dataclasses.replace(LEAD, label=""), "wording"),
        ("lead", dataclasses.replace(LEAD, rule_text=""), "wording"),
        ("ip_address", LEAD, "kind"),
    ],
)
def test_validate_schedule_rejects_broken_tables(key, rule, message):
    with pytest.raises(ValueError, match=message):
        validate_schedule({**SCHEDULE, key: rule})


@pytest.mark.parametrize(
    "due_by",
    [
        datetime(2027, 2, 28, 12, tzinfo=UTC),
        datetime(2027, 3, 1, 0, tzinfo=UTC),
        datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
        datetime(2028, 2, 29, 23, 59, tzinfo=UTC),
        datetime(2027, 1, 31, 6, tzinfo=UTC),
    ],
)
@pytest.mark.parametrize("kind", ["lead", "install_notification", "ip_address", "support_grant"])
def test_latest_start_is_the_exact_edge_of_is_due(kind, due_by):
    edge = schedule.latest_start(kind, due_by)
    assert schedule.deadline(kind, edge) <= due_by
    assert schedule.deadline(kind, edge + timedelta(microseconds=1)) > due_by


def test_latest_start_steps_over_the_leap_day():
    edge = schedule.latest_start("lead", datetime(2027, 2, 28, 12, tzinfo=UTC))
    assert edge == datetime(2024, 2, 29, 12, tzinfo=UTC)
    # And the other way: every moment of 28 Feb 2025 is due by 29 Feb 2028 (28 Feb + 3 years).
    assert schedule.latest_start("lead", datetime(2028, 2, 29, 0, 0, tzinfo=UTC)) == datetime(
        2025, 2, 28, 23, 59, 59, 999999, tzinfo=UTC
    )
