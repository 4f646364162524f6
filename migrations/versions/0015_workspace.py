"""the workspace, second pass (issue #19)

- leadnote: follow-ups can be marked done (when, by whom), and one author's follow-ups are read in date order
  ("My follow-ups").

Revision ID: 0015
Revises: 0010
Create Date: 2026-12-02 01:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0015"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("leadnote", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_up_done_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("follow_up_done_by", sa.String(length=254), nullable=True))
        batch_op.create_index("ix_leadnote_author_follow_up", ["author", "follow_up_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("leadnote", schema=None) as batch_op:
        batch_op.drop_index("ix_leadnote_author_follow_up")
        batch_op.drop_column("follow_up_done_by")
        batch_op.drop_column("follow_up_done_at")
