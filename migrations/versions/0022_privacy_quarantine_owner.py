"""privacy quarantine owner: a quarantined entity belongs to its own address, or to whom staff confirm (#29)

`quarantinedentity.email_key` held the first address found anywhere in the entity, so a Description saying
"referred by ada@..." filed Bob's entity under Ada. It now holds the entity's own customer address (its
`Email` field), recomputed here for the rows already held; `person_id` records whose staff confirmed an entity
is when it only mentions someone.

Revision ID: 0022_privacy_quarantine_owner
Revises: 0021_pg_pages
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from leads.rules import intake
from leads.rules.people import normalise_email

revision: str = "0022_privacy_quarantine_owner"
down_revision: str | None = "0021_pg_pages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("quarantinedentity") as batch:
        batch.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        batch.create_index("ix_quarantinedentity_person_id", ["person_id"], unique=False)
        batch.create_foreign_key(
            "fk_quarantinedentity_person_id_person", "person", ["person_id"], ["id"], ondelete="SET NULL"
        )
    table = sa.table("quarantinedentity", sa.column("id", sa.Integer), sa.column("raw", sa.Text),
                     sa.column("email_key", sa.String))  # fmt: skip
    connection = op.get_bind()
    for row_id, raw in connection.execute(sa.select(table.c.id, table.c.raw)).all():
        key = normalise_email(intake.own_email(_properties(raw)))
        connection.execute(sa.update(table).where(table.c.id == row_id).values(email_key=key))


def _properties(raw: str) -> dict:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def downgrade() -> None:
    with op.batch_alter_table("quarantinedentity") as batch:
        batch.drop_constraint("fk_quarantinedentity_person_id_person", type_="foreignkey")
        batch.drop_index("ix_quarantinedentity_person_id")
        batch.drop_column("person_id")
