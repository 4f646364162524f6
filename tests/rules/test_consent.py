"""The consent gate, walked over every registered action. Pure: no app, no database, explicit times."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from leads.rules.consent import (
    ACTIONS,
    PURPOSES,
    Action,
    ConsentEvent,
    Decision,
    Subject,
    check,
    current_consent,
    latest_event,
    registry_problems,
)

NOTICE = Path(__file__).resolve().parents[2] / "policy" / "privacy-notice.txt"
T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
T3 = datetime(2026, 3, 5, 11, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

MARKETING = sorted(code for code, action in ACTIONS.items() if action.marketing)
NURTURE = sorted(code for code, action in ACTIONS.items() if not action.marketing and action.processing)


def event(at: datetime, granted: bool = True, *, event_id: int | None = None, purpose: str = "marketing"):
    return ConsentEvent(event_id, purpose, granted, at, "email_reply", "reply of 1 March", "v1", "sam@example.com")


GRANT = event(T1, event_id=1)
WITHDRAW = event(T2, False, event_id=2)


def notice_lines() -> list[str]:
    return NOTICE.read_text(encoding="utf-8").splitlines()


def test_the_required_actions_are_registered():
    assert {"marketing_list.add", "marketing_list.export", "marketing_email.mark_sent"} <= set(MARKETING)
    assert {"lead.note.add", "lead.status.change", "lead.owner.change", "lead.follow_up"} <= set(NURTURE)
    assert all(ACTIONS[code].purpose == "marketing" for code in MARKETING)
    assert all(ACTIONS[code].purpose == "service" for code in NURTURE)


@pytest.mark.parametrize("action_code", MARKETING)
def test_marketing_is_allowed_with_current_consent(action_code):
    decision = check(action_code, Subject((GRANT,)), now=NOW)
    assert decision.allowed
    assert decision.reasons == ()
    assert decision.relied_on == GRANT
    assert decision.reason_text == "Allowed: relies on marketing consent given on 1 March 2026 (replied by email)."


REFUSALS = [
    ("no consent", Subject(()), "There is no marketing consent on record", "line 67"),
    ("withdrawn", Subject((GRANT, WITHDRAW)), "consent was withdrawn on 2 March 2026", "line 31"),
    ("restricted", Subject((GRANT,), restricted=True), "restrict how we use their data", "line 28"),
    ("under erasure", Subject((GRANT,), under_erasure=True), "asked for their data to be erased", "line 27"),
    ("DNC", Subject((GRANT,), do_not_contact=True), "Do Not Contact (DNC)", "must not be contacted"),
    ("test lead", Subject((GRANT,), test_lead=True), "Microsoft test lead", "not a real person"),
]


@pytest.mark.parametrize("action_code", MARKETING)
@pytest.mark.parametrize(("why", "subject", "says", "cites"), REFUSALS, ids=[row[0] for row in REFUSALS])
def test_marketing_is_refused_for_each_reason(action_code, why, subject, says, cites):
    decision = check(action_code, subject, now=NOW)
    assert not decision.allowed
    assert len(decision.reasons) == 1
    assert says in decision.reason_text
    assert cites in decision.reason_text
    assert decision.relied_on is None


@pytest.mark.parametrize("action_code", NURTURE)
@pytest.mark.parametrize("events", [(), (GRANT, WITHDRAW)], ids=["never asked", "withdrawn"])
def test_nurturing_and_support_need_no_consent(action_code, events):
    decision = check(action_code, Subject(events), now=NOW)
    assert decision.allowed
    assert decision.relied_on is None
    assert decision.reason_text == "Allowed."


@pytest.mark.parametrize("action_code", NURTURE)
@pytest.mark.parametrize(
    ("flags", "says"),
    [({"restricted": True}, "line 28"), ({"under_erasure": True}, "line 27")],
    ids=["restricted", "under erasure"],
)
def test_nurturing_stops_for_restriction_and_erasure(action_code, flags, says):
    decision = check(action_code, Subject((GRANT,), **flags), now=NOW)
    assert not decision.allowed
    assert says in decision.reason_text


@pytest.mark.parametrize("flag", ["do_not_contact", "test_lead"])
@pytest.mark.parametrize("action_code", NURTURE)
def test_dnc_and_test_leads_stop_contact_but_not_record_keeping(action_code, flag):
    decision = check(action_code, Subject((), **{flag: True}), now=NOW)
    assert decision.allowed is not ACTIONS[action_code].contacts


@pytest.mark.parametrize(("flags", "allowed"), [({"restricted": True}, True), ({"under_erasure": True}, False)])
def test_recording_consent_survives_a_restriction_but_not_erasure(flags, allowed):
    assert not ACTIONS["consent.record"].processing
    assert check("consent.record", Subject((), **flags), now=NOW).allowed is allowed


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        (T1 - timedelta(microseconds=1), False),  # before the grant
        (T1, True),
        (T2 - timedelta(microseconds=1), True),  # just before the withdrawal
        (T2, False),  # the withdrawal takes effect at once
        (T2.astimezone(timezone(timedelta(hours=2))), False),  # the same instant, written in another zone
        (NOW, False),
    ],
)
def test_withdrawal_takes_effect_at_once(now, allowed):
    decision = check("marketing_list.add", Subject((GRANT, WITHDRAW)), now=now)
    assert decision.allowed is allowed
    assert decision.relied_on == (GRANT if allowed else None)


def consent_state(events, purpose: str, *, now: datetime) -> str:
    """ "granted", "withdrawn" or "none": the latest choice for `purpose` at `now`."""
    latest = latest_event(events, purpose, now=now)
    return "none" if latest is None else "granted" if latest.granted else "withdrawn"


def test_consent_can_be_given_again_after_a_withdrawal():
    regrant = event(T3, event_id=3)
    events = (regrant, WITHDRAW, GRANT)  # stored order does not matter
    assert check("marketing_email.mark_sent", Subject(events), now=NOW).relied_on == regrant
    assert consent_state(events, "marketing", now=NOW) == "granted"
    assert consent_state(events, "marketing", now=T3 - timedelta(seconds=1)) == "withdrawn"


@pytest.mark.parametrize(
    ("events", "state", "current"),
    [
        ((), "none", None),
        ((GRANT,), "granted", GRANT),
        ((GRANT, WITHDRAW), "withdrawn", None),
        ((WITHDRAW,), "withdrawn", None),
        ((event(NOW + timedelta(seconds=1)),), "none", None),  # a future grant is not consent yet
        ((GRANT, event(NOW + timedelta(days=1), False)), "granted", GRANT),  # nor is a future withdrawal
        ((event(T1, purpose="queries"),), "none", None),  # consent for another purpose does not count
        # Same moment: the withdrawal wins, whichever was recorded later (issue #29: a withdrawal always wins).
        ((event(T1, event_id=1), event(T1, False, event_id=2)), "withdrawn", None),
        ((event(T1, False, event_id=1), event(T1, event_id=2)), "withdrawn", None),
        # Same moment and no ids: the withdrawal wins, whatever the order.
        ((event(T1), event(T1, False)), "withdrawn", None),
        ((event(T1, False), event(T1)), "withdrawn", None),
    ],
)
def test_consent_history_as_it_stood_at_now(events, state, current):
    assert consent_state(events, "marketing", now=NOW) == state
    assert current_consent(events, "marketing", now=NOW) == current


def test_future_events_do_not_decide_today():
    subject = Subject((event(NOW + timedelta(hours=1)),))
    decision = check("marketing_list.export", subject, now=NOW)
    assert not decision.allowed
    assert "no marketing consent on record" in decision.reason_text


def test_every_reason_is_reported_together():
    subject = Subject((GRANT, WITHDRAW), restricted=True, under_erasure=True, do_not_contact=True, test_lead=True)
    decision = check("marketing_list.add", subject, now=NOW)
    assert not decision.allowed
    assert [reason.split()[0:3] for reason in decision.reasons] == [
        ["This", "person", "has"],  # erasure
        ["This", "person", "has"],  # restriction
        ["Marketing", "consent", "was"],
        ["Microsoft", "marked", "this"],
        ["This", "is", "a"],
    ]
    assert decision.reason_text == " ".join(decision.reasons)
    assert all(reason.endswith(".") for reason in decision.reasons)


def test_an_unregistered_action_cannot_be_checked():
    with pytest.raises(KeyError):
        check("marketing_sms.send", Subject((GRANT,)), now=NOW)


@pytest.mark.parametrize(
    "call",
    [
        lambda naive: check("lead.note.add", Subject(()), now=naive),
        lambda naive: current_consent((GRANT,), "marketing", now=naive),
        lambda naive: latest_event((GRANT,), "marketing", now=naive),
        lambda naive: event(naive),
    ],
    ids=["check", "current_consent", "latest_event", "ConsentEvent"],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call(datetime(2026, 3, 10, 12, 0))  # noqa: DTZ001 - the point of the test


@pytest.mark.parametrize(
    "change",
    [{"purpose": "service"}, {"purpose": "newsletter"}, {"method": "carrier_pigeon"}],
    ids=["legitimate interests", "unknown purpose", "unknown method"],
)
def test_a_consent_event_must_make_sense(change):
    with pytest.raises(ValueError):
        replace(GRANT, **change)


def test_an_unknown_purpose_is_an_error_not_no_consent():
    with pytest.raises(KeyError):
        current_consent((GRANT,), "marketting", now=NOW)


def test_a_decision_is_allowed_exactly_when_nothing_stands_against_it():
    with pytest.raises(ValueError):
        Decision(True, ACTIONS["lead.note.add"], ("no",), None)
    with pytest.raises(ValueError):
        Decision(False, ACTIONS["lead.note.add"], (), None)


def test_a_subject_takes_any_sequence_of_events():
    assert Subject([GRANT]) == Subject((GRANT,))


def test_the_registry_is_sound():
    assert registry_problems(ACTIONS, PURPOSES) == []


@pytest.mark.parametrize(
    ("action", "problem"),
    [
        (Action("x", "Sneaky", True, "service"), "rests on consent"),
        (Action("x", "Sneaky", True, None), "rests on consent"),
        (Action("x", "Sneaky", False, "newsletter"), "unknown purpose"),
        (Action("x", "Sneaky", True, "marketing", processing=False), "always processing"),
        (Action("y", "Mislabelled", False, "service"), "not its own"),
    ],
)
def test_the_registry_check_catches_a_bad_action(action, problem):
    problems = registry_problems({"x": action}, PURPOSES)
    assert len(problems) == 1
    assert problem in problems[0]


@pytest.mark.parametrize("purpose", PURPOSES.values(), ids=PURPOSES.keys())
def test_purposes_cite_lines_that_exist_and_state_their_basis(purpose):
    lines = notice_lines()
    cited = [lines[number - 1] for number in purpose.notice_lines]
    assert all(text.strip() for text in cited)
    opening = {"consent": "Consent -", "legitimate_interests": "Legitimate interests"}[purpose.lawful_basis]
    assert any(text.startswith(opening) for text in cited)


def test_line_67_is_the_marketing_consent_rule():
    line = notice_lines()[67 - 1]
    assert "consent" in line
    assert "marketing" in line
    assert 67 in PURPOSES["marketing"].notice_lines
    assert PURPOSES["marketing"].needs_consent
    assert not PURPOSES["service"].needs_consent


def test_purposes_cite_lines_as_people_write_them():
    assert PURPOSES["marketing"].cited == "privacy notice lines 12-16, 41-42, 67"
    assert PURPOSES["service"].cited == "privacy notice lines 5-7, 35-37, 66, 82"


def test_the_gate_and_the_rights_matrix_share_one_vocabulary_of_purposes_and_bases():
    from leads.rules import consent, purposes, rights

    assert PURPOSES is rights.PURPOSES is purposes.PURPOSES
    assert consent.LAWFUL_BASES is rights.BASES is purposes.LAWFUL_BASES
    for purpose in PURPOSES.values():
        assert purpose.basis_line in purpose.notice_lines
        assert ("portability" in purpose.excluded) == (not purpose.needs_consent)
        assert ("objection" in purpose.excluded) == purpose.needs_consent
