"""export deliveries: the person's emailed download link for a completed access or portability request

When staff complete an access or portability request made on the privacy page (issue #35), the bundle is
prepared into the export cache and the person is emailed a link. `exportdelivery` keeps a hash of the link's
token, the cache file's random name, its expiry (7 days) and how many downloads it has served (at most 3); the
row and the file are destroyed together.

Revision ID: 0025_export_delivery
Revises: 0024_privacy_page
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0025_export_delivery"
down_revision: str | None = "0024_privacy_page"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exportdelivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["rightsrequest.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("exportdelivery") as batch:
        batch.create_index("ix_exportdelivery_request_id", ["request_id"], unique=False)
        batch.create_index("ix_exportdelivery_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_table("exportdelivery")
