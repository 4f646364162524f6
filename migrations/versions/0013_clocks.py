"""clocks that cannot be stretched, and destruction that sticks (issue #17)

- quarantinedentity.clock_started_at: a quarantined entity's 3-year clock (the earliest of its readable
  CreatedTime, first sight and Timestamp), kept when it is fixed and becomes a lead; existing rows start at
  their first sight, as the sweeper counted them until now.
- installation.clock_started_at: the soonest 90-day clock of any of its deployments (each deployment's
  notifications go 90 days after its own uninstall); existing rows take their uninstalled_at, the one clock
  they had.
- tombstone.covers_until: an installation's tombstone says up to which event time its notifications were
  destroyed, so a redelivered notification of a destroyed deployment is acknowledged and not stored.
- keyfingerprint: the fingerprint of TOMBSTONE_KEY, so the app refuses to start when the key changed while
  tombstones exist.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 01:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "keyfingerprint",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("quarantinedentity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clock_started_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE quarantinedentity SET clock_started_at = first_seen_at")
    with op.batch_alter_table("quarantinedentity", schema=None) as batch_op:
        batch_op.alter_column("clock_started_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index(batch_op.f("ix_quarantinedentity_clock_started_at"), ["clock_started_at"], unique=False)
    with op.batch_alter_table("installation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clock_started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_installation_clock_started_at"), ["clock_started_at"], unique=False)
    op.execute("UPDATE installation SET clock_started_at = uninstalled_at")
    with op.batch_alter_table("tombstone", schema=None) as batch_op:
        batch_op.add_column(sa.Column("covers_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_table("keyfingerprint")
    with op.batch_alter_table("tombstone", schema=None) as batch_op:
        batch_op.drop_column("covers_until")
    with op.batch_alter_table("installation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_installation_clock_started_at"))
        batch_op.drop_column("clock_started_at")
    with op.batch_alter_table("quarantinedentity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantinedentity_clock_started_at"))
        batch_op.drop_column("clock_started_at")
