"""consent: consent records, marketing lists and members, marketing emails; lead rights flags

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 08:18:34.998027
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "marketinglist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "consentrecord",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("wording_version", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consentrecord", schema=None) as batch_op:
        batch_op.create_index("ix_consentrecord_lead_purpose_at", ["lead_id", "purpose", "at"], unique=False)

    op.create_table(
        "marketingemail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=True),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("consent_record_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["consent_record_id"], ["consentrecord.id"]),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["list_id"], ["marketinglist.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["recorded_by_user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("marketingemail", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_marketingemail_consent_record_id"), ["consent_record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_marketingemail_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_marketingemail_sent_at"), ["sent_at"], unique=False)

    op.create_table(
        "marketinglistmember",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by_user_id", sa.Integer(), nullable=True),
        sa.Column("added_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("consent_record_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["added_by_user_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["consent_record_id"], ["consentrecord.id"]),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["list_id"], ["marketinglist.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("list_id", "lead_id", name="uq_marketinglistmember_list_lead"),
    )
    with op.batch_alter_table("marketinglistmember", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_marketinglistmember_consent_record_id"), ["consent_record_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_marketinglistmember_lead_id"), ["lead_id"], unique=False)

    # Existing leads get False: nobody has asked for restriction or erasure through the app yet.
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.add_column(sa.Column("processing_restricted", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("erasure_pending", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_column("erasure_pending")
        batch_op.drop_column("processing_restricted")

    with op.batch_alter_table("marketinglistmember", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_marketinglistmember_lead_id"))
        batch_op.drop_index(batch_op.f("ix_marketinglistmember_consent_record_id"))

    op.drop_table("marketinglistmember")
    with op.batch_alter_table("marketingemail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_marketingemail_sent_at"))
        batch_op.drop_index(batch_op.f("ix_marketingemail_lead_id"))
        batch_op.drop_index(batch_op.f("ix_marketingemail_consent_record_id"))

    op.drop_table("marketingemail")
    with op.batch_alter_table("consentrecord", schema=None) as batch_op:
        batch_op.drop_index("ix_consentrecord_lead_purpose_at")

    op.drop_table("consentrecord")
    op.drop_table("marketinglist")
