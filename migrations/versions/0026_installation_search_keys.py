"""installation search keys: folded, indexed copies of the searched names (issue #33)

The installations search read every installation (`lower(column) LIKE ? || '%'` can use no index): 2-4 s at a
million. Each installation now keeps its application name, resource group and subscription, and its linked
lead's name, surname and company, folded by the leads search's own `search_key`, each indexed, so a search is
a prefix range on an index. Backfilled here with the app's fold; an unlinked installation's lead keys are "".

Revision ID: 0026_installation_search_keys
Revises: 0025_export_delivery
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from leads.models.install import linked_lead_keys, own_keys
from leads.models.lead import Lead

revision: str = "0026_installation_search_keys"
down_revision: str | None = "0025_export_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = ("application_key", "group_key", "subscription_key", "lead_name_key", "lead_last_key", "lead_company_key")
KEY_TYPE = sa.String(length=300).with_variant(sa.String(length=300, collation="C"), "postgresql")
BATCH = 5_000
INSTALLATION = sa.table(
    "installation",
    *(sa.column(name) for name in ("id", "application_name", "resource_group", "subscription_id", "lead_id")),
    *(sa.column(name) for name in KEYS),
)
LEAD = sa.table("lead", *(sa.column(name) for name in ("id", "first_name", "last_name", "company")))


def upgrade() -> None:
    # Plain ADD COLUMN (no batch): a batch on SQLite may copy the table, and dropping the old one fails while
    # notifications, grants and holds refer to it.
    for name in KEYS:
        op.add_column("installation", sa.Column(name, KEY_TYPE, server_default="", nullable=False))
    _backfill()
    for name in KEYS:
        op.create_index(f"ix_installation_{name}", "installation", [name], unique=False)


def _backfill() -> None:
    """Every installation's keys as the app computes them (`own_keys`, `linked_lead_keys`), in batches by id."""
    bind, after = op.get_bind(), 0
    names = (INSTALLATION.c.application_name, INSTALLATION.c.resource_group, INSTALLATION.c.subscription_id)
    lead = (LEAD.c.first_name, LEAD.c.last_name, LEAD.c.company)
    joined = INSTALLATION.outerjoin(LEAD, LEAD.c.id == INSTALLATION.c.lead_id)
    while True:
        query = (
            sa.select(INSTALLATION.c.id, *names, LEAD.c.id, *lead)
            .select_from(joined)
            .where(INSTALLATION.c.id > after)
            .order_by(INSTALLATION.c.id)
            .limit(BATCH)
        )
        rows = bind.execute(query).all()
        if not rows:
            return
        updates = []
        for row in rows:
            linked = Lead(first_name=row[5], last_name=row[6], company=row[7]) if row[4] is not None else None
            keys = {
                **own_keys(application_name=row[1], resource_group=row[2], subscription_id=row[3]),
                **linked_lead_keys(linked),
            }
            updates.append({"row_id": row[0], **keys})
        statement = sa.update(INSTALLATION).where(INSTALLATION.c.id == sa.bindparam("row_id"))
        bind.execute(statement.values({name: sa.bindparam(name) for name in KEYS}), updates)
        after = rows[-1][0]


def downgrade() -> None:
    for name in KEYS:
        op.drop_index(f"ix_installation_{name}", table_name="installation")
        op.drop_column("installation", name)
