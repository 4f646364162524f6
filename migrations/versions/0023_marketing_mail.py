"""marketing mail: mailings written for a list, one message per person with its outcome, undeliverable addresses

The app now sends marketing email itself (issue #34): `mailing` holds what staff wrote for a list, and
`mailingmessage` each person's copy from queued to sent, refused by the consent gate, bounced or failed, with
what was sent (lead data: it goes with the lead). `person.undeliverable_at` records a hard bounce.

Revision ID: 0023_marketing_mail
Revises: 0022_privacy_quarantine_owner
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0023_marketing_mail"
down_revision: str | None = "0022_privacy_quarantine_owner"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mailing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=True),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by_user_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["list_id"], ["marketinglist.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mailing") as batch:
        batch.create_index("ix_mailing_list_id", ["list_id"], unique=False)
    op.create_table(
        "mailingmessage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailing_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("to_address", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consent_record_id", sa.Integer(), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["consent_record_id"], ["consentrecord.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["mailing_id"], ["mailing.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mailingmessage") as batch:
        batch.create_index("ix_mailingmessage_mailing_id", ["mailing_id"], unique=False)
        batch.create_index("ix_mailingmessage_lead_id", ["lead_id"], unique=False)
        batch.create_index("ix_mailingmessage_status_next", ["status", "next_attempt_at"], unique=False)
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("undeliverable_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_table("mailingmessage")
    op.drop_table("mailing")
    # Not a batch copy on SQLite: copying `person` drops the table every lead points at (foreign keys on). A
    # plain column without a constraint drops in place there (SQLite 3.35+) as everywhere.
    op.execute("ALTER TABLE person DROP COLUMN undeliverable_at")
