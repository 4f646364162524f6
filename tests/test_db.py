"""The database layer: SQLite pragmas, aware UTC timestamps, and migrations that match the models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import SQLModel

from leads import db
from leads.models import User


def test_migrations_create_exactly_the_models(app):
    with app.extensions["radnac.engine"].connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


def test_sqlite_runs_with_wal_busy_timeout_and_foreign_keys(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == db.SQLITE_BUSY_TIMEOUT_MS
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_postgresql_plans_every_statement_for_its_own_values(postgres_url):
    """psycopg prepares a statement on the server after its fifth run on a connection, and PostgreSQL may then
    plan it once for any value: a filter on a rare value ("withdrawn") was planned as if it were common, 96-150
    ms at a million leads instead of 16 (bench/NOTES.md). The app's engine never prepares, so each run is
    planned for its own values."""
    engine = db.make_engine(postgres_url)
    with engine.connect() as connection:
        for n in range(10):
            connection.execute(text("SELECT count(*) FROM person WHERE marketing_consent = :state"), {"state": str(n)})
        assert connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar() == 0
    engine.dispose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_postgres_urls_use_psycopg3(given, expected):
    assert db.normalise_url(given) == expected


def test_timestamps_come_back_aware_utc_on_every_backend(session):
    paris = timezone(timedelta(hours=1))
    user = User(email="t@x.example", password_hash="x", role="sales", created_at=datetime(2026, 1, 1, 13, tzinfo=paris))
    session.add(user)
    session.commit()
    session.expire_all()
    loaded = session.get(User, user.id)
    assert loaded.created_at == datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert loaded.created_at.tzinfo is not None


def test_naive_timestamps_are_refused(session):
    session.add(User(email="n@x.example", password_hash="x", role="sales", created_at=datetime(2026, 1, 1)))  # noqa: DTZ001
    with pytest.raises(Exception, match="naive datetime"):
        session.commit()


def test_foreign_keys_are_enforced(session):
    from leads.models import Lead

    now = datetime(2026, 1, 1, tzinfo=UTC)
    session.add(Lead(source_partition_key="p", source_row_key="r", first_seen_at=now, received_at=now, owner_id=999))
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        session.commit()


def test_the_workspace_migration_folds_existing_search_keys(tmp_path):
    """Rows written before 0015 kept accents in their keys; the migration recomputes them (issue #19, 6)."""
    import sqlalchemy as sa
    from alembic import command

    from leads.cli import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0010")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO lead (source_partition_key, source_row_key, first_name, last_name, company, first_seen_at,"
                " received_at, is_dnc, is_test, nurture_status, name_key, last_key, email_key, company_key)"
                " VALUES ('p', 'r', 'Zoë', 'Lefèvre', 'Jørgensen ApS', '2026-01-01', '2026-01-01', 0, 0, 'new',"
                " 'zoë lefèvre', 'lefèvre', '', 'jørgensen aps')"
            )
        )
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as connection:
        keys = connection.execute(sa.text("SELECT name_key, last_key, company_key FROM lead")).one()
    assert tuple(keys) == ("zoe lefevre", "lefevre", "jorgensen aps")


def _search_key_before_the_ascii_path(value):
    """search_key as it was before its ASCII fast path and cache (issue #21, 5): the oracle for the property."""
    import unicodedata

    from leads.models.lead import UNFOLDED

    folded = unicodedata.normalize("NFKD", " ".join((value or "").split()).casefold()).translate(UNFOLDED)
    return "".join(ch for ch in folded if not unicodedata.combining(ch))[:300]


@given(st.one_of(st.none(), st.text(), st.text(alphabet=st.characters(codec="ascii")), st.text(max_size=400)))
@example("  Zoë\u00a0LEFÈVRE\tJørgensen ﬁ ß İ ¨ ½ ")
@example("A" * 301)
@example("\u0130" * 299)
def test_search_key_folds_exactly_as_the_char_by_char_fold(value):
    from leads.models import search_key

    assert search_key(value) == _search_key_before_the_ascii_path(value)
    assert search_key(value) == _search_key_before_the_ascii_path(value)  # and again, from the cache


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_key_order_migration_upgrades_and_downgrades(tmp_path, backend):
    """0029 swaps the six single-column search key indexes for (key, last_event_at, id) ones, and back."""
    import os
    import uuid

    import sqlalchemy as sa
    from alembic import command
    from sqlalchemy.engine import make_url

    from leads.cli import alembic_config
    from leads.models import INSTALL_SEARCH_KEYS

    admin, name = None, f"radnac_mig_{uuid.uuid4().hex[:12]}"
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'm.db'}"
    else:
        base = os.environ.get("TEST_DATABASE_URL")
        if not base:
            pytest.skip("TEST_DATABASE_URL is not set")
        admin = db.make_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(db.normalise_url(base)).set(database=name).render_as_string(hide_password=False)
    engine = db.make_engine(url)

    def indexes() -> dict[str, list[str]]:
        with engine.connect() as connection:
            found = sa.inspect(connection).get_indexes("installation")
        return {
            index["name"]: index["column_names"]
            for index in found
            if index["name"].startswith("ix_") and "_key" in index["name"]
        }

    try:
        command.upgrade(alembic_config(url), "head")
        assert indexes() == {f"ix_installation_{k}_last_event": [k, "last_event_at", "id"] for k in INSTALL_SEARCH_KEYS}
        command.downgrade(alembic_config(url), "0028_consent_correction")
        assert indexes() == {f"ix_installation_{k}": [k] for k in INSTALL_SEARCH_KEYS}
        command.upgrade(alembic_config(url), "head")
        assert len(indexes()) == len(INSTALL_SEARCH_KEYS)
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
