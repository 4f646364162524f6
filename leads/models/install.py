"""Managed-application installations and their notifications (the grants on them: `leads.models.grants`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, event, text
from sqlmodel import Field, SQLModel

from leads.models.base import KEY_TYPE, text_column, utc_column
from leads.models.lead import Lead, search_key, search_keys


def _key_column() -> Any:
    return Field(default="", sa_column=Column(KEY_TYPE, nullable=False, server_default=""))


# The search keys of an installation, own and its linked lead's (the installations search reads these).
INSTALL_SEARCH_KEYS = (
    "application_key",
    "group_key",
    "subscription_key",
    "lead_name_key",
    "lead_last_key",
    "lead_company_key",
)


class Installation(SQLModel, table=True):
    """One managed application, identified by its full Azure resource id."""

    # A lead's page suggests installations of its offer that began within two days of it (nurture).
    __table_args__ = (
        Index("ix_installation_product_first_event", "plan_product", "first_event_at"),
        # The installations list at a million (migration 0018): its plan select, its sort by
        # application, and "needs help" and "not linked" in the newest-first order without a sort.
        Index("ix_installation_plan_name", "plan_name"),
        # The plan and permission-model filters newest first (migration 0020): a plan's rows come out in the list's
        # order with the id, so the page stops after one page and the capped count reads the index alone; the
        # permission-model filter reads its plans one at a time through it (leads.workspace.installlist).
        Index("ix_installation_plan_last_event", "plan_name", "last_event_at", "id"),
        Index("ix_installation_application_name", "application_name"),
        Index("ix_installation_first_event_at", "first_event_at"),
        Index("ix_installation_state_last_event", "state", "last_event_at"),
        Index("ix_installation_lead_last_event", "lead_id", "last_event_at"),
        # The list sorted by state pages by (state, id) (migration 0021): PostgreSQL's index on state alone does
        # not end with the id as SQLite's does, so it sorted a million rows for one page.
        Index("ix_installation_state_id", "state", "id"),
        # Each folded search key with the list's newest-first order (migration 0029): a search's capped count and
        # its matches' sort keys for that order come from the index alone, not a table read per match.
        *(Index(f"ix_installation_{key}_last_event", key, "last_event_at", "id") for key in INSTALL_SEARCH_KEYS),
    )

    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(max_length=1024, unique=True)
    subscription_id: str = Field(max_length=64, index=True)
    resource_group: str = Field(max_length=255)
    application_name: str = Field(max_length=255)
    state: str = Field(max_length=20)
    plan_publisher: str | None = Field(default=None, max_length=200)
    plan_product: str | None = Field(default=None, max_length=200)
    plan_name: str | None = Field(default=None, max_length=200)
    plan_version: str | None = Field(default=None, max_length=100)
    application_definition_id: str | None = Field(default=None, max_length=1024)
    first_event_at: datetime = utc_column()
    last_event_at: datetime = utc_column(index=True)
    # When the current deployment's uninstall began (the row's own 90-day clock, RULES.md lines 70-85);
    # None while it is installed.
    uninstalled_at: datetime | None = utc_column(nullable=True, index=True)
    # The soonest clock of any deployment still held (rules.lifecycle.deployments): an earlier deployment's
    # notifications go 90 days after its own uninstall, while a re-install keeps the row. The sweeper's start.
    clock_started_at: datetime | None = utc_column(nullable=True, index=True)
    last_error_code: str | None = Field(default=None, max_length=200)
    last_error_message: str | None = text_column()
    # The lead staff confirmed this installation belongs to (the Marketplace shares no key between them).
    lead_id: int | None = Field(default=None, foreign_key="lead.id", index=True, ondelete="SET NULL")
    # Folded copies for prefix search, as the leads search folds (`search_key`; migration 0025): its own names,
    # set by the before-insert/update hook below, and its linked lead's name, surname and company ("" when not
    # linked), set by `link` and kept in step with a renamed or destroyed lead by `leads.people.linked`.
    application_key: str = _key_column()
    group_key: str = _key_column()
    subscription_key: str = _key_column()
    lead_name_key: str = _key_column()
    lead_last_key: str = _key_column()
    lead_company_key: str = _key_column()

    def link(self, lead: Lead | None) -> None:
        """Confirm this installation as `lead`'s (None: undo it), with the lead's search keys."""
        self.lead_id = lead.id if lead is not None else None
        for column, value in linked_lead_keys(lead).items():
            setattr(self, column, value)


def own_keys(*, application_name: str | None, resource_group: str | None, subscription_id: str | None) -> dict:
    """An installation's own search key columns (set on every ORM insert and update, by hand on bulk inserts)."""
    return {
        "application_key": search_key(application_name),
        "group_key": search_key(resource_group),
        "subscription_key": search_key(subscription_id),
    }


def linked_lead_keys(lead: Lead | None) -> dict[str, str]:
    """The linked lead's search key columns of an installation: the lead's own keys, or "" when not linked."""
    if lead is None:
        return {"lead_name_key": "", "lead_last_key": "", "lead_company_key": ""}
    keys = search_keys(first_name=lead.first_name, last_name=lead.last_name, email=None, company=lead.company)
    return {
        "lead_name_key": keys["name_key"],
        "lead_last_key": keys["last_key"],
        "lead_company_key": keys["company_key"],
    }


@event.listens_for(Installation, "before_insert")
@event.listens_for(Installation, "before_update")
def _fill_search_keys(_mapper: Any, _connection: Any, installation: Installation) -> None:
    keys = own_keys(
        application_name=installation.application_name,
        resource_group=installation.resource_group,
        subscription_id=installation.subscription_id,
    )
    for column, value in keys.items():
        setattr(installation, column, value)


class InstallEvent(SQLModel, table=True):
    """One notification from Azure, stored once however often it is re-delivered (`dedupe_key`)."""

    __table_args__ = (
        Index("ix_installevent_installation_time", "installation_id", "event_time"),
        # The dashboard's "installed / failed / uninstalled in the last 7 days" tiles: one state's notifications
        # in a time window, with their installation, read from the index alone.
        Index("ix_installevent_happened", "provisioning_state", "received_at", "event_type", "installation_id"),
        # Only the few addresses still held (10 days' worth): the sweeper and the worker's wake-up time read
        # these without walking millions of notifications whose address is already gone.
        Index(
            "ix_installevent_ip_held",
            "received_at",
            sqlite_where=text("caller_ip IS NOT NULL"),
            postgresql_where=text("caller_ip IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    installation_id: int = Field(foreign_key="installation.id")
    dedupe_key: str = Field(max_length=64, unique=True)
    event_type: str = Field(max_length=10)
    provisioning_state: str = Field(max_length=20)
    event_time: datetime = utc_column()
    error_code: str | None = Field(default=None, max_length=200)
    error_message: str | None = text_column()
    error_details: str | None = text_column()  # JSON list of {code, message}
    plan_publisher: str | None = Field(default=None, max_length=200)
    plan_product: str | None = Field(default=None, max_length=200)
    plan_name: str | None = Field(default=None, max_length=200)
    plan_version: str | None = Field(default=None, max_length=100)
    application_definition_id: str | None = Field(default=None, max_length=1024)
    billing_resource_usage_id: str | None = Field(default=None, max_length=200)
    received_at: datetime = utc_column(index=True)
    # Kept at most 10 days for abuse monitoring (notice lines 100-104); the sweeper nulls it.
    caller_ip: str | None = Field(default=None, max_length=45)
