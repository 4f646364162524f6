"""person consent: each consent purpose's current state stored on the person (issue #33)

The leads list's consent filter decided every candidate lead's person's latest consent record with two
correlated subqueries (88 ms for "withdrawn + France" at a million on SQLite). The person now keeps each
purpose's state ("granted", "withdrawn" or "none"), recounted by the one writer of consent records
(`leads.people.consents`); backfilled here from every person's records with the same rule. The list's filter
reads the people in one state from `ix_person_marketing_consent`.

Revision ID: 0027_person_consent
Revises: 0026_installation_search_keys
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

import sqlalchemy as sa
from alembic import op

from leads.models import CONSENT_COLUMNS, ConsentRecord
from leads.people.consents import current

revision: str = "0027_person_consent"
down_revision: str | None = "0026_installation_search_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIELDS = ("id", "person_id", "purpose", "granted", "at", "method", "evidence", "wording_version", "recorded_by")
PERSON = sa.table("person", sa.column("id"), *(sa.column(name) for name in CONSENT_COLUMNS.values()))


def upgrade() -> None:
    # Plain ADD COLUMN (no batch): a batch on SQLite copies the table, and dropping the old one fails while
    # leads refer to it.
    for name in CONSENT_COLUMNS.values():
        op.add_column("person", sa.Column(name, sa.String(length=10), server_default="none", nullable=False))
    _backfill()
    op.create_index("ix_person_marketing_consent", "person", ["marketing_consent", "id"], unique=False)


def _backfill() -> None:
    """The state of every person with a consent record, as `people.consents.current` decides it."""
    bind = op.get_bind()
    table = ConsentRecord.__table__  # type: ignore[attr-defined]
    query = sa.select(*(table.c[name] for name in FIELDS)).order_by(table.c.person_id, table.c.id)
    rows = bind.execute(query).mappings()
    updates = []
    for person_id, records in groupby(rows, key=lambda row: row["person_id"]):
        history = [ConsentRecord(**record) for record in records]
        updates.append({"person": person_id, **current(history)})
    if updates:
        statement = sa.update(PERSON).where(PERSON.c.id == sa.bindparam("person"))
        bind.execute(statement.values({name: sa.bindparam(name) for name in CONSENT_COLUMNS.values()}), updates)


def downgrade() -> None:
    op.drop_index("ix_person_marketing_consent", table_name="person")
    for name in CONSENT_COLUMNS.values():
        op.drop_column("person", name)
