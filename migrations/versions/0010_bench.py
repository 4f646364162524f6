"""indexes the million-lead benchmarks asked for (issue #10)

- installation (plan_product, first_event_at) replaces (plan_product): a lead's page suggests installations
  of its offer that began within two days of it; with only plan_product, at a million installations that
  read every installation of the offer (180 ms on SQLite, 80 ms on PostgreSQL).
- installevent (received_at) WHERE caller_ip IS NOT NULL: the sweeper nulls addresses older than 10 days and
  the worker wakes for the oldest one held; both walked all 3 million notifications (seconds on SQLite),
  though only the last 10 days' still have an address.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 08:57:27.250352
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IP_HELD = sa.text("caller_ip IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("installation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_installation_plan_product"))
        batch_op.create_index("ix_installation_product_first_event", ["plan_product", "first_event_at"], unique=False)

    with op.batch_alter_table("installevent", schema=None) as batch_op:
        batch_op.create_index(
            "ix_installevent_ip_held", ["received_at"], unique=False, sqlite_where=IP_HELD, postgresql_where=IP_HELD
        )


def downgrade() -> None:
    with op.batch_alter_table("installevent", schema=None) as batch_op:
        batch_op.drop_index("ix_installevent_ip_held", sqlite_where=IP_HELD, postgresql_where=IP_HELD)

    with op.batch_alter_table("installation", schema=None) as batch_op:
        batch_op.drop_index("ix_installation_product_first_event")
        batch_op.create_index(batch_op.f("ix_installation_plan_product"), ["plan_product"], unique=False)
