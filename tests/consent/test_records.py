"""Consent as stored: append-only history, state derived from it, and the gate every action passes."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import func, select

from leads.consent import marketing, records
from leads.consent.records import ConsentError, ConsentInput
from leads.models import AuditEvent, ConsentRecord, Lead, MarketingEmail, MarketingListMember
from leads.rules import consent
from tests.factories import PINNED_NOW
from tests.marketing_samples import GRANTED_AT, QueryCounter, give, make_lead, make_list

NURTURE = sorted(code for code, action in consent.ACTIONS.items() if not action.marketing and action.processing)
GIVEN = ConsentInput("marketing", True, "web_form", "ticked the box on the trial form", "notice v1")


def test_history_is_append_only_and_the_state_is_derived_from_it(session):
    lead = make_lead(session, 1)
    first = give(session, lead, at=PINNED_NOW - timedelta(days=9))
    give(session, lead, at=PINNED_NOW - timedelta(days=5), granted=False)
    give(session, lead, at=PINNED_NOW - timedelta(days=2))
    session.expire_all()

    rows = session.exec(select(ConsentRecord).order_by(ConsentRecord.id)).all()
    assert [row.granted for row in rows] == [True, False, True]
    assert (rows[0].id, rows[0].at, rows[0].evidence) == (first.id, first.at, first.evidence)  # never rewritten

    def state(days_ago: int) -> records.ConsentState:
        now = PINNED_NOW - timedelta(days=days_ago)
        return records.states(session=session, lead_ids=[lead.id], now=now)[lead.id]

    assert state(10) == records.ConsentState("none")
    assert state(7) == records.ConsentState("granted", PINNED_NOW - timedelta(days=9))
    assert state(4) == records.ConsentState("withdrawn", PINNED_NOW - timedelta(days=5))
    assert state(0) == records.ConsentState("granted", PINNED_NOW - timedelta(days=2))
    panel = records.panel(session=session, lead_id=lead.id, now=PINNED_NOW)
    assert panel.states["marketing"].state == "granted"
    assert panel.states["queries"].state == "none"
    assert [row.at for row in panel.history] == sorted((row.at for row in rows), reverse=True)


def test_recording_keeps_who_how_what_and_when(session, make_user):
    lead = make_lead(session, 1)
    user = make_user("support")
    given = replace(GIVEN, at=PINNED_NOW - timedelta(days=1), evidence="  said yes on the phone  ")
    outcome = records.record(session=session, lead=lead, given=given, actor=user, now=PINNED_NOW)
    assert outcome.decision.allowed and outcome.changed
    row = session.exec(select(ConsentRecord)).one()
    assert (row.purpose, row.granted, row.method, row.evidence, row.wording_version) == (
        "marketing",
        True,
        "web_form",
        "said yes on the phone",
        "notice v1",
    )
    assert (row.at, row.created_at, row.recorded_by, row.recorded_by_user_id) == (
        PINNED_NOW - timedelta(days=1),
        PINNED_NOW,
        user.email,
        user.id,
    )
    details = json.loads(session.exec(select(AuditEvent.details).where(AuditEvent.action == "consent.record")).one())
    assert details["recorded_consent_id"] == row.id and details["granted"] is True


def test_a_grant_is_refused_while_erasure_is_pending_but_a_withdrawal_never_is(session):
    lead = make_lead(session, 1, erasure_pending=True, processing_restricted=True)
    refused = records.record(session=session, lead=lead, given=GIVEN, actor="system:test", now=PINNED_NOW)
    assert not refused.decision.allowed
    assert "asked for their data to be erased" in refused.decision.reason_text
    withdrawn = replace(GIVEN, granted=False)
    assert records.record(session=session, lead=lead, given=withdrawn, actor="t", now=PINNED_NOW).changed
    assert [row.granted for row in session.exec(select(ConsentRecord))] == [False]
    actions = sorted(session.exec(select(AuditEvent.action).where(AuditEvent.record_type == "lead")))
    assert actions == ["consent.record", "consent.record.refused"]


def test_a_restriction_does_not_stop_recording_consent(session):
    lead = make_lead(session, 1, processing_restricted=True)
    assert records.record(session=session, lead=lead, given=GIVEN, actor="t", now=PINNED_NOW).changed


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"at": PINNED_NOW + timedelta(minutes=1)}, "in the future"),
        ({"purpose": "service"}, "not a purpose that rests on consent"),
        ({"method": "carrier_pigeon"}, "unknown consent method"),
        ({"evidence": "   "}, "what the person said or signed"),
        ({"evidence": "x" * 2001}, "at most 2000"),
        ({"wording_version": ""}, "wording or notice version"),
    ],
)
def test_recording_refuses_what_does_not_make_sense(session, change, says):
    lead = make_lead(session, 1)
    with pytest.raises(ConsentError, match=says):
        records.record(session=session, lead=lead, given=replace(GIVEN, **change), actor="t", now=PINNED_NOW)
    assert session.exec(select(func.count()).select_from(ConsentRecord)).one() == 0


def test_the_state_of_a_page_of_leads_takes_one_query(app, session):
    leads = [make_lead(session, n) for n in range(1, 21)]
    for lead in leads[::2]:
        give(session, lead)
    give(session, leads[0], at=PINNED_NOW - timedelta(days=1), granted=False)
    with QueryCounter(app.extensions["radnac.engine"]) as counter:
        found = records.states(session=session, lead_ids=[lead.id for lead in leads], now=PINNED_NOW)
    assert counter.count == 1
    assert [found[lead.id].state for lead in leads[:4]] == ["withdrawn", "none", "granted", "none"]


def test_the_gate_audits_every_decision_and_acts_only_when_allowed(session):
    willing, unwilling = make_lead(session, 1), make_lead(session, 2)
    grant = give(session, willing)
    acted = []

    def act(lead: Lead, relied_on: ConsentRecord | None) -> dict:
        acted.append((lead.id, relied_on.id if relied_on else None))
        return {"did": "it"}

    outcomes = records.gate(
        session=session,
        action_code="marketing_list.add",
        leads=[willing, unwilling],
        actor="t",
        now=PINNED_NOW,
        act=act,
    )
    session.commit()
    assert acted == [(willing.id, grant.id)]
    assert [(o.lead.id, o.decision.allowed, o.changed) for o in outcomes] == [(1, True, True), (2, False, False)]
    events = {
        e.action: json.loads(e.details)
        for e in session.exec(select(AuditEvent).where(AuditEvent.record_type == "lead"))
    }
    assert events["marketing_list.add"] == {"consent_record_id": grant.id, "changed": True, "did": "it"}
    assert events["marketing_list.add.refused"]["reasons"][0].startswith("There is no marketing consent on record")


def test_the_gate_knows_only_registered_actions(session):
    lead = make_lead(session, 1)
    give(session, lead)
    with pytest.raises(KeyError):
        records.gate(
            session=session, action_code="marketing_sms.send", leads=[lead], actor="t", now=PINNED_NOW, act=print
        )


@pytest.mark.parametrize("action_code", NURTURE)
def test_nurturing_and_support_stay_allowed_without_consent(session, action_code):
    never_asked, withdrew = make_lead(session, 1), make_lead(session, 2)
    give(session, withdrew)
    give(session, withdrew, at=PINNED_NOW - timedelta(days=1), granted=False)
    decided = records.preview(session=session, leads=[never_asked, withdrew], action_code=action_code, now=PINNED_NOW)
    assert all(decision.allowed for decision in decided.values())


def test_consent_history_lists_and_emails_go_with_their_lead(session):
    lead, other = make_lead(session, 1), make_lead(session, 2)
    for person in (lead, other):
        give(session, person)
    launch = make_list(session)
    marketing.add_to_list(session=session, list_id=launch.id, lead_ids=[lead.id, other.id], actor="t", now=PINNED_NOW)
    marketing.mark_email_sent(
        session=session, lead_ids=[lead.id], subject="Hi", list_id=launch.id, actor="t", now=PINNED_NOW
    )

    session.delete(lead)  # as the retention sweeper will
    session.commit()

    for model in (ConsentRecord, MarketingListMember, MarketingEmail):
        lead_ids = set(session.exec(select(model.lead_id)))
        assert lead.id not in lead_ids
    assert set(session.exec(select(MarketingListMember.lead_id))) == {other.id}


def test_backdated_consent_counts_from_when_it_was_given(session):
    lead = make_lead(session, 1)
    give(session, lead, at=GRANTED_AT)
    assert records.states(session=session, lead_ids=[lead.id], now=GRANTED_AT)[lead.id].state == "granted"
    before = GRANTED_AT - timedelta(seconds=1)
    assert records.states(session=session, lead_ids=[lead.id], now=before)[lead.id].state == "none"
