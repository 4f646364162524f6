"""Support access grants: consent first, locked mode refused, the 10-day window, lapse and destruction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select

from leads.grants import grants, lapse, plans
from leads.models import AuditEvent, GrantCommunication, GrantData, SupportGrant, Tombstone
from leads.retention import sweeper
from tests.factories import PINNED_NOW, add_installation, open_grant

SECOND = timedelta(seconds=1)
TEN_DAYS = timedelta(days=10)


@pytest.fixture
def managed(session):
    """A publisher-managed installation."""
    installation = add_installation(session, None, "managed-app")
    installation.plan_name = "radnac-managed"
    session.add(installation)
    session.commit()
    plans.set_model(
        session=session, plan_name="radnac-managed", model="publisher_managed", actor="system:test", now=PINNED_NOW
    )
    return installation


def test_a_grant_needs_written_consent_and_a_support_request(session, managed, make_user):
    staff = make_user("support")
    for missing in ("consent_given_by", "consent_evidence", "support_request_ref"):
        with pytest.raises(grants.GrantError, match="written consent"):
            open_grant(session, managed, staff, **{missing: "  "})
    with pytest.raises(grants.GrantError, match="future"):
        open_grant(session, managed, staff, consent_given_at=PINNED_NOW + SECOND)
    assert session.exec(select(func.count()).select_from(SupportGrant)).one() == 0


@pytest.mark.parametrize("plan", ["radnac-locked", None, "some-unmapped-plan"])
def test_locked_mode_and_unknown_plans_are_refused(session, make_user, plan):
    installation = add_installation(session, None, "locked-app")
    installation.plan_name = plan
    session.add(installation)
    session.commit()
    plans.set_model(session=session, plan_name="radnac-locked", model="locked", actor="system:test", now=PINNED_NOW)
    with pytest.raises(grants.GrantError, match="locked mode"):
        open_grant(session, installation, make_user("support"))


def test_each_communication_restarts_the_ten_day_window(session, managed, make_user):
    staff = make_user("support")
    grant = open_grant(session, managed, staff)
    assert grants.lapse_at(grant) == PINNED_NOW + TEN_DAYS
    later = PINNED_NOW + timedelta(days=9)
    grants.add_communication(
        session=session, grant=grant, direction="in", summary="Logs attached", actor=staff, at=later, now=later
    )
    assert grants.lapse_at(grant) == later + TEN_DAYS
    assert grants.is_open(grant, later + TEN_DAYS - SECOND)
    assert not grants.is_open(grant, later + TEN_DAYS)


def test_closing_the_request_lapses_at_once_and_destroys_the_data(session, managed, make_user):
    staff = make_user("support")
    grant = open_grant(session, managed, staff)
    grants.add_communication(
        session=session, grant=grant, direction="out", summary="Looking now", actor=staff, at=PINNED_NOW, now=PINNED_NOW
    )
    grants.record_data(
        session=session, grant=grant, kind="file", description="contoso-radius.log", actor=staff, now=PINNED_NOW
    )
    grants.record_data(
        session=session, grant=grant, kind="finding", description="Cert expired", actor=staff, now=PINNED_NOW
    )
    grants.close_request(session=session, grant=grant, actor=staff, now=PINNED_NOW + timedelta(hours=1))
    assert_lapsed(session, grant, PINNED_NOW + timedelta(hours=1), "support request closed", items=2)
    with pytest.raises(grants.GrantError, match="lapsed"):
        grants.add_communication(
            session=session,
            grant=grant,
            direction="in",
            summary="x",
            actor=staff,
            at=PINNED_NOW + timedelta(hours=2),
            now=PINNED_NOW + timedelta(hours=2),
        )


def test_silence_lapses_the_grant_at_exactly_ten_days(session, managed, make_user):
    staff = make_user("support")
    grant = open_grant(session, managed, staff)
    grants.record_data(
        session=session, grant=grant, kind="note", description="Tenant id 1234", actor=staff, now=PINNED_NOW
    )
    deadline = PINNED_NOW + TEN_DAYS
    sweep = dict(session=session, source=None, tombstone_key="k", holder="t")
    assert sweeper.sweep(now=deadline - SECOND, **sweep).destroyed == {}
    session.refresh(grant)
    assert grant.lapsed_at is None
    assert sweeper.sweep(now=deadline, **sweep).destroyed == {"support_grant": 1}
    session.refresh(grant)
    assert_lapsed(session, grant, deadline, "10 days without communication", items=1)


def assert_lapsed(session, grant, when, reason, *, items):
    """The held data and communications are gone; the non-personal outline stays, with tombstones and audit."""
    assert session.exec(select(GrantData)).all() == []
    assert session.exec(select(GrantCommunication)).all() == []
    assert (grant.lapsed_at, grant.lapse_reason, grant.data_items_destroyed) == (when, reason, items)
    assert grant.consent_given_by is None and grant.consent_evidence is None
    assert grant.support_request_ref == lapse.REF_DESTROYED and len(grant.consent_evidence_sha256) == 64
    assert (
        session.exec(select(func.count()).select_from(Tombstone).where(Tombstone.kind == "support_grant_data")).one()
        == items
    )
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "grant.lapse")).one()


def test_open_grants_are_listed_soonest_lapse_first(session, managed, make_user):
    staff = make_user("support")
    first = open_grant(session, managed, staff)
    second = open_grant(session, managed, staff, support_request_ref="SR-2")
    grants.add_communication(
        session=session,
        grant=first,
        direction="in",
        summary="x",
        actor=staff,
        at=PINNED_NOW + timedelta(days=2),
        now=PINNED_NOW + timedelta(days=2),
    )
    assert [g.id for g in grants.open_grants(session=session, now=PINNED_NOW + timedelta(days=2))] == [
        second.id,
        first.id,
    ]


def test_destroying_an_installation_takes_its_grant_outlines(session, make_user):
    installation = add_installation(session, PINNED_NOW - timedelta(days=91), "gone")
    installation.plan_name = "radnac-managed"
    session.add(installation)
    session.commit()
    plans.set_model(session=session, plan_name="radnac-managed", model="publisher_managed", actor="t", now=PINNED_NOW)
    open_grant(session, installation, make_user("support"), now=PINNED_NOW - timedelta(days=95))
    report = sweeper.sweep(session=session, now=PINNED_NOW, source=None, tombstone_key="k", holder="t")
    assert report.destroyed["installation"] == 1
    assert session.exec(select(SupportGrant)).all() == []
