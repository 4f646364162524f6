"""consent correction: a consent record entered in error can be marked superseded, kept in the history (issue #31)

Staff correct a wrongly entered consent record (wrong date, purpose, evidence or lead) by marking it superseded,
with when, by whom and why, and optionally recording the right one in the same transaction. The row stays; the
gate and the person's stored consent ignore it (`leads.people.consents.supersede`). No record is superseded
yet, so the person's stored state needs no recount.

Revision ID: 0028_consent_correction
Revises: 0027_person_consent
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028_consent_correction"
down_revision: str | None = "0027_person_consent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch): a batch on SQLite copies the table, and dropping the old one fails while
    # list memberships and email records refer to it.
    op.add_column("consentrecord", sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("consentrecord", sa.Column("superseded_by", sa.String(length=254), nullable=True))
    op.add_column("consentrecord", sa.Column("correction_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    for name in ("correction_reason", "superseded_by", "superseded_at"):
        op.drop_column("consentrecord", name)
