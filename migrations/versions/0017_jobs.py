"""jobs: a record of every job run replaces the lease row (issue #22)

The sweeper's exclusion is now a lock the database or kernel drops with a dead holder (leads/jobs/locks.py),
so `joblease`, whose expiry kept a killed sweeper's successors out for ten minutes, goes; `jobrun` records
who ran each job, when, what it did and how it ended.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jobrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("counts", sa.Text(), nullable=True),
        sa.Column("error_class", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("late", sa.Integer(), nullable=False),
        sa.Column("most_late_seconds", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("jobrun", schema=None) as batch_op:
        batch_op.create_index("ix_jobrun_job_started", ["job", "started_at"], unique=False)
    op.drop_table("joblease")


def downgrade() -> None:
    op.create_table(
        "joblease",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("jobrun", schema=None) as batch_op:
        batch_op.drop_index("ix_jobrun_job_started")
    op.drop_table("jobrun")
