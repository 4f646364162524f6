"""The rights request register: deadlines that follow identity, clarification and extension; the leads."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from leads.models import AuditEvent, RightsRequest
from leads.people import subjects
from leads.rights import register
from leads.rules import rights
from tests.factories import add_lead, new_request

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def test_a_new_request_is_due_a_month_later_on_a_working_day(session, make_user):
    request = new_request(session, make_user("support"), received=date(2026, 11, 2))
    assert (request.status, request.due_on) == ("received", date(2026, 12, 2))
    later = new_request(session, make_user("support"), received=date(2026, 1, 31))
    assert later.due_on == date(2026, 3, 2)  # 28 Feb is a Saturday


def test_asking_for_identity_stops_the_clock_until_it_arrives(session, make_user):
    actor = make_user("support")
    request = new_request(session, actor)
    register.ask_identity(session=session, request=request, on=date(2026, 11, 3), actor=actor, now=NOW)
    assert (request.status, request.due_on) == ("awaiting_identity", None)
    register.identity_received(session=session, request=request, on=date(2026, 11, 10), actor=actor, now=NOW)
    assert (request.status, request.due_on, request.identity_verified) == ("in_progress", date(2026, 12, 10), True)


def test_clarification_moves_the_deadline_by_the_days_stopped(session, make_user):
    actor = make_user("support")
    request = new_request(session, actor, received=date(2026, 11, 2))
    register.ask_clarification(
        session=session, request=request, question="Which account?", on=date(2026, 11, 5), actor=actor, now=NOW
    )
    assert request.due_on is None
    register.clarified(session=session, request=request, on=date(2026, 11, 12), actor=actor, now=NOW)
    assert (request.status, request.due_on) == ("in_progress", date(2026, 12, 9))


def test_a_question_longer_than_its_column_is_refused_not_cut(session, make_user):
    """Issue #31: the form took 10,000 characters and the register kept the first 1,000 without a word."""
    actor = make_user("support")
    request = new_request(session, actor, received=date(2026, 11, 2))
    question = "Which account? " + "x" * register.MAX_QUESTION
    with pytest.raises(register.RequestError, match=f"at most 1000 characters; this one has {len(question)}"):
        register.ask_clarification(
            session=session, request=request, question=question, on=date(2026, 11, 5), actor=actor, now=NOW
        )
    assert request.due_on is not None  # the clock did not stop
    whole = question[: register.MAX_QUESTION]
    register.ask_clarification(
        session=session, request=request, question=whole, on=date(2026, 11, 5), actor=actor, now=NOW
    )
    assert register.pauses(session=session, request=request)[0].question == whole


def test_extension_needs_a_reason_told_within_the_first_month_and_happens_once(session, make_user):
    actor = make_user("support")
    request = new_request(session, actor, received=date(2026, 11, 2))
    with pytest.raises(register.RequestError, match="within the first month"):
        register.extend(
            session=session,
            request=request,
            reason="Complex",
            told_on=date(2026, 12, 3),
            actor=actor,
            now=datetime(2026, 12, 10, 9, 0, tzinfo=UTC),
        )
    with pytest.raises(register.RequestError, match="needs a reason"):
        register.extend(session=session, request=request, reason=" ", told_on=date(2026, 11, 20), actor=actor, now=NOW)
    register.extend(
        session=session, request=request, reason="Several requests", told_on=date(2026, 11, 20), actor=actor, now=NOW
    )
    assert (request.status, request.due_on) == ("extended", date(2027, 2, 2))
    with pytest.raises(register.RequestError, match="only once"):
        register.extend(
            session=session, request=request, reason="again", told_on=date(2026, 11, 21), actor=actor, now=NOW
        )


def test_closing_needs_an_outcome_and_is_final(session, make_user):
    actor = make_user("support")
    request = new_request(session, actor)
    with pytest.raises(register.RequestError):
        register.close(session=session, request=request, status="refused", outcome="", actor=actor, now=NOW)
    register.close(session=session, request=request, status="completed", outcome="Export sent", actor=actor, now=NOW)
    assert (request.status, request.closed_on) == ("completed", NOW.date())
    with pytest.raises(register.RequestError, match="cannot change"):
        register.ask_identity(session=session, request=request, on=date(2026, 11, 3), actor=actor, now=NOW)
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.record_type == "rights_request")).all()
    assert actions == ["rights.create", "rights.completed"]


