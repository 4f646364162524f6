"""install search: the installations list's plan and permission-model filters read an index (issue #21)

(plan_name, last_event_at, id): one plan's installations come out in the list's newest-first order, so the
page stops after a page and the capped count reads the index alone, where both walked the million-row
last_event_at index checking each row's plan (bench/NOTES.md, "The installations list at a million").

Revision ID: 0020_install_search
Revises: 0019_list_indexes
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0020_install_search"
down_revision: str | None = "0019_list_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here (migrations never import app code); the model declares the same (leads.models.install).
INDEXES: dict[str, tuple[str, ...]] = {
    "ix_installation_plan_last_event": ("plan_name", "last_event_at", "id"),
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "installation", list(columns), unique=False)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="installation")
