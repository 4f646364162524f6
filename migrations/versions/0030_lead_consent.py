"""lead consent: the person's marketing consent copied onto each lead, kept by triggers (issue #33)

"Withdrawn + country" on the leads list missed p95 < 30 ms at a million leads: its count tested every lead of
the country (88,670 French leads) against the people who withdrew (35,524) to find 3,292. With the person's
state on the lead and indexed after the country (`ix_lead_filter_consent`, then the list's order and the other
filters), it is one range read, and the page comes out of the same index sorted.

The copy is kept by database triggers in the statement that changes its source: a lead whose `person_id`
changes takes its new person's state ("none" without one); a person whose state changes passes it to their
leads; a direct write of the copy is put back. So no writer of a lead's person (attach, detach, a merge) nor of
the state (`people.consents.recount`) can leave it behind. A new lead takes its person's state from the two
paths that insert leads (`people.subjects.marketing_states`: the sync's filing and `file_leads`), and, on
PostgreSQL, from a BEFORE INSERT row trigger as well. Not on SQLite: any trigger on inserting a lead makes SQLite
keep a statement journal for every insert (a lead's insert touches some twenty index pages, more than the
journal holds in memory, so it goes to a temporary file), which doubled the sync's storing time a page
(bench/NOTES.md). PostgreSQL: a BEFORE row trigger sets the lead's value as it is written, an AFTER trigger on
the person updates their leads. SQLite: AFTER UPDATE triggers that write only when the copy differs. Loads in
PostgreSQL's replica mode (the bench, the tests' refill) skip triggers and carry the value.

Revision ID: 0030_lead_consent
Revises: 0029_installation_key_order
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030_lead_consent"
down_revision: str | None = "0029_installation_key_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here (migrations never import app code); the model declares the same (leads.models.lead.FILTER_INDEXES).
INDEX = ("country", "marketing_consent", "received_at", "id", "nurture_status", "owner_id", "offer", "action_code")

POSTGRESQL_UP = (
    """
    CREATE FUNCTION lead_takes_person_consent() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.marketing_consent :=
            coalesce((SELECT marketing_consent FROM person WHERE person.id = NEW.person_id), 'none');
        RETURN NEW;
    END;
    $$
    """,
    """
    CREATE TRIGGER lead_takes_person_consent BEFORE INSERT OR UPDATE OF person_id, marketing_consent ON lead
    FOR EACH ROW EXECUTE FUNCTION lead_takes_person_consent()
    """,
    """
    CREATE FUNCTION person_consent_to_leads() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE lead SET marketing_consent = NEW.marketing_consent WHERE person_id = NEW.id;
        RETURN NULL;
    END;
    $$
    """,
    """
    CREATE TRIGGER person_consent_to_leads AFTER UPDATE OF marketing_consent ON person
    FOR EACH ROW WHEN (OLD.marketing_consent IS DISTINCT FROM NEW.marketing_consent)
    EXECUTE FUNCTION person_consent_to_leads()
    """,
)
POSTGRESQL_DOWN = (
    "DROP TRIGGER IF EXISTS person_consent_to_leads ON person",
    "DROP FUNCTION IF EXISTS person_consent_to_leads()",
    "DROP TRIGGER IF EXISTS lead_takes_person_consent ON lead",
    "DROP FUNCTION IF EXISTS lead_takes_person_consent()",
)
SQLITE_UP = (
    """
    CREATE TRIGGER lead_takes_person_consent_update AFTER UPDATE OF person_id, marketing_consent ON lead
    WHEN NEW.marketing_consent IS NOT
        coalesce((SELECT marketing_consent FROM person WHERE person.id = NEW.person_id), 'none')
    BEGIN
        UPDATE lead SET marketing_consent =
            coalesce((SELECT marketing_consent FROM person WHERE person.id = NEW.person_id), 'none')
        WHERE id = NEW.id;
    END
    """,
    """
    CREATE TRIGGER person_consent_to_leads AFTER UPDATE OF marketing_consent ON person
    WHEN OLD.marketing_consent IS NOT NEW.marketing_consent
    BEGIN UPDATE lead SET marketing_consent = NEW.marketing_consent WHERE person_id = NEW.id; END
    """,
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS person_consent_to_leads",
    "DROP TRIGGER IF EXISTS lead_takes_person_consent_update",
)
BACKFILL = (
    "UPDATE lead SET marketing_consent = (SELECT marketing_consent FROM person WHERE person.id = lead.person_id)"
    " WHERE person_id IN (SELECT id FROM person WHERE marketing_consent <> 'none')"
)


def _statements(up: bool) -> tuple[str, ...]:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        return POSTGRESQL_UP if up else POSTGRESQL_DOWN
    if dialect == "sqlite":
        return SQLITE_UP if up else SQLITE_DOWN
    raise NotImplementedError(f"no consent triggers for {dialect}")


def upgrade() -> None:
    # Plain ADD COLUMN (no batch): a batch on SQLite copies the table, which others refer to.
    op.add_column("lead", sa.Column("marketing_consent", sa.String(length=10), server_default="none", nullable=False))
    op.execute(BACKFILL)
    for statement in _statements(up=True):
        op.execute(statement)
    op.create_index("ix_lead_filter_consent", "lead", list(INDEX), unique=False)


def downgrade() -> None:
    op.drop_index("ix_lead_filter_consent", table_name="lead")
    for statement in _statements(up=False):
        op.execute(statement)
    # SQLite drops a column only when no index or trigger names it (both gone above).
    op.drop_column("lead", "marketing_consent")
