"""A lead's one timeline: every kind of activity, newest first (issue #19, 5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from leads.models import (
    ConsentRecord,
    Installation,
    InstallEvent,
    Lead,
    MarketingEmail,
    MarketingList,
    MarketingListMember,
    RequestLead,
    RightsRequest,
)
from leads.people import subjects
from leads.staff import audit
from leads.workspace import nurture, timeline
from tests.factories import PINNED_NOW, add_lead


def _at(hours: int):
    return PINNED_NOW - timedelta(hours=hours)


def test_the_timeline_holds_every_kind_of_activity_newest_first(session, make_user):
    actor, owner = make_user("sales"), make_user("sales", "olive.owner@radnac.example")
    lead = Lead(
        source_partition_key="p", source_row_key="r", first_name="Zoë", first_seen_at=_at(99), received_at=_at(99)
    )
    subjects.file_leads(session=session, leads=[lead])
    session.add(lead)
    session.commit()
    nurture.add_note(session=session, lead=lead, kind="call", body="Rang them", actor=actor, now=_at(10))
    nurture.set_status(session=session, lead=lead, status="contacted", actor=actor, now=_at(9))
    nurture.set_owner(session=session, lead=lead, owner_id=owner.id, actor=actor, now=_at(8))
    grant = ConsentRecord(
        person_id=lead.person_id,  # consent is the person's (#15)
        lead_id=lead.id,
        purpose="marketing",
        granted=True,
        at=_at(7),
        method="email",
        evidence="yes please",
        wording_version="v1",
        recorded_by=actor.email,
        created_at=_at(7),
    )
    launch = MarketingList(name="Launch", created_by=actor.email, created_at=_at(50))
    session.add_all([grant, launch])
    session.flush()
    session.add(
        MarketingListMember(
            list_id=launch.id, lead_id=lead.id, added_at=_at(6), added_by=actor.email, consent_record_id=grant.id
        )
    )
    session.add(
        MarketingEmail(
            lead_id=lead.id, subject="RADNAC 3.0", sent_at=_at(5), recorded_by=actor.email, consent_record_id=grant.id
        )
    )
    app = Installation(
        application_id="/x/app",
        subscription_id="s",
        resource_group="rg",
        application_name="app-1",
        state="installed",
        first_event_at=_at(4),
        last_event_at=_at(4),
        lead_id=lead.id,
    )
    session.add(app)
    session.flush()
    session.add(
        InstallEvent(
            installation_id=app.id,
            dedupe_key="d1",
            event_type="PUT",
            provisioning_state="Succeeded",
            event_time=_at(4),
            received_at=_at(4),
        )
    )
    request = RightsRequest(
        kind="access",
        requester_name="Zoë",
        requester_email="z@x.example",
        channel="email",
        received_on=date(2026, 11, 20),
        status="open",
        created_by=actor.email,
        created_at=_at(3),
    )
    session.add(request)
    session.flush()
    session.add(RequestLead(request_id=request.id, lead_id=lead.id, confirmed_by=actor.email, confirmed_at=_at(2)))
    audit.record(
        session=session,
        at=_at(1),
        actor=actor,
        action="rights.identity_verified",
        record_type="rights_request",
        record_id=request.id,
    )
    session.commit()

    entries = timeline.for_lead(session=session, lead=lead)
    assert [e.kind for e in entries] == [
        "rights",
        "rights",
        "install",
        "email",
        "list",
        "consent",
        "change",
        "change",
        "note",
    ]
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    titles = [e.title for e in entries]
    assert f"Rights request #{request.id}: identity verified" in titles
    assert "app-1: Installed" in titles and "Added to the list Launch" in titles
    assert "Consent given: Information updates and marketing" in titles
    owner_change = next(e for e in entries if e.title == "Owner changed")
    assert owner_change.body == "Nobody → Olive Owner"  # by name (the address's local part), not address
    assert next(e for e in entries if e.title == "Status changed").body == "new → contacted"


def test_another_leads_activity_is_not_in_the_timeline(session, make_user):
    actor = make_user("sales")
    mine, other = (
        Lead(source_partition_key="p", source_row_key=f"r{n}", first_seen_at=_at(9), received_at=_at(9)) for n in (1, 2)
    )
    subjects.file_leads(session=session, leads=[mine, other])
    session.add_all([mine, other])
    session.commit()
    nurture.add_note(session=session, lead=other, kind="note", body="not yours", actor=actor, now=_at(1))
    assert timeline.for_lead(session=session, lead=mine) == []


def test_the_timeline_shows_when_a_follow_up_is_due(session, make_user):
    """Issue #31: a planned follow-up's entry says its due date, not only that one was planned."""
    me = make_user("sales")
    lead = add_lead(session, PINNED_NOW - timedelta(days=3))
    nurture.add_note(
        session=session,
        lead=lead,
        kind="follow_up",
        body="Call back",
        actor=me,
        now=PINNED_NOW,
        follow_up_on=datetime(2026, 12, 2, 10, 0, tzinfo=UTC),
    )
    entry = timeline.for_lead(session=session, lead=lead)[0]
    assert "due 02 Dec 2026 10:00 GMT" in entry.title
