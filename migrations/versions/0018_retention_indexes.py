"""The dashboard at a million leads (issue #21, item 4): an index for its "what happened this week" tiles.

The retention tiles and /retention count on the clock columns' existing indexes (leads/retention/forecast.py);
the installation tiles count one state's notifications in a time window, which this index serves alone.

Revision ID: 0018_retention
Revises: 0017
"""

from __future__ import annotations

from alembic import op

revision: str = "0018_retention"
down_revision: str | None = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_installevent_happened",
        "installevent",
        ["provisioning_state", "received_at", "event_type", "installation_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_installevent_happened", table_name="installevent")
