"""privacy page: one-time codes (hashed) and where each rights request came from

The person's own privacy page (issue #35) emails a one-time code: `privacycode` keeps only keyed hashes of the
address and the code, deleted when used or expired. `rightsrequest.source` says whether a request was typed in
by staff (every existing one) or made on the privacy page.

Revision ID: 0024_privacy_page
Revises: 0023_marketing_mail
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0024_privacy_page"
down_revision: str | None = "0023_marketing_mail"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "privacycode",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("privacycode") as batch:
        batch.create_index("ix_privacycode_address_hash", ["address_hash"], unique=False)
        batch.create_index("ix_privacycode_expires_at", ["expires_at"], unique=False)
    with op.batch_alter_table("rightsrequest") as batch:
        batch.add_column(
            sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=20), server_default="staff", nullable=False)
        )


def downgrade() -> None:
    # In place, not a batch copy: copying `rightsrequest` on SQLite drops the table its steps point at.
    op.execute("ALTER TABLE rightsrequest DROP COLUMN source")
    op.drop_table("privacycode")
