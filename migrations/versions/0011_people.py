"""people: one data subject behind every lead (issue #15)

- `person` (found by the normalised email: NFKC, casefold, trimmed) holds what belongs to the person: consent
  history, restriction, objection, a pending erasure. `lead.person_id` files each lead under one; `personlink`
  keeps staff's attach/detach decisions and their reasons.
- Existing leads are grouped into people by normalised email. Flags carry over; where two leads of one person
  disagree, the more protective state wins (restricted / erasure pending if any lead was; a withdrawal if one
  lead's latest marketing choice was a grant and another's a withdrawal: a withdrawal is recorded now, so the
  grant cannot outrank it). The migration prints how many disagreements it found.
- `consentrecord.person_id` (the person's), `lead_id` kept only as where it was recorded (SET NULL).
- `quarantinedentity.email_key`: the address in a quarantined entity, so erasure and access find it.
- `rightsrequest.closed_at` / `outlined_at`: the request's own retention row (3 years after closing, then an
  outline). Existing closed requests start at midnight UTC of their closing day: earlier, never later.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 01:18:57.925120
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")
SQLITE_FK = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
EMAILISH = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
ACTOR = "system:migration-0011"


def _key(email: str | None) -> str | None:
    """leads.rules.people.normalise_email as of this migration (frozen here: migrations never import app code)."""
    if email is None:
        return None
    return unicodedata.normalize("NFKC", email).casefold().strip()[:254] or None


def upgrade() -> None:
    _schema_before_data()
    now = datetime.now(UTC)
    disagreements = _group_leads_into_people(now)
    _backfill_quarantine_and_requests()
    _schema_after_data()
    message = f"0011 people: {disagreements} disagreement(s) between leads of one person; the more protective won"
    log.info(message)
    print(message)  # the operator running `db upgrade` must see it


def _schema_before_data() -> None:
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_key", sa.String(length=254), nullable=True),
        sa.Column("processing_restricted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("objected", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("erasure_pending", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email_key"),
    )
    op.create_table(
        "personlink",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("from_person_id", sa.Integer(), nullable=True),
        sa.Column("to_person_id", sa.Integer(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("personlink", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_personlink_lead_id"), ["lead_id"], unique=False)
    # Never recreate `lead` on SQLite: dropping it, even to copy it, runs its ON DELETE CASCADE actions (notes,
    # consent, lists, links would all go). Columns are added and dropped in place instead.
    if _sqlite():
        columns = {row[1] for row in op.get_bind().execute(sa.text("PRAGMA table_info(lead)"))}
        if "person_id" not in columns:  # a SQLite downgrade leaves it (emptied): it cannot drop it in place
            op.execute("ALTER TABLE lead ADD COLUMN person_id INTEGER REFERENCES person (id)")
    else:
        op.add_column("lead", sa.Column("person_id", sa.Integer(), nullable=True))
        op.create_foreign_key(_fk_name("lead", "person_id", "person"), "lead", "person", ["person_id"], ["id"])
    op.add_column("lead", sa.Column("person_pinned", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("consentrecord", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("quarantinedentity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_key", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True))
        batch_op.create_index(batch_op.f("ix_quarantinedentity_email_key"), ["email_key"], unique=False)
    with op.batch_alter_table("rightsrequest", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("outlined_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_rightsrequest_closed_at"), ["closed_at"], unique=False)


def _group_leads_into_people(now: datetime) -> int:
    """Make one person per normalised email (one each for leads without one), file every lead under it, carry
    the flags over (any lead's wins) and the consent history; returns how many disagreements were found."""
    bind = op.get_bind()
    groups: dict[str | None, list[tuple[int, bool, bool]]] = defaultdict(list)
    rows = bind.execute(sa.text("SELECT id, email, processing_restricted, erasure_pending FROM lead ORDER BY id"))
    loners = []
    for lead_id, email, restricted, erasing in rows:
        key = _key(email)
        (groups[key] if key else loners).append((lead_id, bool(restricted), bool(erasing)))
    disagreements = 0
    people = [*groups.items(), *((None, [lead]) for lead in loners)]
    for key, leads in people:
        restricted, erasing = {lead[1] for lead in leads}, {lead[2] for lead in leads}
        disagreements += (len(restricted) > 1) + (len(erasing) > 1)
        person_id = bind.execute(
            sa.text(
                "INSERT INTO person (email_key, processing_restricted, objected, erasure_pending, created_at) "
                "VALUES (:key, :restricted, false, :erasing, :now) RETURNING id"
            ),
            {"key": key, "restricted": True in restricted, "erasing": True in erasing, "now": now},
        ).scalar_one()
        ids = [lead[0] for lead in leads]
        bind.execute(sa.text("UPDATE lead SET person_id = :p WHERE id = :id"), [{"p": person_id, "id": i} for i in ids])
        bind.execute(
            sa.text("UPDATE consentrecord SET person_id = :p WHERE lead_id = :id"),
            [{"p": person_id, "id": i} for i in ids],
        )
        if len(leads) > 1:
            disagreements += _protect_consent(bind, person_id, now)
    return disagreements


def _protect_consent(bind: sa.Connection, person_id: int, now: datetime) -> int:
    """For each purpose where one lead's latest choice was a grant and another's a withdrawal, make sure the
    person's latest is a withdrawal (recording one now if a grant came last). Returns the disagreements."""
    rows = bind.execute(
        sa.text("SELECT id, lead_id, purpose, granted, at FROM consentrecord WHERE person_id = :p"), {"p": person_id}
    ).all()
    found = 0
    for purpose in {row.purpose for row in rows}:
        mine = [row for row in rows if row.purpose == purpose]
        latest_per_lead: dict[int, object] = {}
        for row in sorted(mine, key=_order):
            latest_per_lead[row.lead_id] = row
        if len({row.granted for row in latest_per_lead.values()}) < 2:
            continue
        found += 1
        withdrew = next(lead_id for lead_id, row in latest_per_lead.items() if not row.granted)
        latest = max(mine, key=_order)
        if latest.granted:
            # Dated now, but never before the grant it must outrank: a clock behind the records (or records
            # dated ahead) would otherwise leave the grant latest; at the same moment the withdrawal wins.
            granted_at = _order(latest)[0]
            at = max(now, granted_at if granted_at.tzinfo else granted_at.replace(tzinfo=UTC))
            bind.execute(
                sa.text(
                    "INSERT INTO consentrecord (person_id, lead_id, purpose, granted, at, method, evidence, "
                    "wording_version, recorded_by, created_at) VALUES (:p, :lead, :purpose, false, :at, 'other', "
                    ":evidence, 'migration 0011', :actor, :now)"
                ),
                {
                    "p": person_id,
                    "lead": withdrew,  # lead_id is still NOT NULL here: filed on the lead that withdrew
                    "purpose": purpose,
                    "at": at,
                    "now": now,
                    "actor": ACTOR,
                    "evidence": "Leads of this person disagreed (one granted, one withdrawn) when consent moved from "
                    "leads to people; the more protective choice, the withdrawal, was kept.",
                },
            )
    return found


def _order(row: object) -> tuple:
    at = row.at if isinstance(row.at, datetime) else datetime.fromisoformat(str(row.at))  # SQLite hands back text
    return (at.replace(tzinfo=at.tzinfo or UTC), row.id, not row.granted)


def _backfill_quarantine_and_requests() -> None:
    bind = op.get_bind()
    # The raw JSON is scanned as text: an address nested in a JSON string is found all the same.
    for row_id, raw in bind.execute(sa.text("SELECT id, raw FROM quarantinedentity")).all():
        found = next((_key(m.strip("\"'{}[],:;<>")) for m in EMAILISH.findall(raw or "")), None)
        if found:
            bind.execute(
                sa.text("UPDATE quarantinedentity SET email_key = :k WHERE id = :id"), {"k": found, "id": row_id}
            )
    for row_id, closed_on in bind.execute(
        sa.text("SELECT id, closed_on FROM rightsrequest WHERE closed_on IS NOT NULL")
    ):
        day = closed_on if not isinstance(closed_on, str) else datetime.fromisoformat(closed_on).date()
        at = datetime(day.year, day.month, day.day, tzinfo=UTC)
        bind.execute(sa.text("UPDATE rightsrequest SET closed_at = :at WHERE id = :id"), {"at": at, "id": row_id})


def _fk_name(table: str, column: str, referred: str) -> str:
    if op.get_bind().dialect.name == "postgresql":
        return f"{table}_{column}_fkey"
    return SQLITE_FK["fk"] % {"table_name": table, "column_0_name": column, "referred_table_name": referred}


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _consentrecord(*, people: bool) -> list[sa.SchemaItem]:
    """consentrecord as this migration leaves it (`people`), or as 0010 had it."""
    columns: list[sa.SchemaItem] = [sa.Column("id", sa.Integer(), nullable=False)]
    if people:
        columns += [
            sa.Column("person_id", sa.Integer(), nullable=False),
            sa.Column("lead_id", sa.Integer(), nullable=True),
            sa.ForeignKeyConstraint(["lead_id"], ["lead.id"], ondelete="SET NULL"),
            sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        ]
    else:
        columns += [
            sa.Column("lead_id", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(["lead_id"], ["lead.id"], ondelete="CASCADE"),
        ]
    return [
        *columns,
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("wording_version", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["recorded_by_user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    ]


def _rebuild_consentrecord_on_sqlite(*, people: bool) -> None:
    """SQLite cannot alter a column or a foreign key in place, and copying a table drops the old one, which with
    foreign keys on deletes (or fails on) every row pointing at it. So, as SQLite's own procedure says: foreign
    keys off, which only takes effect outside a transaction (so on SQLite this step commits what came before it,
    and the migration is not one transaction: back the file up first, as for any upgrade), rename the old table away without rewriting who points at it
    (legacy rename), build the new one under the name they point at, copy, drop the old, check, keys back on."""
    kept = "id, lead_id, purpose, granted, at, method, evidence, wording_version, recorded_by_user_id, recorded_by"
    kept += ", created_at" + (", person_id" if people else "")
    bind = op.get_bind()
    if bind.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys = OFF")
    op.execute("PRAGMA legacy_alter_table = ON")
    op.drop_index(
        "ix_consentrecord_person_purpose_at" if not people else "ix_consentrecord_lead_purpose_at", "consentrecord"
    )
    if not people:
        op.drop_index("ix_consentrecord_lead_id", "consentrecord")
    op.execute("ALTER TABLE consentrecord RENAME TO _old_consentrecord")
    op.create_table("consentrecord", *_consentrecord(people=people))
    copy = f"INSERT INTO consentrecord ({kept}) SELECT {kept} FROM _old_consentrecord"  # noqa: S608 # nosec B608 # our own column names
    op.execute(copy)
    op.execute("DROP TABLE _old_consentrecord")
    op.execute("PRAGMA legacy_alter_table = OFF")
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"0011: foreign keys broken by the consentrecord copy: {broken[:5]}")
    if bind.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys = ON")


def _schema_after_data() -> None:
    if _sqlite():
        _rebuild_consentrecord_on_sqlite(people=True)
    else:
        op.alter_column("consentrecord", "person_id", existing_type=sa.Integer(), nullable=False)
        op.alter_column("consentrecord", "lead_id", existing_type=sa.INTEGER(), nullable=True)
        op.drop_index("ix_consentrecord_lead_purpose_at", "consentrecord")
        op.drop_constraint("consentrecord_lead_id_fkey", "consentrecord", type_="foreignkey")
        op.create_foreign_key(
            "consentrecord_lead_id_fkey", "consentrecord", "lead", ["lead_id"], ["id"], ondelete="SET NULL"
        )
        op.create_foreign_key(
            "consentrecord_person_id_fkey", "consentrecord", "person", ["person_id"], ["id"], ondelete="CASCADE"
        )
    op.create_index("ix_consentrecord_lead_id", "consentrecord", ["lead_id"], unique=False)
    op.create_index("ix_consentrecord_person_purpose_at", "consentrecord", ["person_id", "purpose", "at"], unique=False)
    op.create_index("ix_lead_person_id", "lead", ["person_id"], unique=False)
    op.drop_column("lead", "erasure_pending")  # in place (SQLite 3.35+ ALTER TABLE DROP COLUMN), never a copy
    op.drop_column("lead", "processing_restricted")


def downgrade() -> None:
    op.add_column("lead", sa.Column("processing_restricted", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("lead", sa.Column("erasure_pending", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(
        "UPDATE lead SET processing_restricted = (SELECT processing_restricted FROM person WHERE person.id = "
        "lead.person_id), erasure_pending = (SELECT erasure_pending FROM person WHERE person.id = lead.person_id) "
        "WHERE person_id IS NOT NULL"
    )
    # Consent recorded on a person's page (no lead) goes onto each of their leads, so no withdrawal is lost.
    op.execute(
        "INSERT INTO consentrecord (person_id, lead_id, purpose, granted, at, method, evidence, wording_version, "
        "recorded_by_user_id, recorded_by, created_at) SELECT c.person_id, l.id, c.purpose, c.granted, c.at, c.method, "
        "c.evidence, c.wording_version, c.recorded_by_user_id, c.recorded_by, c.created_at FROM consentrecord c "
        "JOIN lead l ON l.person_id = c.person_id WHERE c.lead_id IS NULL"
    )
    op.execute("DELETE FROM consentrecord WHERE lead_id IS NULL")
    op.drop_index("ix_lead_person_id", table_name="lead")
    op.drop_column("lead", "person_pinned")
    if _sqlite():  # a column with a REFERENCES clause cannot be dropped in place; the copy must not cascade
        op.execute("PRAGMA defer_foreign_keys = ON")
        op.execute("UPDATE lead SET person_id = NULL")
    else:
        op.drop_constraint(_fk_name("lead", "person_id", "person"), "lead", type_="foreignkey")
        op.drop_column("lead", "person_id")
    if _sqlite():
        _rebuild_consentrecord_on_sqlite(people=False)
    else:
        op.drop_index("ix_consentrecord_person_purpose_at", "consentrecord")
        op.drop_index("ix_consentrecord_lead_id", "consentrecord")
        op.drop_constraint("consentrecord_person_id_fkey", "consentrecord", type_="foreignkey")
        op.drop_constraint("consentrecord_lead_id_fkey", "consentrecord", type_="foreignkey")
        op.create_foreign_key(
            "consentrecord_lead_id_fkey", "consentrecord", "lead", ["lead_id"], ["id"], ondelete="CASCADE"
        )
        op.alter_column("consentrecord", "lead_id", existing_type=sa.INTEGER(), nullable=False)
        op.drop_column("consentrecord", "person_id")
    op.create_index("ix_consentrecord_lead_purpose_at", "consentrecord", ["lead_id", "purpose", "at"], unique=False)
    with op.batch_alter_table("rightsrequest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rightsrequest_closed_at"))
        batch_op.drop_column("outlined_at")
        batch_op.drop_column("closed_at")
    with op.batch_alter_table("quarantinedentity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantinedentity_email_key"))
        batch_op.drop_column("email_key")
    with op.batch_alter_table("personlink", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_personlink_lead_id"))
    op.drop_table("personlink")
    op.drop_table("person")