def test_the_register_puts_the_most_urgent_first_and_counts_them(session, make_user):
    actor = make_user("support")
    overdue = new_request(session, actor, received=date(2026, 10, 1))
    soon = new_request(session, actor, received=date(2026, 10, 28))
    later = new_request(session, actor, received=date(2026, 11, 20))
    order = [r.id for r in register.register(session=session, open_only=True)]
    assert order == [overdue.id, soon.id, later.id]
    assert register.counts(session=session, today=NOW.date()) == {"overdue": 1, "due_this_week": 1}


def test_leads_are_matched_by_email_and_confirmed_by_staff(session, make_user):
    actor = make_user("support")
    lead = add_lead(session, NOW, "r1")
    lead.email = "ADA@x.example"
    subjects.follow_new_address(session=session, lead=lead)
    session.add(lead)
    session.commit()
    add_lead(session, NOW, "other")
    request = new_request(session, actor, email=" ada@X.example")
    assert [c.id for c in register.candidates(session=session, request=request)] == [lead.id]
    assert register.linked_leads(session=session, request=request) == []
    register.confirm_lead(session=session, request=request, lead=lead, actor=actor, now=NOW)
    assert register.linked_leads(session=session, request=request) == [lead]
    register.unlink_lead(session=session, request=request, lead_id=lead.id, actor=actor, now=NOW)
    assert register.linked_leads(session=session, request=request) == []


def test_future_receipt_and_unknown_kinds_are_refused(session, make_user):
    actor = make_user("support")
    with pytest.raises(register.RequestError):
        new_request(session, actor, received=date(2026, 11, 26))
    with pytest.raises(register.RequestError):
        new_request(session, actor, kind="telepathy")
    assert session.exec(select(RightsRequest)).all() == []


# --- Every order of steps RULES.md allows ends with the due date it gives (issue #16) ---

IDENTITY = {"none": (), "verified": ("verify-identity",), "asked": ("ask-identity", "identity-received")}
CLARIFICATIONS = {0: (), 1: ("ask#1", "answer#1"), 2: ("ask#1", "answer#1", "ask#2", "answer#2")}
# (earlier, later): a proof answers its request, an answer its question, a second question follows the first answer.
BEFORE = [("ask-identity", "identity-received"), ("ask#1", "answer#1"), ("answer#1", "ask#2"), ("ask#2", "answer#2")]


def orders(identity: str, clarifications: int, extension: bool) -> list[tuple[str, ...]]:
    """Every order of these steps in which each answer follows what it answers."""
    steps = (*IDENTITY[identity], *CLARIFICATIONS[clarifications], *(("extend",) if extension else ()))
    allowed = {
        order
        for order in itertools.permutations(steps)
        if all(order.index(a) < order.index(b) for a, b in BEFORE if a in order and b in order)
    }
    return sorted(allowed)


def take(session, request, actor, step: str, on: date) -> None:
    kwargs = {"session": session, "request": request, "actor": actor, "now": NOW}
    if step == "verify-identity":
        register.verify_identity(on=on, **kwargs)
    elif step == "ask-identity":
        register.ask_identity(on=on, **kwargs)
    elif step == "identity-received":
        register.identity_received(on=on, **kwargs)
    elif step.startswith("ask#"):
        register.ask_clarification(question="Which account?", on=on, **kwargs)
    elif step.startswith("answer#"):
        register.clarified(on=on, **kwargs)
    else:
        register.extend(reason="Several requests", told_on=on, **kwargs)


def expected_due(received: date, dated: dict[str, date], extended: bool) -> date:
    """RULES.md, read independently of the register: the month (or three) runs from receipt, or from the
    proof's arrival if we asked for it; each clarification adds the days it stopped a running clock; then
    the next working day."""
    start = dated.get("identity-received", received)
    stopped = 0
    for n in (1, 2):
        if f"ask#{n}" in dated:
            stopped += max(0, (dated[f"answer#{n}"] - max(dated[f"ask#{n}"], start)).days)
    return rights.next_working_day(rights.add_months(start, 3 if extended else 1) + timedelta(days=stopped))


