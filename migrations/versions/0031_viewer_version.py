"""viewer version: one stamp that every write to the staff, the marketing lists or the saved views moves (issue #33)

Every page shows its viewer the same few menus (the staff, the marketing lists, the viewer's saved views); read
afresh they cost a statement or two a page. The app keeps them in a per-process cache keyed by this stamp, which
it reads in the statement it sends anyway (the session's user, `leads.staff.users.load_for_session`), so the
cache is exact in every gunicorn worker at its next request. The database moves the stamp itself, by trigger,
so every writer is caught: the app's services, a bulk UPDATE, a raw SQL console.

The stamp starts at a random value, so a database dropped and created again under the same URL never matches
an entry cached for the old one. The row's update takes the stamp's row lock until the writing transaction
ends: writes to these rarely written tables run one at a time, and a reader sees the new stamp only with the
write it stands for. Writes made with triggers off (PostgreSQL's `session_replication_role = replica`, as the
test cleanup does) do not move it: whoever does that moves the stamp as well.

Revision ID: 0031_viewer_version
Revises: 0030_lead_consent
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031_viewer_version"
down_revision: str | None = "0030_lead_consent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here (migrations never import app code); `leads.workspace.viewer.COVERED` declares the same, and
# tests/workspace/test_viewer.py checks that the database's triggers are exactly these.
# table -> the columns whose update moves the stamp (None: any write)
COVERED: dict[str, tuple[str, ...] | None] = {
    "user": ("id", "email", "active"),  # what the staff menus show: a login's session version does not count
    "marketinglist": None,
    "savedview": None,
}
BUMP = "UPDATE viewerversion SET stamp = stamp + 1 WHERE id = 1"


def _postgresql(table: str, columns: tuple[str, ...] | None) -> list[str]:
    update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
    return [
        f'CREATE TRIGGER {table}_viewer_version AFTER INSERT OR DELETE OR TRUNCATE OR {update} ON "{table}" '
        "FOR EACH STATEMENT EXECUTE FUNCTION viewer_version_bump()"
    ]


def _sqlite(table: str, columns: tuple[str, ...] | None) -> list[str]:
    update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
    return [
        f'CREATE TRIGGER {table}_viewer_version_{event.split()[0].lower()} AFTER {event} ON "{table}" BEGIN {BUMP}; END'
        for event in ("INSERT", "DELETE", update)
    ]


def upgrade() -> None:
    op.create_table(
        "viewerversion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(sa.text("INSERT INTO viewerversion (id, stamp) VALUES (1, :stamp)").bindparams(stamp=_seed()))
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(
            "CREATE FUNCTION viewer_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {BUMP}; RETURN NULL; END; $$"
        )
    for table, columns in COVERED.items():
        for statement in (_postgresql if postgresql else _sqlite)(table, columns):
            op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in COVERED:
        if postgresql:
            op.execute(f'DROP TRIGGER IF EXISTS {table}_viewer_version ON "{table}"')
        else:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_viewer_version_{event}")
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS viewer_version_bump()")
    op.drop_table("viewerversion")


def _seed() -> int:
    """A random start below 2**62: no database made again under the same URL starts where an old one stood,
    and no count of writes reaches the column's bound."""
    return secrets.randbelow(2**62)
