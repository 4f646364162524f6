"""The tables. Every timestamp is aware UTC (`UTCDateTime`); indexes follow what the list, search,
sync and retention sweeper filter on, so that they stay fast at a million leads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from leads.db import UTCDateTime

ROLES = ("admin", "sales", "support")
NURTURE_STATUSES = ("new", "contacted", "qualified", "customer", "lost")
INSTALL_STATES = ("installing", "installed", "failed", "uninstalling", "uninstalled", "uninstall_failed")


def utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    """A fresh aware-UTC column (SQLAlchemy columns cannot be shared between tables)."""
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def text_column(*, nullable: bool = True) -> Any:
    """An unbounded text column (JSON blobs, free text)."""
    return Field(default=None, sa_column=Column(Text(), nullable=nullable))


class User(SQLModel, table=True):
    """A member of staff who can log in. `role` is one of ROLES."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    active: bool = Field(default=True)
    created_at: datetime = utc_column()

    # flask-login's user protocol, spelt out rather than mixed in (UserMixin's __eq__ would shadow SQLModel's).
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class Lead(SQLModel, table=True):
    """One Marketplace lead, keyed by its entity's PartitionKey + RowKey in the Azure lead table."""

    __table_args__ = (
        UniqueConstraint("source_partition_key", "source_row_key", name="uq_lead_source_key"),
        Index("ix_lead_list_order", "received_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_partition_key: str = Field(max_length=255)
    source_row_key: str = Field(max_length=255)
    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200, index=True)
    email: str | None = Field(default=None, max_length=254, index=True)
    country: str | None = Field(default=None, max_length=100, index=True)
    company: str | None = Field(default=None, max_length=300, index=True)
    job_title: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=100)
    offer: str | None = Field(default=None, max_length=200, index=True)
    offer_title: str | None = Field(default=None, max_length=300)
    publisher_display_name: str | None = Field(default=None, max_length=300)
    lead_source: str | None = Field(default=None, max_length=300)
    source_channel: str | None = Field(default=None, max_length=100)
    action_code: str | None = Field(default=None, max_length=50, index=True)
    description: str | None = text_column()
    created_at_ms: datetime | None = utc_column(nullable=True)
    first_seen_at: datetime = utc_column()
    # When the 3-year retention clock started: Microsoft's created time, else first sight (RULES.md).
    received_at: datetime = utc_column(index=True)
    source_timestamp: datetime | None = utc_column(nullable=True)
    is_dnc: bool = Field(default=False)
    is_test: bool = Field(default=False)
    nurture_status: str = Field(default="new", max_length=16, index=True)
    owner_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    # The person's rights requests (issue 8 sets them); the consent gate refuses marketing while either is set.
    processing_restricted: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    erasure_pending: bool = Field(default=False, sa_column_kwargs={"server_default": false()})

    @property
    def display_name(self) -> str:
        """The person's name as staff read it; a placeholder when Microsoft sent none (.edu leads)."""
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or "(no name supplied)"


class Installation(SQLModel, table=True):
    """One managed application, identified by its full Azure resource id."""

    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(max_length=1024, unique=True)
    subscription_id: str = Field(max_length=64, index=True)
    resource_group: str = Field(max_length=255)
    application_name: str = Field(max_length=255)
    state: str = Field(max_length=20, index=True)
    plan_publisher: str | None = Field(default=None, max_length=200)
    plan_product: str | None = Field(default=None, max_length=200, index=True)
    plan_name: str | None = Field(default=None, max_length=200)
    plan_version: str | None = Field(default=None, max_length=100)
    application_definition_id: str | None = Field(default=None, max_length=1024)
    first_event_at: datetime = utc_column()
    last_event_at: datetime = utc_column(index=True)
    # Start of the 90-day retention clock: the first DELETE notification (RULES.md, lines 70-85).
    uninstalled_at: datetime | None = utc_column(nullable=True, index=True)
    last_error_code: str | None = Field(default=None, max_length=200)
    last_error_message: str | None = text_column()


class InstallEvent(SQLModel, table=True):
    """One notification from Azure, stored once however often it is re-delivered (`dedupe_key`)."""

    __table_args__ = (Index("ix_installevent_installation_time", "installation_id", "event_time"),)

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


