"""Issue #17, item 2: each deployment has its own 90-day clock; an installed application is never on one.

Notifications go in through `events.store` (as the webhook stores them) and out through the sweeper, with
a pinned clock, on SQLite and PostgreSQL. The property test shuffles the delivery order of random histories.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from leads import tombstones
from leads.installs import events
from leads.models import Installation, InstallEvent, Tombstone
from leads.retention import sweeper
from leads.rules import lifecycle, notifications, schedule
from tests.notification_samples import APP_ID, event

KEY = "test-tombstone-key"
DAY0 = datetime(2026, 1, 1, 10, tzinfo=UTC)
SECOND = timedelta(seconds=1)
NINETY = timedelta(days=90)


def on(day: float) -> datetime:
    return DAY0 + timedelta(days=day)


def deliver(session, event_type: str, state: str, day: float, app_id: str = APP_ID, key: str = KEY) -> bool:
    body = event(event_type, state, on(day).isoformat().replace("+00:00", "Z"), app_id=app_id)
    return events.store(
        session=session, notification=notifications.parse(body), caller_ip=None, now=on(day), tombstone_key=key
    )


def sweep(session, now: datetime) -> sweeper.Report:
    return sweeper.sweep(session=session, now=now, source=None, tombstone_key=KEY, holder="test")


def kept(session, app_id: str = APP_ID) -> list[tuple[str, str, datetime]]:
    query = (
        select(InstallEvent.event_type, InstallEvent.provisioning_state, InstallEvent.event_time)
        .join(Installation)
        .where(Installation.application_id == app_id)
        .order_by(InstallEvent.event_time)
    )
    return [tuple(row) for row in session.exec(query)]


def reinstalled(session) -> None:
    """PUT, DELETE (Deleted) on day 10, PUT again on day 50: the issue's re-install."""
    for event_type, state, day in (("PUT", "Succeeded", 0), ("DELETE", "Deleted", 10), ("PUT", "Succeeded", 50)):
        assert deliver(session, event_type, state, day)


def test_a_reinstall_does_not_stop_the_first_deployments_clock(session):
    reinstalled(session)
    installation = session.exec(select(Installation)).one()
    assert (installation.state, installation.uninstalled_at, installation.clock_started_at) == (
        "installed",
        None,
        on(10),
    )
    assert sweep(session, on(10) + NINETY - SECOND).destroyed == {}
    assert len(kept(session)) == 3
    assert sweep(session, on(10) + NINETY).destroyed == {"installation": 1}
    # The first deployment's notifications are gone; the installed one's and the installation row stay.
    assert kept(session) == [("PUT", "Succeeded", on(50))]
    installation = session.exec(select(Installation)).one()
    assert (installation.state, installation.clock_started_at, installation.first_event_at) == (
        "installed",
        None,
        on(50),
    )
    tombstone = session.exec(select(Tombstone)).one()
    assert (tombstone.kind, tombstone.covers_until) == ("install_notification", on(10))
    assert tombstone.source_key_hash == tombstones.installation_hash(KEY, APP_ID)


def test_the_installation_row_goes_when_its_last_deployments_clock_runs_out(session):
    reinstalled(session)
    sweep(session, on(100))
    assert deliver(session, "DELETE", "Deleting", 200)
    assert deliver(session, "DELETE", "Deleted", 200.5)
    assert session.exec(select(Installation)).one().uninstalled_at == on(200)
    assert sweep(session, on(290) - SECOND).destroyed == {}
    assert sweep(session, on(290)).destroyed == {"installation": 1}
    assert session.exec(select(func.count()).select_from(Installation)).one() == 0
    assert session.exec(select(func.count()).select_from(InstallEvent)).one() == 0


def test_a_blocked_uninstall_installed_again_is_never_on_a_clock(session):
    # DELETE Accepted, DELETE Failed, then PATCH Succeeded: installed again.
    for event_type, state, day in (
        ("PUT", "Succeeded", 0),
        ("DELETE", "Accepted", 10),
        ("DELETE", "Failed", 11),
        ("PATCH", "Succeeded", 12),
    ):
        deliver(session, event_type, state, day)
    installation = session.exec(select(Installation)).one()
    assert (installation.state, installation.uninstalled_at, installation.clock_started_at) == ("installed", None, None)
    assert sweep(session, on(400)).destroyed == {}
    assert len(kept(session)) == 4


def test_a_failed_uninstall_stops_the_clock_and_the_next_uninstall_starts_it(session):
    for event_type, state, day in (("PUT", "Succeeded", 0), ("DELETE", "Deleting", 10), ("DELETE", "Failed", 11)):
        deliver(session, event_type, state, day)
    assert session.exec(select(Installation)).one().clock_started_at is None
    deliver(session, "DELETE", "Deleting", 30)
    assert session.exec(select(Installation)).one().clock_started_at == on(30)
    assert sweep(session, on(120) - SECOND).destroyed == {}
    assert sweep(session, on(120)).destroyed == {"installation": 1}


def test_a_redelivery_of_a_destroyed_deployment_is_acknowledged_and_not_stored(session):
    reinstalled(session)
    sweep(session, on(100))
    assert not deliver(session, "PUT", "Succeeded", 0)  # Azure retrying an old notification
    assert not deliver(session, "DELETE", "Deleting", 9)  # one that never arrived before, just as old
    assert kept(session) == [("PUT", "Succeeded", on(50))]


