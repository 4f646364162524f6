"""Rights, deadlines and request statuses. Pure: no app, no database, every date explicit."""

from __future__ import annotations

import ast
import sys
from datetime import date
from pathlib import Path

import pytest

from leads.rules import rights
from leads.rules.rights import (
    ALLOWED_TRANSITIONS,
    KINDS,
    PURPOSES,
    RIGHTS,
    STATUSES,
    TERMINAL,
    Pause,
    add_months,
    advise,
    due_date,
    extension_allowed,
    next_working_day,
    rights_matrix,
    urgency,
    validate_transition,
)

NOTICE = Path(__file__).resolve().parents[2] / "policy" / "privacy-notice.txt"
NOTICE_LINES = NOTICE.read_text(encoding="utf-8").splitlines()
# The word by which the notice names each right, checked independently of the module's labels.
NAMED_AS = {
    "access": "access",
    "rectification": "rectification",
    "erasure": "erasure",
    "restriction": "restriction",
    "objection": "object",
    "portability": "portability",
    "withdraw_consent": "withdraw",
}
CONSENT_PURPOSES = ("accounts", "marketing", "queries")


def notice_line(number: int) -> str:
    """Line `number` of the notice, as `nl -ba` numbers it."""
    assert 1 <= number <= len(NOTICE_LINES)
    return NOTICE_LINES[number - 1]


def cited(advice) -> list[int]:
    return [int(part) for part in advice.notice_line.split(", ")]


# --- Rights matrix ---


def test_seven_rights_cite_their_own_notice_lines():
    assert list(RIGHTS) == list(NAMED_AS)
    assert [right.line for right in RIGHTS.values()] == list(range(25, 32))
    for code, right in RIGHTS.items():
        assert NAMED_AS[code] in notice_line(right.line).lower()


@pytest.mark.parametrize("purpose", list(PURPOSES))
def test_every_right_is_listed_for_every_purpose(purpose):
    matrix = rights_matrix([purpose])
    assert [advice.right for advice in matrix] == list(RIGHTS)
    assert {advice.purpose for advice in matrix} == {purpose}


@pytest.mark.parametrize(
    ("purpose", "basis", "basis_line", "excluded"),
    [
        ("service", "legitimate_interests", 36, {"portability", "withdraw_consent"}),
        ("accounts", "consent", 40, {"objection"}),
        ("marketing", "consent", 42, {"objection"}),
        ("queries", "consent", 44, {"objection"}),
    ],
)
def test_which_rights_apply_follows_the_lawful_basis(purpose, basis, basis_line, excluded):
    assert PURPOSES[purpose].basis == basis
    for advice in rights_matrix([purpose]):
        assert advice.applies is (advice.right not in excluded)
        assert cited(advice) == [RIGHTS[advice.right].line, basis_line]
        assert (advice.instead is None) is advice.applies
        assert f"line {basis_line}" in advice.explanation


def test_all_cited_lines_exist_and_name_the_right():
    for advice in rights_matrix(PURPOSES):
        right_line, basis_line = cited(advice)
        assert NAMED_AS[advice.right] in notice_line(right_line).lower()
        assert "all of your data protection rights may apply" in notice_line(basis_line).lower()


def test_a_right_left_out_is_named_on_the_basis_line_that_leaves_it_out():
    for advice in rights_matrix(PURPOSES):
        if not advice.applies and advice.right != "withdraw_consent":
            assert f"except the right to {NAMED_AS[advice.right]}" in notice_line(cited(advice)[1]).lower()
    assert "when we use consent" in notice_line(RIGHTS["withdraw_consent"].line).lower()


def test_portability_is_not_owed_for_service_data_but_access_covers_it():
    [advice] = advise("portability", ["service"])
    assert not advice.applies
    assert advice.instead == "access"
    assert "access export" in advice.explanation
    assert "line 36" in advice.explanation


