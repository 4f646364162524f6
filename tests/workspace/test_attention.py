"""Issue #17, item 6: stuck work is seen. Each check on its own (pinned clock, SQLite and PostgreSQL), and the
dashboard's "needs attention" panel for admins only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leads import tombstones
from leads.models import SourceDeletion, SyncRun
from leads.retention import sweeper
from leads.workspace import attention
from tests.factories import PINNED_NOW

DAY = timedelta(days=1)
SETTINGS = {"AZURE_TABLES_CONNECTION_STRING": "", "TOMBSTONE_KEY": "k"}


def titles(session, **settings) -> list[str]:
    return [item.title for item in attention.items(session=session, now=PINNED_NOW, settings=SETTINGS | settings)]


def queue(session, queued_at, **fields) -> None:
    session.add(SourceDeletion(partition_key="p", row_key="r", queued_at=queued_at, **{"attempts": 0, **fields}))
    session.commit()


def test_nothing_needs_attention_on_a_quiet_day(session):
    queue(session, PINNED_NOW - DAY + timedelta(seconds=1))  # queued less than a day ago: not stuck yet
    assert titles(session) == []


def test_source_deletions_waiting_over_a_day_say_to_set_the_connection_string(session):
    queue(session, PINNED_NOW - DAY)
    [item] = attention.items(session=session, now=PINNED_NOW, settings=SETTINGS)
    assert item.title == "Source deletions are stuck" and "1 destroyed leads" in item.detail
    assert "AZURE_TABLES_CONNECTION_STRING" in item.what_to_do


def test_source_deletions_refused_by_azure_show_the_last_error(session):
    queue(session, PINNED_NOW - 3 * DAY, last_error="AuthorizationPermissionMismatch", attempts=40)
    [item] = attention.items(
        session=session, now=PINNED_NOW, settings=SETTINGS | {"AZURE_TABLES_CONNECTION_STRING": "conn"}
    )
    assert "AuthorizationPermissionMismatch" in item.detail and "read-only" in item.what_to_do


def test_a_failed_sync_is_shown_until_a_run_succeeds(session):
    session.add(SyncRun(started_at=PINNED_NOW - DAY, status="failed", error="SourceError: reading failed"))
    session.commit()
    assert titles(session) == ["The lead sync failed"]
    session.add(SyncRun(started_at=PINNED_NOW, status="succeeded"))
    session.commit()
    assert titles(session) == []


def test_a_failed_sweep_is_shown_until_a_sweep_succeeds(session, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(sweeper, "null_ip_fields", broken)
        with pytest.raises(RuntimeError):
            sweeper.sweep(session=session, now=PINNED_NOW, source=None, tombstone_key="k", holder="t")
    [item] = attention.items(session=session, now=PINNED_NOW, settings=SETTINGS)
    assert item.title == "The retention sweep failed" and "RuntimeError" in item.detail and "disk" not in item.detail
    sweeper.sweep(session=session, now=PINNED_NOW, source=None, tombstone_key="k", holder="t")
    assert titles(session) == []


def test_tombstone_key_trouble_is_shown(session):
    tombstones.check_key(session=session, key="old", now=PINNED_NOW)
    entry = tombstones.Entry(tombstones.source_key_hash("old", "p", "r"))
    tombstones.write(session=session, kind="lead", rule="r", now=PINNED_NOW, actor="t", entries=[entry])
    session.commit()
    assert titles(session, TOMBSTONE_KEY="new") == ["TOMBSTONE_KEY does not match the tombstones"]
    assert titles(session, TOMBSTONE_KEY="old") == []


def test_the_demo_admin_is_not_told_about_development_settings(client, auth, session, app):
    """Issue #27, 4: development's TOMBSTONE_KEY stands in from SECRET_KEY, as it should; the demo admin's
    dashboard, with the demo's tombstones, must not call it a problem."""
    tombstones.check_key(session=session, key=app.config["TOMBSTONE_KEY"], now=PINNED_NOW)
    entry = tombstones.Entry(tombstones.source_key_hash(app.config["TOMBSTONE_KEY"], "p", "r"))
    tombstones.write(session=session, kind="lead", rule="r", now=PINNED_NOW, actor="t", entries=[entry])
    session.commit()
    auth.login("admin")
    page = client.get("/").data.decode()
    assert "TOMBSTONE_KEY" not in page and "Needs attention" not in page


def test_the_dashboard_shows_admins_what_needs_attention(client, auth, session):
    queue(session, PINNED_NOW - 2 * DAY)
    auth.login("admin")
    page = client.get("/").data.decode()
    assert "Needs attention" in page and "Source deletions are stuck" in page and "What to do" in page


@pytest.mark.parametrize("role", ["sales", "support"])
def test_other_roles_do_not_see_the_panel(client, auth, session, role):
    queue(session, PINNED_NOW - 2 * DAY)
    auth.login(role)
    assert "Needs attention" not in client.get("/").data.decode()
