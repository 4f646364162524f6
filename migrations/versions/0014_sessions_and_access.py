"""sessions that end, forced password changes, and the audit page's indexes (issue #18)

- user.session_version: raised to end every session of a user at once (logout, password, role, deactivation);
  a session carries the version it was opened with and the user loader refuses any other.
- user.must_change_password: set when an admin resets a password; the user must choose a new one at next login.
- auditevent (at, id), (actor_user_id, at, id), (record_type, record_id, at, id): the audit page pages newest
  first by (at, id) under each filter without sorting millions of events. Plain CREATE INDEX, never a batch
  rebuild: rebuilding auditevent on SQLite would drop its append-only triggers (0006).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 01:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUDIT_INDEXES = {
    "ix_auditevent_at_id": ["at", "id"],
    "ix_auditevent_actor_at_id": ["actor_user_id", "at", "id"],
    "ix_auditevent_record_at_id": ["record_type", "record_id", "at", "id"],
}


def upgrade() -> None:
    op.add_column("user", sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))
    op.add_column("user", sa.Column("must_change_password", sa.Boolean(), server_default="0", nullable=False))
    for name, columns in AUDIT_INDEXES.items():
        op.create_index(name, "auditevent", columns, unique=False)


def downgrade() -> None:
    for name in AUDIT_INDEXES:
        op.drop_index(name, table_name="auditevent")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
        batch_op.drop_column("session_version")
