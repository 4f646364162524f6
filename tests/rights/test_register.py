"""The rights request register: deadlines that follow identity, clarification and extension; the leads."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from leads.models import AuditEvent, RightsRequest
from leads.rights import register
from tests.retention.test_sweeper import add_lead

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def new(session, actor, received=date(2026, 11, 2), kind="access", email="ada@x.example"):
    return register.create(
        session=session,
        kind=kind,
        requester_name="Ada Lovelace",
        requester_email=email,
        channel="email",
        received_on=received,
        details="All my data",
        actor=actor,
        now=NOW,
    )


def test_a_new_request_is_due_a_month_later_on_a_working_day(session, make_user):
    request = new(session, make_user("support"), received=date(2026, 11, 2))
    assert (request.status, request.due_on) == ("received", date(2026, 12, 2))
    assert new(session, make_user("support"), received=date(2026, 1, 31)).due_on == date(2026, 3, 2)  # 28 Feb is Sat


def test_asking_for_identity_stops_the_clock_until_it_arrives(session, make_user):
    actor = make_user("support")
    request = new(session, actor)
    register.ask_identity(session=session, request=request, on=date(2026, 11, 3), actor=actor, now=NOW)
    assert (request.status, request.due_on) == ("awaiting_identity", None)
    register.identity_received(session=session, request=request, on=date(2026, 11, 10), actor=actor, now=NOW)
    assert (request.status, request.due_on, request.identity_verified) == ("in_progress", date(2026, 12, 10), True)


def test_clarification_moves_the_deadline_by_the_days_stopped(session, make_user):
    actor = make_user("support")
    request = new(session, actor, received=date(2026, 11, 2))
    register.ask_clarification(
        session=session, request=request, question="Which account?", on=date(2026, 11, 5), actor=actor, now=NOW
    )
    assert request.due_on is None
    register.clarified(session=session, request=request, on=date(2026, 11, 12), actor=actor, now=NOW)
    assert (request.status, request.due_on) == ("in_progress", date(2026, 12, 9))


def test_extension_needs_a_reason_told_within_the_first_month_and_happens_once(session, make_user):
    actor = make_user("support")
    request = new(session, actor, received=date(2026, 11, 2))
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
    request = new(session, actor)
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
    overdue = new(session, actor, received=date(2026, 10, 1))
    soon = new(session, actor, received=date(2026, 10, 28))
    later = new(session, actor, received=date(2026, 11, 20))
    order = [r.id for r in register.register(session=session, open_only=True)]
    assert order == [overdue.id, soon.id, later.id]
    assert register.counts(session=session, today=NOW.date()) == {"overdue": 1, "due_this_week": 1}


def test_leads_are_matched_by_email_and_confirmed_by_staff(session, make_user):
    actor = make_user("support")
    lead = add_lead(session, NOW, "r1")
    lead.email = "ADA@x.example"
    session.add(lead)
    session.commit()
    add_lead(session, NOW, "other")
    request = new(session, actor, email=" ada@X.example")
    assert [c.id for c in register.candidates(session=session, request=request)] == [lead.id]
    assert register.linked_leads(session=session, request=request) == []
    register.confirm_lead(session=session, request=request, lead=lead, actor=actor, now=NOW)
    assert register.linked_leads(session=session, request=request) == [lead]
    register.unlink_lead(session=session, request=request, lead_id=lead.id, actor=actor, now=NOW)
    assert register.linked_leads(session=session, request=request) == []


def test_future_receipt_and_unknown_kinds_are_refused(session, make_user):
    actor = make_user("support")
    with pytest.raises(register.RequestError):
        new(session, actor, received=date(2026, 11, 26))
    with pytest.raises(register.RequestError):
        new(session, actor, kind="telepathy")
    assert session.exec(select(RightsRequest)).all() == []