def test_a_destroyed_installation_cannot_come_back_but_a_new_deployment_can(session):
    for event_type, state, day in (("PUT", "Succeeded", 0), ("DELETE", "Deleted", 10)):
        deliver(session, event_type, state, day)
    sweep(session, on(100))
    assert session.exec(select(func.count()).select_from(Installation)).one() == 0
    assert not deliver(session, "DELETE", "Deleted", 10)
    assert session.exec(select(func.count()).select_from(Installation)).one() == 0
    assert deliver(session, "PUT", "Accepted", 120)  # genuinely new: after everything destroyed
    assert kept(session) == [("PUT", "Accepted", on(120))]


def test_the_webhook_acknowledges_a_redelivery_after_destruction(client, session, app):
    app.config["WEBHOOK_SECRET"] = "s3cret"
    for event_type, state, day in (("PUT", "Succeeded", 0), ("DELETE", "Deleted", 10)):
        deliver(session, event_type, state, day, key=app.config["TOMBSTONE_KEY"])
    sweeper.sweep(session=session, now=on(100), source=None, tombstone_key=app.config["TOMBSTONE_KEY"], holder="t")
    body = event("DELETE", "Deleted", on(10).isoformat().replace("+00:00", "Z"))
    response = client.post("/webhooks/azure/resource?sig=s3cret", json=body)
    assert response.status_code == 200
    assert session.exec(select(func.count()).select_from(InstallEvent)).one() == 0


# --- property: shuffled notification sequences --------------------------------------------------------------

STEPS = st.sampled_from(sorted(lifecycle.TRANSITIONS))


@st.composite
def histories(draw) -> list[tuple[str, str, float]]:
    """A PUT, then up to 7 more documented notifications, each a whole number of days after the one before."""
    steps = [("PUT", "Succeeded"), *draw(st.lists(STEPS, max_size=7))]
    gaps = draw(st.lists(st.integers(min_value=1, max_value=60), min_size=len(steps), max_size=len(steps)))
    days = [sum(gaps[: i + 1]) for i in range(len(steps))]
    return [(t, s, day) for (t, s), day in zip(steps, days, strict=True)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories(), data=st.data())
def test_shuffled_deliveries_destroy_nothing_installed_and_keep_nothing_past_90_days(session, history, data):
    app_id = APP_ID.replace("radnac-app", f"app-{uuid.uuid4().hex[:12]}")
    for event_type, state, day in data.draw(st.permutations(history)):
        deliver(session, event_type, state, day, app_id=app_id)
    observed = [lifecycle.Observed(t, s, on(day)) for t, s, day in history]
    found = lifecycle.deployments(observed)
    last_day = history[-1][2]
    for now in sorted({on(last_day), *(d.uninstalled_at + NINETY for d in found if d.uninstalled_at)}):
        if now < on(last_day):
            continue  # the property is about the full history, swept from its last notification on
        sweep(session, now)
        left = {when for _t, _s, when in kept(session, app_id)}
        for deployment in found:
            times = {observed[i].event_time for i in deployment.events}
            if deployment.uninstalled_at is None:  # installed: nothing of it destroyed
                assert times <= left
            elif deployment.uninstalled_at + NINETY <= now:  # its 90 days are over: nothing of it kept
                assert not times & left


def _first_uninstall_since_installed(history: list[lifecycle.Observed], deployment: lifecycle.Deployment):
    members = [history[i] for i in deployment.events]
    since = max(
        (n for n, e in enumerate(members) if (e.event_type, e.provisioning_state) in lifecycle.INSTALLED_AGAIN),
        default=-1,
    )
    deletes = [e.event_time for e in members[since + 1 :] if e.event_type == "DELETE"]
    return deletes[0] if deletes else None


@given(history=histories(), data=st.data())
def test_deployments_are_the_same_in_any_order_and_clock_only_what_is_uninstalled(history, data):
    observed = [lifecycle.Observed(t, s, on(day)) for t, s, day in history]
    found = lifecycle.deployments(observed)
    shuffled = data.draw(st.permutations(observed))
    assert [d.uninstalled_at for d in lifecycle.deployments(shuffled)] == [d.uninstalled_at for d in found]
    assert sorted(i for d in found for i in d.events) == list(range(len(observed)))  # each event in one
    for deployment in found:
        assert deployment.uninstalled_at == _first_uninstall_since_installed(observed, deployment)
    # Every deployment a later PUT replaced was uninstalled: its clock runs (a re-install holds nothing).
    assert all(d.uninstalled_at is not None for d in found[:-1])
    state = lifecycle.derive(observed).state
    if state not in ("uninstalling", "uninstalled"):
        assert found[-1].uninstalled_at is None  # installed (or failed, or blocked): off the clock
    if found[-1].uninstalled_at is not None:
        assert schedule.deadline("install_notification", found[-1].uninstalled_at) == found[-1].uninstalled_at + NINETY


def test_the_installation_page_counts_down_an_earlier_deployment_on_its_own_clock(client, auth, session, clock):
    reinstalled(session)
    clock.now = on(60)
    auth.login("support")
    installation = session.exec(select(Installation)).one()
    page = client.get(f"/installations/{installation.id}").data.decode()
    assert page.count("An earlier deployment, uninstalled 11 Jan 2026: destroyed in") == 2  # its PUT and DELETE
    assert "kept while installed" in page  # the installation itself, installed again
