"""POST /webhooks/azure/resource: documented payloads stored once; everything else refused, nothing written."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest
from sqlmodel import func, select

from leads.models import Installation, InstallEvent
from leads.rules import lifecycle
from tests.notification_samples import APP_ID, MARKETPLACE, SERVICE_CATALOG, event, failed

SECRET = "6f1c9d2e-5b7a-4c1e-9a3f-0d8b2e7c4a11"
URL = f"/webhooks/azure/resource?sig={SECRET}"


@pytest.fixture
def app(app):
    app.config["WEBHOOK_SECRET"] = SECRET
    return app


def post(client, body, url=URL, **kwargs):
    return client.post(url, data=json.dumps(body), content_type="application/json", **kwargs)


def counts(session) -> tuple[int, int]:
    return (
        session.exec(select(func.count()).select_from(Installation)).one(),
        session.exec(select(func.count()).select_from(InstallEvent)).one(),
    )


@pytest.mark.parametrize("body", [SERVICE_CATALOG, MARKETPLACE, failed("PUT")])
def test_documented_payloads_are_stored_once(client, session, body):
    first = post(client, body)
    assert first.status_code == 200 and first.json["message"] == "stored"
    retry = post(client, body)
    assert retry.status_code == 200 and retry.json["message"] == "already stored"
    assert counts(session) == (1, 1)
    installation = session.exec(select(Installation)).one()
    assert installation.application_id == APP_ID
    assert (installation.subscription_id, installation.resource_group, installation.application_name) == (
        "aaaa1111-0000-4000-8000-000000000001",
        "rg-radnac",
        "radnac-app",
    )


def test_the_caller_address_and_receipt_time_are_recorded(client, session, clock):
    post(client, MARKETPLACE, environ_base={"REMOTE_ADDR": "20.50.2.1"})
    stored = session.exec(select(InstallEvent)).one()
    assert stored.caller_ip == "20.50.2.1"
    assert stored.received_at == clock.now


LIFECYCLES = {
    "installed": [("PUT", "Accepted"), ("PUT", "Succeeded")],
    "failed": [("PUT", "Accepted"), ("PUT", "Failed")],
    "uninstalled": [("PUT", "Accepted"), ("PUT", "Succeeded"), ("DELETE", "Deleting"), ("DELETE", "Deleted")],
    "uninstall_failed": [("PUT", "Succeeded"), ("DELETE", "Deleting"), ("DELETE", "Failed")],
}


@pytest.mark.parametrize("expected", sorted(LIFECYCLES))
def test_lifecycles_in_any_delivery_order(client, session, expected):
    steps = LIFECYCLES[expected]
    bodies = [
        event(
            t,
            s,
            f"2026-11-0{i + 1}T10:00:00.0000000Z",
            error={"code": "E", "message": "boom"} if s == "Failed" else None,
        )
        for i, (t, s) in enumerate(steps)
    ]
    for order_number, order in enumerate(itertools.islice(itertools.permutations(bodies), 6)):
        app_id = APP_ID.replace("radnac-app", f"app-{order_number}")
        for body in order:
            assert post(client, {**body, "applicationId": app_id}).status_code == 200
        installation = session.exec(select(Installation).where(Installation.application_id == app_id)).one()
        assert installation.state == expected
        deletes = [i for i, (t, _) in enumerate(steps) if t == "DELETE"]
        # A blocked uninstall leaves the application installed: never on a clock (issue #17).
        on_clock = bool(deletes) and expected != "uninstall_failed"
        assert (installation.uninstalled_at is not None) == on_clock
        if on_clock:  # the 90-day clock starts at the first DELETE notification
            assert installation.uninstalled_at.day == deletes[0] + 1


@pytest.mark.parametrize(("event_type", "state"), sorted(lifecycle.TRANSITIONS))
def test_every_event_type_and_state_is_accepted(client, session, event_type, state):
    assert post(client, event(event_type, state, "2026-11-01T10:00:00Z")).status_code == 200
    assert session.exec(select(InstallEvent.provisioning_state)).one() == state


def test_failure_reasons_are_kept_in_plain_words(client, session):
    post(client, event("PUT", "Accepted", "2026-11-01T10:00:00Z"))
    post(client, failed("PUT", "2026-11-01T10:05:00Z"))
    installation = session.exec(select(Installation)).one()
    assert installation.state == "failed"
    assert installation.last_error_message == "At least one resource deployment operation failed."
    stored = session.exec(select(InstallEvent).where(InstallEvent.provisioning_state == "Failed")).one()
    assert json.loads(stored.error_details) == [{"code": "QuotaExceeded", "message": "Regional cores quota exceeded."}]


@pytest.mark.parametrize(
    ("url", "kwargs", "status"),
    [
        ("/webhooks/azure/resource", {}, 401),
        ("/webhooks/azure/resource?sig=wrong", {}, 401),
        (f"/webhooks/azure/resource?sig={SECRET.upper()}", {}, 401),
        (URL, {"content_type": "text/plain"}, 415),
        (URL, {"data": "{not json", "content_type": "application/json"}, 400),
        (URL, {"data": json.dumps({**MARKETPLACE, "eventType": "GET"}), "content_type": "application/json"}, 400),
        (URL, {"data": json.dumps({"x": "y" * 70_000}), "content_type": "application/json"}, 413),
    ],
)
def test_bad_requests_are_refused_and_write_nothing(client, session, url, kwargs, status):
    kwargs.setdefault("data", json.dumps(MARKETPLACE))
    response = client.post(url, **kwargs)
    assert response.status_code == status
    assert response.json["status"] == "rejected" and response.json["message"]
    assert counts(session) == (0, 0)


def test_an_unconfigured_secret_asks_azure_to_retry(app, client, session):
    app.config["WEBHOOK_SECRET"] = ""
    response = post(client, MARKETPLACE, url="/webhooks/azure/resource?sig=")
    assert response.status_code == 503
    assert counts(session) == (0, 0)


def test_a_storage_failure_is_a_503_so_azure_retries_and_nothing_is_half_written(app, client, session):
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    def broken(_conn, _cursor, statement, *_args):
        if statement.startswith("INSERT INTO installevent"):  # after the installation row was written
            raise OperationalError(statement, {}, Exception("database is locked"))

    engine = app.extensions["radnac.engine"]
    event.listen(engine, "before_cursor_execute", broken)
    try:
        assert post(client, MARKETPLACE).status_code == 503
    finally:
        event.remove(engine, "before_cursor_execute", broken)
    assert counts(session) == (0, 0)
    assert post(client, MARKETPLACE).status_code == 200  # Azure's retry succeeds
    assert counts(session) == (1, 1)


def test_the_webhook_needs_no_login_or_csrf(app, client, database_url, clock):
    from leads import create_app

    strict = create_app(
        {
            "APP_ENV": "testing",
            "SECRET_KEY": "s",
            "DATABASE_URL": database_url,
            "CLOCK": clock,
            "WEBHOOK_SECRET": SECRET,
        }
    )
    assert post(strict.test_client(), MARKETPLACE).status_code == 200
    strict.extensions["radnac.engine"].dispose()


def test_installation_page_shows_the_lifecycle(client, session, auth, clock):
    for t, s, day in [("PUT", "Accepted", 1), ("PUT", "Succeeded", 1), ("DELETE", "Deleting", 20)]:
        post(client, event(t, s, f"2026-11-{day:02d}T10:00:00Z"))
    auth.login("support")
    installation = session.exec(select(Installation)).one()
    page = client.get(f"/installations/{installation.id}").data.decode()
    assert (
        "Uninstalling" in page
        and "Uninstall began" in page
        and 'Uninstalling</strong> <span class="sub">(DELETE Deleting)' in page
    )
    assert clock.now - installation.uninstalled_at < timedelta(days=10)
