"""The demo data set: big, varied, realistic, loaded once."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import func, select

from leads import demo
from leads.consent import marketing
from leads.demo import consent
from leads.models import (
    AuditEvent,
    ConsentRecord,
    Installation,
    InstallEvent,
    Lead,
    LegalHold,
    MarketingListMember,
    QuarantinedEntity,
    SupportGrant,
    SyncRun,
)
from leads.staff import audit
from tests.factories import PINNED_NOW, add_lead


def test_demo_data_covers_what_staff_will_meet(session):
    assert demo.load(session=session, now=PINNED_NOW) == (demo.LEAD_COUNT, demo.INSTALL_COUNT)
    leads = list(session.exec(select(Lead)))
    assert len(leads) >= 500
    assert len({lead.country for lead in leads if lead.country}) >= 6
    assert {lead.action_code for lead in leads} == {"INS", "PLT", "Create", "StartTestDrive", "DNC"}
    assert len({lead.offer for lead in leads}) >= 3
    assert any(lead.first_name is None and lead.email is None for lead in leads)  # .edu leads
    assert all(lead.is_dnc == (lead.action_code == "DNC") for lead in leads)
    assert any(not (lead.first_name or "").isascii() for lead in leads)
    # Some leads are days from their 3-year limit; none is past it.
    ages = [PINNED_NOW - lead.received_at for lead in leads]
    assert max(ages) < timedelta(days=1095)
    assert sum(age > timedelta(days=1095 - 14) for age in ages) >= 5

    states = {row for row in session.exec(select(Installation.state).distinct())}
    assert {"installing", "installed", "failed", "uninstalled"} <= states
    oldest = session.exec(select(func.min(Installation.first_event_at))).one()
    assert PINNED_NOW - oldest > timedelta(days=3 * 365)
    uninstalled = list(session.exec(select(Installation).where(Installation.uninstalled_at.is_not(None))))
    assert all(PINNED_NOW - i.uninstalled_at < timedelta(days=90) for i in uninstalled)
    assert any(PINNED_NOW - i.uninstalled_at > timedelta(days=85) for i in uninstalled)
    failures = session.exec(select(InstallEvent).where(InstallEvent.provisioning_state == "Failed")).all()
    assert failures and all(event.error_code and event.error_message for event in failures)
    # Caller addresses older than 10 days are already gone (notice lines 100-104).
    events = session.exec(select(InstallEvent)).all()
    assert all(e.caller_ip is None for e in events if PINNED_NOW - e.received_at > timedelta(days=10))


def test_demo_shows_a_sync_run_a_quarantine_and_a_legal_hold(session, demo_data):
    assert session.exec(select(SyncRun.status)).all() == ["succeeded"]
    assert len(session.exec(select(QuarantinedEntity)).all()) == 2
    assert len(session.exec(select(LegalHold).where(LegalHold.lifted_at.is_(None))).all()) == 1


def test_demo_shows_support_access_grants_and_linked_installations(session, demo_data):
    grants_ = session.exec(select(SupportGrant)).all()
    assert sorted(g.lapsed_at is None for g in grants_) == [False, True, True]
    assert len(session.exec(select(Installation).where(Installation.lead_id.is_not(None))).all()) == 40


def test_demo_loads_once(session, demo_data):
    assert demo.load(session=session, now=PINNED_NOW) == (0, 0)
    assert session.exec(select(func.count()).select_from(Lead)).one() == demo.LEAD_COUNT


def test_the_demo_data_fixture_is_the_whole_load_and_new_records_follow_it(session, demo_data):
    """`demo_data` copies one load per run into each test's database (conftest.py): every row, and the ids
    carry on where the load left them, as if the test had loaded the data itself."""
    assert session.exec(select(func.count()).select_from(Installation)).one() == demo.INSTALL_COUNT
    audited = session.exec(select(func.max(AuditEvent.id))).one()
    lead = add_lead(session, PINNED_NOW, "after-the-demo")
    audit.commit(session=session, at=PINNED_NOW, actor="system:test", action="test.after_demo")
    assert lead.id == demo.LEAD_COUNT + 1
    assert session.exec(select(func.max(AuditEvent.id))).one() == audited + 1


def test_demo_shows_the_consent_gate_at_work(session, demo_data):
    records = session.exec(select(ConsentRecord)).all()
    assert sum(record.granted for record in records) == 5 and sum(not record.granted for record in records) == 1
    launch = marketing.get_list_by_name(session=session, name=consent.LIST_NAME)
    people, total = marketing.members(session=session, list_id=launch.id, now=PINNED_NOW)
    assert total == 5
    left_out = [person for person in people if not person.decision.allowed]
    assert len(left_out) == 1 and "withdrawn" in left_out[0].decision.reason_text  # withdrew after joining
    grants = {record.id: record for record in records}
    for member in session.exec(select(MarketingListMember)):  # each joined relying on a grant given before
        assert grants[member.consent_record_id].granted and grants[member.consent_record_id].at < member.added_at
