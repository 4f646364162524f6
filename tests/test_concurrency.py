"""Concurrent webhook deliveries against the app served by real gunicorn with four worker processes.

A bounded load on loopback only: 400 posts (STRESS_POSTS) from 16 threads, a quarter of them exact re-deliveries, every
installation's lifecycle delivered out of order. Zero 5xx, zero "database is locked", every distinct
notification stored exactly once, and every installation ends in the state its lifecycle implies.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from leads import db
from leads.installs import events
from leads.models import Installation
from leads.rules import notifications
from tests.notification_samples import APP_ID, event
from tests.processes import app_env, scalar, start, venv_bin, wait_for

pytestmark = pytest.mark.stress
SECRET = "concurrency-secret"
POSTS = int(os.environ.get("STRESS_POSTS", "400"))  # a longer run: STRESS_POSTS=4000
THREADS = 16
WORKERS = 4
LIFECYCLES = {
    "installed": [("PUT", "Accepted"), ("PUT", "Succeeded")],
    "failed": [("PUT", "Accepted"), ("PUT", "Failed")],
    "uninstalled": [("PUT", "Accepted"), ("PUT", "Succeeded"), ("DELETE", "Deleting"), ("DELETE", "Deleted")],
    "uninstall_failed": [("PUT", "Succeeded"), ("DELETE", "Deleting"), ("DELETE", "Failed")],
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def workload(seed: int = 9) -> tuple[list[dict], dict[str, str], int]:
    """(bodies in delivery order, expected final state per application id, distinct notifications)."""
    rng = random.Random(seed)
    distinct: list[dict] = []
    expected: dict[str, str] = {}
    number = 0
    while len(distinct) < POSTS * 3 // 4:
        state = sorted(LIFECYCLES)[number % len(LIFECYCLES)]
        app_id = APP_ID.replace("radnac-app", f"app-{number:03d}")
        expected[app_id] = state
        distinct += [
            event(t, s, f"2026-11-{day + 1:02d}T10:00:00Z", app_id=app_id)
            for day, (t, s) in enumerate(LIFECYCLES[state])
        ]
        number += 1
    bodies = distinct + [rng.choice(distinct) for _ in range(POSTS - len(distinct))]
    rng.shuffle(bodies)  # duplicates race their originals; lifecycles arrive out of order
    return bodies, expected, len(distinct)


def post(port: int, body: dict) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        payload = json.dumps(body)
        headers = {"Content-Type": "application/json"}
        connection.request("POST", f"/webhooks/azure/resource?sig={SECRET}", body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


@pytest.fixture
def gunicorn(database_url, tmp_path):
    """The app under `gunicorn -w 4` on a free loopback port; yields (port, log file)."""
    port, log = free_port(), tmp_path / "gunicorn.log"
    env = app_env(database_url, WEBHOOK_SECRET=SECRET)
    args = [venv_bin("gunicorn"), "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", "--timeout", "60", "app:app"]
    server = start(args, env, log)
    try:
        wait_for(lambda: healthy(port), timeout=60, what="gunicorn to answer /healthz", poll=0.1)
        yield port, log
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_concurrent_deliveries_are_each_stored_once(gunicorn, database_url):
    port, log = gunicorn
    bodies, expected, distinct = workload()
    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(lambda body: post(port, body), bodies))
    elapsed = time.monotonic() - started  # reported for SECURITY.md (pytest -s), never asserted
    print(f"{POSTS} posts ({distinct} distinct) from {THREADS} threads to {WORKERS} workers in {elapsed:.2f} s")

    statuses = Counter(status for status, _ in answers)
    messages = Counter(json.loads(text)["message"] for status, text in answers if status == 200)
    errors = [line for line in log.read_text().splitlines() if "Error" in line]
    assert statuses == {200: POSTS}, (statuses, errors[:6])
    assert messages == {"stored": distinct, "already stored": POSTS - distinct}
    assert "database is locked" not in log.read_text() + "".join(text for _, text in answers)
    engine = db.make_engine(database_url)
    try:
        assert scalar(engine, "SELECT count(*) FROM installevent") == distinct
        keys = {notifications.parse(body).dedupe_key for body in bodies}
        with engine.connect() as connection:
            stored = set(connection.exec_driver_sql("SELECT dedupe_key FROM installevent").scalars())
            states = dict(connection.exec_driver_sql("SELECT application_id, state FROM installation").all())
    finally:
        engine.dispose()
    assert stored == keys
    assert states == expected


def test_two_events_of_one_installation_in_flight_together_lose_nothing(app, monkeypatch):
    """A re-derives the state and is held before committing while B delivers the next event.

    Without the row lock B would derive its state without A's event, A would commit last without B's,
    and the installation would end "uninstalling" although Azure said "Deleted".
    """
    engine = app.extensions["radnac.engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time: two deliveries cannot interleave there")

    def deliver(event_type: str, state: str, day: int) -> None:
        body = event(event_type, state, f"2026-11-{day:02d}T10:00:00Z")
        with Session(engine) as session:
            notification = notifications.parse(body)
            events.store(
                session=session, notification=notification, caller_ip=None, now=datetime.now(UTC), tombstone_key="k"
            )

    def b_is_done_or_waiting_for_a_lock() -> bool:
        waiting = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return b_done.is_set() or scalar(engine, waiting) > 0

    real_refresh, a_refreshed, b_done = events._refresh, threading.Event(), threading.Event()

    def refresh_then_hold(session, installation, notification):
        real_refresh(session, installation, notification)
        if threading.current_thread().name == "A":
            a_refreshed.set()
            wait_for(b_is_done_or_waiting_for_a_lock, timeout=30, what="B to finish or to wait for A's lock")

    deliver("PUT", "Succeeded", 1)
    monkeypatch.setattr(events, "_refresh", refresh_then_hold)
    a = threading.Thread(target=deliver, args=("DELETE", "Deleting", 2), name="A")
    b = threading.Thread(target=lambda: (deliver("DELETE", "Deleted", 3), b_done.set()), name="B")
    a.start()
    assert a_refreshed.wait(timeout=30)
    b.start()
    a.join(timeout=60)
    b.join(timeout=60)
    with Session(engine) as session:
        assert session.exec(select(Installation.state)).one() == "uninstalled"
