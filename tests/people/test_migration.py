"""Migration 0011: existing leads grouped into people by normalised email, the more protective state winning;
migration 0030: the person's marketing consent copied onto their leads and kept there by triggers."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import make_url

from leads import db
from leads.cli import alembic_config
from tests.factories import PINNED_NOW

LEAD = (
    "INSERT INTO lead (id, source_partition_key, source_row_key, email, first_seen_at, received_at, is_dnc, is_test,"
    " nurture_status, processing_restricted, erasure_pending) VALUES (:id, 'p', :rk, :email, :at, :at, false, false,"
    " 'new', :restricted, false)"
)
CONSENT = (
    "INSERT INTO consentrecord (lead_id, purpose, granted, at, method, evidence, wording_version, recorded_by,"
    " created_at) VALUES (:lead, 'marketing', :granted, :at, 'email_reply', 'e', 'v1', 't', :at)"
)


NOTE = "INSERT INTO leadnote (lead_id, kind, body, at, author) VALUES (1, 'note', 'kept', :at, 'a')"
LIST = "INSERT INTO marketinglist (id, name, created_by, created_at) VALUES (1, 'L', 't', :at)"
MEMBER = (
    "INSERT INTO marketinglistmember (list_id, lead_id, added_at, added_by, consent_record_id)"
    " VALUES (1, 2, :at, 't', 2)"
)


def test_leads_become_people_and_disagreements_resolve_to_the_more_protective(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    command.upgrade(alembic_config(url), "0010")
    engine = db.make_engine(url)
    at = PINNED_NOW - timedelta(days=9)
    with engine.begin() as connection:
        for lead_id, email, restricted in [(1, "Ada@X.example", True), (2, " ada@x.example", False), (3, None, False)]:
            connection.execute(
                text(LEAD), {"id": lead_id, "rk": f"r{lead_id}", "email": email, "at": at, "restricted": restricted}
            )
        connection.execute(text(CONSENT), {"lead": 1, "granted": False, "at": at + timedelta(days=1)})
        connection.execute(text(CONSENT), {"lead": 2, "granted": True, "at": at + timedelta(days=2)})  # later grant
        connection.execute(text(NOTE), {"at": at})
        connection.execute(text(LIST), {"at": at})
        connection.execute(text(MEMBER), {"at": at})
    command.upgrade(alembic_config(url), "head")
    assert "2 disagreement(s)" in capsys.readouterr().out  # the restriction and the marketing consent
    with engine.connect() as connection:
        people = connection.execute(text("SELECT person_id FROM lead ORDER BY id")).scalars().all()
        assert people[0] == people[1] != people[2]
        person = connection.execute(
            text("SELECT email_key, processing_restricted FROM person WHERE id = :p"), {"p": people[0]}
        ).one()
        assert tuple(person) == ("ada@x.example", 1)
        latest = connection.execute(
            text("SELECT granted, recorded_by FROM consentrecord WHERE person_id = :p ORDER BY at DESC, id DESC"),
            {"p": people[0]},
        ).first()
        assert tuple(latest) == (0, "system:migration-0011")  # the withdrawal now outranks the later grant
        # Nothing that hangs off a lead or a consent record was lost on the way (SQLite copies tables to alter).
        assert connection.execute(text("SELECT count(*) FROM leadnote")).scalar() == 1
        assert connection.execute(text("SELECT count(*) FROM marketinglistmember")).scalar() == 1
        assert connection.execute(text("SELECT count(*) FROM consentrecord")).scalar() == 3
    command.downgrade(alembic_config(url), "0010")
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM leadnote")).scalar() == 1
    engine.dispose()


PERSON = "INSERT INTO person (id, email_key, created_at, marketing_consent) VALUES (:id, :key, :at, :state)"
LEAD_OF = (
    "INSERT INTO lead (id, source_partition_key, source_row_key, first_seen_at, received_at, is_dnc, is_test,"
    " nurture_status, person_id) VALUES (:id, 'p', :rk, :at, :at, false, false, 'new', :person)"
)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_lead_consent_migration_copies_the_state_and_keeps_it_by_triggers(tmp_path, backend):
    """0030 copies each person's marketing consent onto their leads ("none" without a person), and from then on
    its triggers keep the copy: a lead moved to another person takes theirs, a person's change reaches their
    leads. Downgraded, the column, its index and the triggers go, and the person's state is still written."""
    url, drop = _database(tmp_path, backend)
    engine = db.make_engine(url)
    at = PINNED_NOW - timedelta(days=9)
    try:
        command.upgrade(alembic_config(url), "0029_installation_key_order")
        with engine.begin() as connection:
            for person_id, state in [(1, "withdrawn"), (2, "granted"), (3, "none")]:
                connection.execute(text(PERSON), {"id": person_id, "key": f"p{person_id}", "at": at, "state": state})
            for lead_id, person_id in [(1, 1), (2, 1), (3, 2), (4, 3), (5, None)]:
                connection.execute(text(LEAD_OF), {"id": lead_id, "rk": f"r{lead_id}", "at": at, "person": person_id})
        command.upgrade(alembic_config(url), "head")
        assert _copies(engine) == {1: "withdrawn", 2: "withdrawn", 3: "granted", 4: "none", 5: "none"}
        with engine.begin() as connection:
            connection.execute(text("UPDATE lead SET person_id = 2 WHERE id = 2"))
            connection.execute(text("UPDATE person SET marketing_consent = 'withdrawn' WHERE id = 3"))
        assert _copies(engine) == {1: "withdrawn", 2: "granted", 3: "granted", 4: "withdrawn", 5: "none"}
        assert "ix_lead_filter_consent" in _lead_indexes(engine)
        command.downgrade(alembic_config(url), "0029_installation_key_order")
        with engine.begin() as connection:
            assert "marketing_consent" not in {column["name"] for column in sa.inspect(connection).get_columns("lead")}
            connection.execute(text("UPDATE person SET marketing_consent = 'granted' WHERE id = 1"))  # no trigger
            connection.execute(text("UPDATE lead SET person_id = 3 WHERE id = 1"))
        assert "ix_lead_filter_consent" not in _lead_indexes(engine)
        command.upgrade(alembic_config(url), "head")
        assert _copies(engine) == {1: "withdrawn", 2: "granted", 3: "granted", 4: "withdrawn", 5: "none"}
    finally:
        engine.dispose()
        drop()


def _copies(engine) -> dict[int, str]:
    with engine.connect() as connection:
        return dict(connection.execute(text("SELECT id, marketing_consent FROM lead ORDER BY id")).all())


def _lead_indexes(engine) -> set[str]:
    with engine.connect() as connection:
        return {index["name"] for index in sa.inspect(connection).get_indexes("lead")}


def _database(tmp_path, backend: str):
    """(url, drop) of an empty database of `backend`: a file, or a PostgreSQL database of its own."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'c.db'}", lambda: None
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set")
    admin, name = db.make_engine(base, isolation_level="AUTOCOMMIT"), f"radnac_mig_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(db.normalise_url(base)).set(database=name).render_as_string(hide_password=False), drop
