"""install plan index: the installations list filtered by plan or permission model reads an index in order (#21)

(plan_name, last_event_at, id): one plan's installations newest first come out of the index sorted, so the
page stops at 26 rows and the capped count reads the index alone; the permission-model filter reads its plans
one at a time through it (leads.crm.installlist). At a million installations on SQLite each page read half a
million rows into a temporary sort (367-403 ms, BENCHMARKS.md).

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


def upgrade() -> None:
    op.create_index(
        "ix_installation_plan_last_event", "installation", ["plan_name", "last_event_at", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_installation_plan_last_event", table_name="installation")
