"""the workspace, second pass (issue #19)

- leadnote: follow-ups can be marked done (when, by whom), and one author's follow-ups are read in date order
  ("My follow-ups").
- savedview: a member of staff's named filters and sort for the leads or installations list.
- lead: search keys now fold accents as well as case ("lefevre" finds Lefèvre); existing rows' keys are
  recomputed, in batches by id, with the same function the app uses on every insert and update.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 01:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from leads.models.lead import search_keys

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("leadnote", schema=None) as batch_op:
        batch_op.add_column(sa.Column("follow_up_done_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("follow_up_done_by", sa.String(length=254), nullable=True))
        batch_op.create_index("ix_leadnote_author_follow_up", ["author", "follow_up_on"], unique=False)
    op.create_table(
        "savedview",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("page", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("query", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "page", "name", name="uq_savedview_user_page_name"),
    )
    with op.batch_alter_table("savedview", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_savedview_user_id"), ["user_id"], unique=False)
    _recompute_search_keys()


BATCH = 5_000
LEAD = sa.table(
    "lead",
    *(sa.column(name) for name in ("id", "first_name", "last_name", "email", "company")),
    *(sa.column(name) for name in ("name_key", "last_key", "email_key", "company_key")),
)


def _recompute_search_keys() -> None:
    """Every lead's keys as `search_keys` computes them now; only rows whose keys change are written."""
    bind, after = op.get_bind(), 0
    fields = (LEAD.c.first_name, LEAD.c.last_name, LEAD.c.email, LEAD.c.company)
    keys = (LEAD.c.name_key, LEAD.c.last_key, LEAD.c.email_key, LEAD.c.company_key)
    while True:
        query = sa.select(LEAD.c.id, *fields, *keys).where(LEAD.c.id > after).order_by(LEAD.c.id).limit(BATCH)
        rows = bind.execute(query).all()
        if not rows:
            return
        for row in rows:
            new = search_keys(first_name=row[1], last_name=row[2], email=row[3], company=row[4])
            if tuple(new.values()) != tuple(row[5:]):
                bind.execute(sa.update(LEAD).where(LEAD.c.id == row[0]).values(**new))
        after = rows[-1][0]


def downgrade() -> None:
    op.drop_table("savedview")
    with op.batch_alter_table("leadnote", schema=None) as batch_op:
        batch_op.drop_index("ix_leadnote_author_follow_up")
        batch_op.drop_column("follow_up_done_by")
        batch_op.drop_column("follow_up_done_at")