@pytest.mark.parametrize("purpose", CONSENT_PURPOSES)
def test_objection_to_consent_processing_is_handled_as_withdrawal(purpose):
    [advice] = advise("objection", [purpose])
    assert not advice.applies
    assert advice.instead == "withdraw_consent"
    assert "withdrawal of consent" in advice.explanation
    [withdrawal] = advise("withdraw_consent", [purpose])
    assert withdrawal.applies


def test_no_consent_to_withdraw_for_service_data_so_object_instead():
    [advice] = advise("withdraw_consent", ["service"])
    assert not advice.applies
    assert advice.instead == "objection"
    assert "object" in advice.explanation
    assert "line 36" in advice.explanation
    [objection] = advise("objection", ["service"])
    assert objection.applies


def test_advise_gives_one_row_per_purpose_once():
    rows = advise("erasure", ["marketing", "service", "marketing"])
    assert [(row.purpose, row.applies) for row in rows] == [("marketing", True), ("service", True)]
    assert advise("erasure", []) == []


@pytest.mark.parametrize(
    ("right", "purposes"),
    [("forgetting", ["service"]), ("access", ["service", "nurture"]), ("nope", [])],
)
def test_unknown_codes_are_key_errors(right, purposes):
    with pytest.raises(KeyError):
        advise(right, purposes)


def test_unknown_purpose_in_matrix_is_a_key_error():
    with pytest.raises(KeyError):
        rights_matrix(["service", "profiling"])


# --- Calendar ---


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 11, 30), 1, date(2024, 12, 30)),  # not the month end: 30 Nov -> 30 Dec
        (date(2024, 12, 31), 1, date(2025, 1, 31)),  # across the year
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),
        (date(2023, 11, 30), 3, date(2024, 2, 29)),
        (date(2025, 5, 15), 0, date(2025, 5, 15)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
    ],
)
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 2, 27), date(2025, 2, 27)),  # a Thursday
        (date(2025, 3, 1), date(2025, 3, 3)),  # Saturday -> Monday
        (date(2024, 12, 25), date(2024, 12, 27)),  # Christmas and Boxing Day
        (date(2026, 12, 25), date(2026, 12, 29)),  # Boxing Day on a Saturday, observed Monday 28th
        (date(2026, 4, 3), date(2026, 4, 7)),  # Good Friday through Easter Monday
        (date(2025, 12, 31), date(2025, 12, 31)),
        (date(2027, 1, 1), date(2027, 1, 4)),  # New Year's Day, then a weekend
        (date(2025, 8, 25), date(2025, 8, 26)),  # Late Summer Bank Holiday
    ],
)
def test_next_working_day_skips_weekends_and_england_wales_bank_holidays(day, expected):
    assert next_working_day(day) == expected


# --- One-month deadline (ICO worked examples first) ---


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2024, 11, 25), date(2024, 12, 27)),  # ICO: Monday -> Friday; 25 and 26 Dec are bank holidays
        (date(2024, 1, 1), date(2024, 2, 1)),  # ICO: received on a bank holiday; 1 Feb 2024 is a Thursday
        (date(2025, 1, 1), date(2025, 2, 3)),  # 1 Feb 2025 is a Saturday
        (date(2026, 1, 1), date(2026, 2, 2)),  # 1 Feb 2026 is a Sunday
        (date(2025, 1, 31), date(2025, 2, 28)),  # ICO: 31 Jan -> 28 Feb (a Friday)
        (date(2024, 1, 31), date(2024, 2, 29)),  # ... 29 Feb in a leap year (a Thursday)
        (date(2026, 1, 31), date(2026, 3, 2)),  # ... 28 Feb 2026 is a Saturday -> Monday
        (date(2032, 1, 31), date(2032, 3, 1)),  # ... 29 Feb 2032 is a Sunday -> Monday
        (date(2025, 3, 15), date(2025, 4, 15)),  # received on a Saturday: the clock runs anyway
    ],
)
def test_one_month_from_the_day_of_receipt(received, due):
    assert due_date(received=received) == due