@pytest.mark.parametrize("identity", IDENTITY)
@pytest.mark.parametrize("clarifications", CLARIFICATIONS)
@pytest.mark.parametrize("extension", [False, True])
def test_every_allowed_order_of_steps_ends_with_the_due_date_rules_give(
    session, make_user, identity, clarifications, extension
):
    actor = make_user("support")
    received = date(2026, 11, 2)
    walked = orders(identity, clarifications, extension)
    assert walked
    for order in walked:
        request = new_request(session, actor, received=received)
        dated = {}
        for position, step in enumerate(order):
            dated[step] = received + timedelta(days=2 * position + 1)  # 3, 5, 7... November: all before NOW
            take(session, request, actor, step, dated[step])
        assert request.status in ("in_progress", "extended", "received"), order
        assert request.due_on == expected_due(received, dated, extension), order
        assert request.status == "extended" if extension else request.status != "extended"


def test_identity_asked_then_a_clarification_answered_still_takes_the_proof_and_ends_with_a_due_date(
    session, make_user
):
    """The defect of issue #16: the request sat "in progress" with no due date, and the proof was refused."""
    actor = make_user("support")
    request = new_request(session, actor, received=date(2026, 11, 2))
    take(session, request, actor, "ask-identity", date(2026, 11, 3))
    take(session, request, actor, "ask#1", date(2026, 11, 4))
    take(session, request, actor, "answer#1", date(2026, 11, 6))
    assert (request.status, request.due_on) == ("awaiting_identity", None)
    take(session, request, actor, "identity-received", date(2026, 11, 9))
    # the clock started on 9 November; the question was answered before it started, so it adds nothing
    assert (request.status, request.due_on) == ("in_progress", date(2026, 12, 9))


@pytest.mark.parametrize(
    ("step", "on", "reason"),
    [
        ("ask#1", date(2026, 10, 2), "before the request was received"),  # the 2 October, received 1 Nov
        ("verify-identity", date(2026, 11, 26), "in the future"),
        ("ask-identity", date(2026, 10, 31), "before the request was received"),
        ("extend", date(2026, 11, 26), "in the future"),
    ],
)
def test_dates_out_of_order_are_refused_with_a_reason_and_change_nothing(session, make_user, step, on, reason):
    actor = make_user("support")
    request = new_request(session, actor, received=date(2026, 11, 1))
    before = (request.status, request.due_on)
    with pytest.raises(register.RequestError, match=reason):
        take(session, request, actor, step, on)
    session.refresh(request)
    assert (request.status, request.due_on) == before == ("received", date(2026, 12, 1))
    assert [s.step for s in register.steps(session=session, request=request)] == ["create"]


def test_an_answer_cannot_precede_its_question_nor_come_from_the_future(session, make_user):
    actor = make_user("support")
    request = new_request(session, actor, received=date(2026, 11, 1))
    take(session, request, actor, "ask#1", date(2026, 11, 10))
    with pytest.raises(register.RequestError, match="before it was asked"):
        take(session, request, actor, "answer#1", date(2026, 11, 9))
    with pytest.raises(register.RequestError, match="in the future"):
        take(session, request, actor, "answer#1", date(2026, 11, 30))
    take(session, request, actor, "ask-identity", date(2026, 11, 11))
    with pytest.raises(register.RequestError, match="before proof was asked"):
        take(session, request, actor, "identity-received", date(2026, 11, 10))
    assert request.due_on is None


def test_each_step_is_taken_at_most_once_unless_asked_again(session, make_user):
    actor = make_user("support")
    request = new_request(session, actor, received=date(2026, 11, 2))
    take(session, request, actor, "ask-identity", date(2026, 11, 3))
    with pytest.raises(register.RequestError, match="already asked"):
        take(session, request, actor, "ask-identity", date(2026, 11, 4))
    take(session, request, actor, "identity-received", date(2026, 11, 5))
    with pytest.raises(register.RequestError, match="already arrived"):
        take(session, request, actor, "identity-received", date(2026, 11, 6))
    with pytest.raises(register.RequestError, match="no open question"):
        take(session, request, actor, "answer#1", date(2026, 11, 6))
    take(session, request, actor, "extend", date(2026, 11, 6))
    with pytest.raises(register.RequestError, match="only once"):
        take(session, request, actor, "extend", date(2026, 11, 7))
    history = [(s.step, s.effective_on, s.actor) for s in register.steps(session=session, request=request)]
    assert history == [
        ("create", date(2026, 11, 2), actor.email),
        ("identity.requested", date(2026, 11, 3), actor.email),
        ("identity.received", date(2026, 11, 5), actor.email),
        ("extend", date(2026, 11, 6), actor.email),
    ]
