"""installation key order: each search key indexed with the list's newest-first order (issue #33)

The six folded search keys (migration 0026) were indexed alone, so a search with a few thousand matches (a
common surname at a million: 3,300-8,300) read every match's row from the table, by its id, for the page's
sort key: 10-25 ms of SQL. Indexed as (key, last_event_at, id), each key's matches and their sort keys for
the list's default newest-first order come from that index alone (leads.workspace.installlist reads each key's
range on its own and unites them, as an OR of the six cannot read an index alone on SQLite).

Revision ID: 0029_installation_key_order
Revises: 0028_consent_correction
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0029_installation_key_order"
down_revision: str | None = "0028_consent_correction"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here (migrations never import app code); the model declares the same (leads.models.install).
KEYS = ("application_key", "group_key", "subscription_key", "lead_name_key", "lead_last_key", "lead_company_key")


def upgrade() -> None:
    for name in KEYS:
        op.create_index(f"ix_installation_{name}_last_event", "installation", [name, "last_event_at", "id"])
        op.drop_index(f"ix_installation_{name}", table_name="installation")


def downgrade() -> None:
    for name in KEYS:
        op.create_index(f"ix_installation_{name}", "installation", [name], unique=False)
        op.drop_index(f"ix_installation_{name}_last_event", table_name="installation")