@pytest.mark.parametrize(
    ("received", "pauses", "due"),
    [
        # RULES.md: asked 5 Feb, answered 12 Feb = 7 days on the unadjusted 20 Feb (Thu) -> 27 Feb (Thu).
        (date(2025, 1, 20), [Pause(date(2025, 2, 5), date(2025, 2, 12))], date(2025, 2, 27)),
        # Unadjusted 15 Feb 2025 (Sat) + 7 = 22 Feb (Sat) -> Monday 24 Feb.
        (date(2025, 1, 15), [Pause(date(2025, 2, 5), date(2025, 2, 12))], date(2025, 2, 24)),
        # Days are added before the working-day rule: Sat 15 Feb + 2 = Mon 17 Feb, not Mon 17 + 2.
        (date(2025, 1, 15), [Pause(date(2025, 2, 5), date(2025, 2, 7))], date(2025, 2, 17)),
        # Pauses add up; landing on Christmas Day 2024 rolls past Boxing Day.
        (
            date(2024, 11, 20),
            [Pause(date(2024, 11, 21), date(2024, 11, 23)), Pause(date(2024, 12, 2), date(2024, 12, 5))],
            date(2024, 12, 27),
        ),
        (date(2025, 1, 20), [Pause(date(2025, 2, 5), date(2025, 2, 5))], date(2025, 2, 20)),  # answered same day
    ],
)
def test_clarification_stops_the_clock(received, pauses, due):
    assert due_date(received=received, pauses=pauses) == due


def test_an_open_clarification_means_no_due_date_yet():
    pauses = [Pause(date(2025, 2, 1), date(2025, 2, 3)), Pause(date(2025, 2, 5), None)]
    assert due_date(received=date(2025, 1, 20), pauses=pauses) is None
    assert Pause(date(2025, 2, 5), None).days is None


def test_a_pause_cannot_end_before_it_starts():
    with pytest.raises(ValueError):
        Pause(date(2025, 2, 12), date(2025, 2, 5))


@pytest.mark.parametrize(
    ("identity_requested", "identity_received", "due"),
    [
        (True, None, None),  # clock not started
        (True, date(2025, 1, 10), date(2025, 2, 10)),  # the month runs from the day identity arrives
        (True, date(2025, 1, 6), date(2025, 2, 6)),  # arrived the same day as the request
        (False, None, date(2025, 2, 6)),
        (False, date(2025, 1, 10), date(2025, 2, 6)),  # not asked for: arrival does not move the clock
    ],
)
def test_identity_request_starts_the_clock_on_arrival(identity_requested, identity_received, due):
    got = due_date(
        received=date(2025, 1, 6), identity_requested=identity_requested, identity_received=identity_received
    )
    assert got == due


def test_identity_cannot_arrive_before_the_request():
    with pytest.raises(ValueError):
        due_date(received=date(2025, 1, 6), identity_requested=True, identity_received=date(2025, 1, 5))


@pytest.mark.parametrize(
    ("received", "pauses", "due"),
    [
        (date(2026, 1, 3), [], date(2026, 4, 7)),  # 3 Apr 2026 is Good Friday -> Tuesday after Easter Monday
        (date(2023, 12, 29), [], date(2024, 4, 2)),  # 29 Mar 2024 is Good Friday
        (date(2024, 11, 30), [], date(2025, 2, 28)),  # three months to a shorter month's last day
        (date(2025, 1, 20), [Pause(date(2025, 2, 5), date(2025, 2, 12))], date(2025, 4, 28)),  # 27 Apr is Sunday
    ],
)
def test_extension_is_three_months_from_the_same_start(received, pauses, due):
    assert due_date(received=received, pauses=pauses, extended=True) == due


def test_extension_runs_from_identity_arrival_too():
    got = due_date(
        received=date(2025, 12, 20), identity_requested=True, identity_received=date(2026, 1, 3), extended=True
    )
    assert got == date(2026, 4, 7)


