"""Issue #17, item 3: support grants on the true clock (notice lines 86-92), with a pinned clock on SQLite
and PostgreSQL: the consent is the first communication, each message carries its real time, and a grant
past its window is lapsed the moment anything reads or writes it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import func, select

from leads.cli import worker
from leads.grants import grants, plans
from leads.models import GrantCommunication, GrantData, SupportGrant, Tombstone
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
    plans.set_model(session=session, plan_name="radnac-managed", model="publisher_managed", actor="t", now=PINNED_NOW)
    return installation


def message(session, grant, staff, *, at, now=PINNED_NOW):
    return grants.add_communication(
        session=session, grant=grant, direction="in", summary="Logs", actor=staff, at=at, now=now
    )


def held(session) -> int:
    return session.exec(select(func.count()).select_from(GrantData)).one()


def test_consent_nearly_ten_days_old_opens_a_grant_for_what_is_left_of_its_window(session, managed, make_user):
    consent = PINNED_NOW - timedelta(days=9, hours=23)
    grant = open_grant(session, managed, make_user("support"), consent_given_at=consent)
    assert grants.lapse_at(grant) == PINNED_NOW + timedelta(hours=1)
    assert (grant.last_communication_at, grant.communications) == (consent, 1)
    first = session.exec(select(GrantCommunication)).one()
    assert (first.at, first.summary) == (consent, grants.CONSENT_SUMMARY)


@pytest.mark.parametrize("age", [timedelta(days=400), TEN_DAYS])
def test_consent_ten_days_old_or_more_cannot_open_a_grant(session, managed, make_user, age):
    with pytest.raises(grants.GrantError, match="10 days ago or more"):
        open_grant(session, managed, make_user("support"), consent_given_at=PINNED_NOW - age)
    assert session.exec(select(func.count()).select_from(SupportGrant)).one() == 0


def test_a_message_logged_late_counts_from_when_it_was_sent(session, managed, make_user):
    staff = make_user("support")
    grant = open_grant(session, managed, staff, consent_given_at=PINNED_NOW - timedelta(days=8))
    sent = PINNED_NOW - timedelta(days=3)
    message(session, grant, staff, at=sent)
    assert grants.lapse_at(grant) == sent + TEN_DAYS  # not PINNED_NOW + 10 days


@pytest.mark.parametrize(
    ("at", "why"),
    [(PINNED_NOW + SECOND, "future"), (PINNED_NOW - timedelta(days=2), "before the previous communication")],
)
def test_a_message_cannot_be_dated_in_the_future_or_before_the_previous_one(session, managed, make_user, at, why):
    staff = make_user("support")
    grant = open_grant(session, managed, staff, consent_given_at=PINNED_NOW - timedelta(days=1))
    with pytest.raises(grants.GrantError, match=why):
        message(session, grant, staff, at=at)
    assert grant.last_communication_at == PINNED_NOW - timedelta(days=1)


def test_a_silent_grant_is_lapsed_the_moment_it_is_read(session, managed, make_user):
    staff = make_user("support")
    grant = open_grant(session, managed, staff)
    grants.record_data(
        session=session, grant=grant, kind="note", description="Tenant 1234", actor=staff, now=PINNED_NOW
    )
    later = PINNED_NOW + TEN_DAYS + timedelta(minutes=30)  # no worker, no sweep
    read = grants.get(session=session, grant_id=grant.id, now=later)
    assert read.lapsed_at == PINNED_NOW + TEN_DAYS and read.data_destroyed_at == later
    assert held(session) == 0
    assert session.exec(select(Tombstone.kind)).all() == ["support_grant_data"]


def test_a_silent_grant_is_lapsed_when_the_list_or_a_write_touches_it(session, managed, make_user):
    staff = make_user("support")
    listed, written = open_grant(session, managed, staff), open_grant(session, managed, staff, support_request_ref="B")
    for grant in (listed, written):
        grants.record_data(session=session, grant=grant, kind="note", description="x", actor=staff, now=PINNED_NOW)
    later = PINNED_NOW + TEN_DAYS
    with pytest.raises(grants.GrantError, match="lapsed"):
        message(session, written, staff, at=later, now=later)
    assert written.lapsed_at == later
    assert grants.open_grants(session=session, now=later) == []
    assert held(session) == 0


def test_the_grant_page_half_an_hour_after_lapse_shows_no_data(client, auth, session, managed, clock):
    user = auth.login("support")
    grant = open_grant(session, managed, user)
    grants.record_data(session=session, grant=grant, kind="file", description="radius.log", actor=user, now=PINNED_NOW)
    clock.now = PINNED_NOW + TEN_DAYS + timedelta(minutes=30)
    page = client.get(f"/grants/{grant.id}").data.decode()
    assert "radius.log" not in page and "Destroyed when the grant lapsed" in page


def test_the_worker_wakes_at_the_next_lapse(app, session, managed, make_user, clock):
    grant = open_grant(session, managed, make_user("support"), consent_given_at=PINNED_NOW - timedelta(days=9))
    job = next(job for job in worker.JOBS if job.name == "grants")
    with app.app_context():
        assert job.wake_at() == PINNED_NOW + timedelta(days=1)
    ran_just_now = {job.name: PINNED_NOW + timedelta(days=1) - SECOND for job in worker.JOBS}
    clock.now = PINNED_NOW + timedelta(days=1)
    worker.run_due(app, ran_just_now, (job,))
    session.refresh(grant)
    assert grant.lapsed_at == PINNED_NOW + timedelta(days=1)


def test_switching_a_plan_to_locked_mode_lapses_its_open_grants(session, managed, make_user):
    staff = make_user("support")
    grant = open_grant(session, managed, staff)
    grants.record_data(session=session, grant=grant, kind="note", description="x", actor=staff, now=PINNED_NOW)
    later = PINNED_NOW + timedelta(hours=1)
    plans.set_model(session=session, plan_name="radnac-managed", model="locked", actor="admin@x", now=later)
    session.refresh(grant)
    assert (grant.lapsed_at, grant.lapse_reason) == (later, "plan switched to locked mode")
    assert held(session) == 0
    with pytest.raises(grants.GrantError, match="lapsed"):
        grants.record_data(session=session, grant=grant, kind="note", description="y", actor=staff, now=later)


def test_tombstones_have_one_writer():
    """Only leads/tombstones.py creates tombstone rows: every destroyer goes through its `write`."""
    root = Path(__file__).resolve().parents[2] / "leads"
    writers = [
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if re.search(r"(?<!class )Tombstone\(|insert\(Tombstone\)", path.read_text())
    ]
    assert writers == ["tombstones.py"]
