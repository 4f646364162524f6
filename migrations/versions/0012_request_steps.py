"""rights requests that cannot reach the wrong person (issue #16)

- requeststep: each step taken on a request (what, when, who, the day it took effect), for its history.
- requestlead.override_reason / override_evidence: a lead linked that the register did not match.
- rightsrequest.exemption: what kept data an erasure request was completed without erasing;
  rightsrequest.identity_requested_on: the day proof was asked for (proof cannot arrive before it).
- rectification.source_value / superseded_*: a correction a later sync must not undo, until the source changes.
- sourcecorrection: rectifications still to write to the source Azure Table row, retried until they are.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 01:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "requeststep",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["rightsrequest.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("requeststep", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_requeststep_request_id"), ["request_id"], unique=False)
    op.create_table(
        "sourcecorrection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partition_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("row_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("requestlead", schema=None) as batch_op:
        batch_op.add_column(sa.Column("override_reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))
        batch_op.add_column(sa.Column("override_evidence", sa.Text(), nullable=True))
    with op.batch_alter_table("rightsrequest", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exemption", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("identity_requested_on", sa.Date(), nullable=True))
    with op.batch_alter_table("rectification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_value", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))
        batch_op.add_column(sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("superseded_value", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rectification", schema=None) as batch_op:
        batch_op.drop_column("superseded_value")
        batch_op.drop_column("superseded_at")
        batch_op.drop_column("source_value")
    with op.batch_alter_table("rightsrequest", schema=None) as batch_op:
        batch_op.drop_column("identity_requested_on")
        batch_op.drop_column("exemption")
    with op.batch_alter_table("requestlead", schema=None) as batch_op:
        batch_op.drop_column("override_evidence")
        batch_op.drop_column("override_reason")
    op.drop_table("sourcecorrection")
    with op.batch_alter_table("requeststep", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_requeststep_request_id"))
    op.drop_table("requeststep")