@pytest.mark.parametrize(
    ("start", "told_on", "pauses", "allowed"),
    [
        (date(2024, 11, 25), date(2024, 12, 10), [], True),
        (date(2024, 11, 25), date(2024, 12, 27), [], True),  # the last day of the first month, after the holidays
        (date(2024, 11, 25), date(2024, 12, 30), [], False),
        (date(2025, 1, 20), date(2025, 2, 25), [Pause(date(2025, 2, 5), date(2025, 2, 12))], True),
        (date(2025, 1, 20), date(2025, 2, 28), [Pause(date(2025, 2, 5), date(2025, 2, 12))], False),
        (date(2025, 1, 20), date(2025, 3, 10), [Pause(date(2025, 2, 5), None)], True),  # clock still stopped
    ],
)
def test_extension_allowed_only_if_told_within_the_first_month(start, told_on, pauses, allowed):
    assert extension_allowed(received_start=start, told_on=told_on, pauses=pauses) is allowed


TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (None, "clock_stopped"),
        (date(2026, 11, 24), "overdue"),
        (date(2025, 1, 1), "overdue"),
        (TODAY, "due_this_week"),
        (date(2026, 12, 1), "due_this_week"),  # today + 6
        (date(2026, 12, 2), "on_track"),  # today + 7
        (date(2027, 1, 25), "on_track"),
    ],
)
def test_urgency(due, expected):
    assert urgency(due, today=TODAY) == expected


# --- Request kinds and statuses ---


def test_kinds_are_the_seven_rights():
    assert list(KINDS) == list(RIGHTS)
    assert all(label.strip() for label in KINDS.values())


def test_status_table_is_closed():
    assert list(STATUSES) == [
        "received",
        "awaiting_identity",
        "awaiting_clarification",
        "in_progress",
        "extended",
        "completed",
        "refused",
    ]
    assert set(ALLOWED_TRANSITIONS) == set(STATUSES)
    assert all(targets <= set(STATUSES) for targets in ALLOWED_TRANSITIONS.values())
    assert {status for status, targets in ALLOWED_TRANSITIONS.items() if not targets} == TERMINAL
    assert sorted(TERMINAL) == ["completed", "refused"]


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("received", "in_progress", None),
        ("received", "awaiting_identity", None),
        ("awaiting_identity", "in_progress", None),
        ("in_progress", "awaiting_clarification", None),
        ("awaiting_clarification", "in_progress", None),
        ("in_progress", "extended", "Several linked requests from the same person"),
        ("extended", "completed", None),
        ("in_progress", "refused", "Manifestly unfounded"),
        ("received", "completed", None),
    ],
)
def test_allowed_transitions(old, new, reason):
    validate_transition(old, new, reason=reason)


@pytest.mark.parametrize(
    ("old", "new", "reason", "message"),
    [
        ("completed", "in_progress", None, "cannot change"),
        ("refused", "received", "changed our mind", "cannot change"),
        ("in_progress", "received", None, "cannot go from"),
        ("in_progress", "in_progress", None, "cannot go from"),
        ("awaiting_identity", "completed", None, "cannot go from"),
        ("in_progress", "refused", None, "needs a reason"),
        ("in_progress", "refused", "   ", "needs a reason"),
        ("in_progress", "extended", "", "needs a reason"),
        ("in_progress", "archived", None, "Unknown status"),
        ("lost", "completed", None, "Unknown status"),
    ],
)
def test_refused_transitions(old, new, reason, message):
    with pytest.raises(ValueError, match=message):
        validate_transition(old, new, reason=reason)


def test_the_core_imports_only_the_standard_library_holidays_and_the_shared_purposes():
    tree = ast.parse(Path(rights.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    top_level = {name.split(".")[0] for name in imported}
    assert top_level - set(sys.stdlib_module_names) == {"holidays", "leads"}
    assert {name for name in imported if name.startswith("leads")} == {"leads.rules.purposes"}
