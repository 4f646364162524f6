"""Issue #17, item 4: tombstones that hold. A destroyed lead met again at the source is deleted there again;
TOMBSTONE_KEY is set on its own in production, and the app refuses to start when it changed while
tombstones exist (SQLite and PostgreSQL, pinned clock)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from leads import create_app, tombstones
from leads.config import ConfigError, build
from leads.db import make_engine
from leads.ingest import sync
from leads.ingest.sources import SourceEntity
from leads.models import KeyFingerprint, Lead, SourceDeletion
from tests.factories import PINNED_NOW
from tests.lead_samples import entity

KEY = "test-tombstone-key"


def bury(session, key: str, row_key: str = "gone") -> None:
    entry = tombstones.Entry(tombstones.source_key_hash(key, "2026-11", row_key))
    tombstones.write(session=session, kind="lead", rule="test", now=PINNED_NOW, actor="test", entries=[entry])
    session.commit()


def store(session, key: str, row_key: str = "gone") -> sync.PageResult:
    raw = entity(row_key)
    page = [
        SourceEntity(
            "2026-11", row_key, PINNED_NOW, {k: v for k, v in raw.items() if k not in ("PartitionKey", "RowKey")}
        )
    ]
    result = sync.store_page(session=session, entities=page, now=PINNED_NOW, tombstone_key=key)
    session.commit()
    return result


def test_a_tombstoned_lead_met_again_at_the_source_is_queued_for_deletion_again(session):
    bury(session, KEY)
    assert store(session, KEY).skipped == 1
    assert session.exec(select(SourceDeletion.row_key)).all() == ["gone"]
    store(session, KEY)  # met again before the sweeper ran: queued once, not twice
    assert session.exec(select(func.count()).select_from(SourceDeletion)).one() == 1
    assert session.exec(select(func.count()).select_from(Lead)).one() == 0


SESSION_KEY, OWN_KEY = "9f2c" + "a1b3c4d5e6f7" * 5, "7e1d" + "b2c3d4e5f6a7" * 5  # strong enough for #18


@pytest.mark.parametrize("tombstone_key", [None, SESSION_KEY])
def test_production_needs_a_tombstone_key_of_its_own(tombstone_key):
    environ = {"SECRET_KEY": SESSION_KEY, "WEB_CONCURRENCY": "1"}
    environ |= {"TOMBSTONE_KEY": tombstone_key} if tombstone_key else {}
    with pytest.raises(ConfigError, match="TOMBSTONE_KEY"):
        build("/i", environ, None)
    config = build("/i", {"SECRET_KEY": SESSION_KEY, "TOMBSTONE_KEY": OWN_KEY, "WEB_CONCURRENCY": "1"}, None)
    assert config["TOMBSTONE_KEY"] == OWN_KEY


def test_development_falls_back_to_the_secret_key():
    config = build("/i", {"APP_ENV": "development", "SECRET_KEY": "dev"}, None)
    assert config["TOMBSTONE_KEY"] == "dev"


@pytest.fixture
def make_app(database_url):
    """Factory: an app on the test's database with these settings; every engine is disposed at the end."""
    made = []

    def factory(**settings):
        config = {"APP_ENV": "testing", "SECRET_KEY": "s1", "DATABASE_URL": database_url, "CLOCK": lambda: PINNED_NOW}
        made.append(create_app(config | settings))
        return made[-1]

    yield factory
    for app in made:
        app.extensions["radnac.engine"].dispose()


def test_the_app_records_the_keys_fingerprint_and_refuses_a_changed_key_once_tombstones_exist(make_app):
    make_app(TOMBSTONE_KEY="first-key")
    make_app(TOMBSTONE_KEY="second-key")  # nothing destroyed yet: a new key is fine
    engine = make_app(TOMBSTONE_KEY="second-key").extensions["radnac.engine"]
    with Session(engine) as session:
        stored = session.get(KeyFingerprint, "TOMBSTONE_KEY")
        assert stored.fingerprint == tombstones.fingerprint("second-key") != tombstones.fingerprint("first-key")
        assert "second-key" not in stored.fingerprint
        bury(session, "second-key")
    with pytest.raises(ConfigError, match="TOMBSTONE_KEY is not the key the tombstones were made with"):
        make_app(TOMBSTONE_KEY="third-key")
    make_app(TOMBSTONE_KEY="second-key")  # the right key still starts


def test_rotating_the_session_key_cannot_bring_an_erased_lead_back(make_app):
    # Development derives TOMBSTONE_KEY from SECRET_KEY: rotating it with tombstones present refuses to start.
    engine = make_app().extensions["radnac.engine"]
    with Session(engine) as session:
        bury(session, "s1")
    with pytest.raises(ConfigError, match="TOMBSTONE_KEY"):
        make_app(SECRET_KEY="s2-rotated-after-a-leak")
    # With a TOMBSTONE_KEY of its own (as production requires), the session key rotates freely.
    app = make_app(SECRET_KEY="s3", TOMBSTONE_KEY="s1")
    with Session(engine) as session:
        assert store(session, app.config["TOMBSTONE_KEY"]).skipped == 1
        assert session.exec(select(func.count()).select_from(Lead)).one() == 0


def test_a_first_run_checks_no_key_and_warns_of_nothing(tmp_path, caplog):
    """Issue #27, 4: `make run`'s first `db upgrade` found no database yet and warned it was unreachable."""
    path = tmp_path / "instance" / "radnac-leads.db"
    engine = make_engine(f"sqlite:///{path}")
    with caplog.at_level("WARNING"):
        tombstones.check_key_at_startup(engine=engine, key="k", now=PINNED_NOW)
    assert caplog.records == [] and not path.exists()
