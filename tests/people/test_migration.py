"""Migration 0011: existing leads grouped into people by normalised email, the more protective state winning."""

from __future__ import annotations

from datetime import timedelta

from alembic import command
from sqlalchemy import text

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