class AuditEvent(SQLModel, table=True):
    """An append-only record of who did what to which record, and when. Never updated or deleted."""

    __table_args__ = (Index("ix_auditevent_record", "record_type", "record_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_column(index=True)
    actor_user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    actor: str = Field(max_length=254)  # the user's email, or "system:<job>"
    action: str = Field(max_length=100, index=True)
    record_type: str | None = Field(default=None, max_length=50)
    record_id: str | None = Field(default=None, max_length=100)
    details: str | None = text_column()  # JSON


class QuarantinedEntity(SQLModel, table=True):
    """A lead table entity that could not become a lead, with the reason. Admins see these.

    Holds what Microsoft sent (personal data), so it is lead data under the 3-year rule (lines 58-69).
    """

    __table_args__ = (UniqueConstraint("partition_key", "row_key", name="uq_quarantine_source_key"),)

    id: int | None = Field(default=None, primary_key=True)
    partition_key: str = Field(max_length=255)
    row_key: str = Field(max_length=255)
    reason: str = Field(max_length=1000)
    raw: str = Field(sa_column=Column(Text(), nullable=False))  # the entity's properties as JSON
    source_timestamp: datetime | None = utc_column(nullable=True)
    first_seen_at: datetime = utc_column(index=True)
    last_seen_at: datetime = utc_column()


class SyncRun(SQLModel, table=True):
    """One run of the lead sync: what it read from where, what it did, and how it ended."""

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = utc_column(index=True)
    finished_at: datetime | None = utc_column(nullable=True)
    status: str = Field(max_length=16, index=True)  # running, succeeded, failed
    since: datetime | None = utc_column(nullable=True)  # the query's lower bound (watermark - overlap)
    high_watermark: datetime | None = utc_column(nullable=True)  # newest entity Timestamp seen
    pages: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    skipped: int = 0
    error: str | None = text_column()


class Tombstone(SQLModel, table=True):
    """Proof that a record was destroyed, without personal data; its keyed source hash stops re-sync."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40, index=True)
    opaque_id: str = Field(max_length=64, unique=True)
    source_key_hash: str | None = Field(default=None, max_length=64, index=True)
    rule: str = Field(max_length=200)
    destroyed_at: datetime = utc_column(index=True)
    actor: str = Field(max_length=254)


class ConsentRecord(SQLModel, table=True):
    """One grant or withdrawal of consent for one purpose, with how we know. Append-only: never updated or
    deleted on its own (it goes with its lead); a withdrawal is a new row, and the current state is derived."""

    __table_args__ = (Index("ix_consentrecord_lead_purpose_at", "lead_id", "purpose", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id", ondelete="CASCADE")
    purpose: str = Field(max_length=32)  # a consent-based purpose in consent.PURPOSES
    granted: bool
    at: datetime = utc_column()  # when the person gave or withdrew it (may be before it was recorded)
    method: str = Field(max_length=32)  # a code in consent.METHODS
    evidence: str = Field(sa_column=Column(Text(), nullable=False))  # what they said or signed, a reference
    wording_version: str = Field(max_length=200)  # the wording or notice version they were shown
    recorded_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    recorded_by: str = Field(max_length=254)  # the user's email, or "system:<job>"
    created_at: datetime = utc_column()


class MarketingList(SQLModel, table=True):
    """A named list of people to market to. Joining it and leaving it in an export both need current consent."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    description: str | None = text_column()
    created_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    created_by: str = Field(max_length=254)
    created_at: datetime = utc_column()


class MarketingListMember(SQLModel, table=True):
    """A lead on a marketing list, and the consent record the gate relied on when they were added."""

    __table_args__ = (UniqueConstraint("list_id", "lead_id", name="uq_marketinglistmember_list_lead"),)

    id: int | None = Field(default=None, primary_key=True)
    list_id: int = Field(foreign_key="marketinglist.id", ondelete="CASCADE")
    lead_id: int = Field(foreign_key="lead.id", ondelete="CASCADE", index=True)
    added_at: datetime = utc_column()
    added_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    added_by: str = Field(max_length=254)
    consent_record_id: int = Field(foreign_key="consentrecord.id", index=True)


class MarketingEmail(SQLModel, table=True):
    """A record that a marketing email was sent to a lead (the app sends no mail), and the consent relied on."""

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id", ondelete="CASCADE", index=True)
    list_id: int | None = Field(default=None, foreign_key="marketinglist.id", ondelete="SET NULL")
    subject: str = Field(max_length=300)
    sent_at: datetime = utc_column(index=True)
    recorded_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    recorded_by: str = Field(max_length=254)
    consent_record_id: int = Field(foreign_key="consentrecord.id", index=True)
