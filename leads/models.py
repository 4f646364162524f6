"""The tables. Every timestamp is aware UTC (`UTCDateTime`); indexes follow what the list, search,
sync and retention sweeper filter on, so that they stay fast at a million leads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Index, String, Text, UniqueConstraint, event, false, text
from sqlmodel import Field, SQLModel

from leads.db import UTCDateTime

ROLES = ("admin", "sales", "support")
# Byte-order text for search keys: prefix ranges then match exactly what a byte-wise prefix would.
LIST_FILTERS = ("country", "offer", "action_code", "nurture_status", "owner_id")
KEY_TYPE = String(300).with_variant(String(300, collation="C"), "postgresql")
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
        # Each list filter with the default newest-first order: the filter's rows come out already sorted.
        *(Index(f"ix_lead_{column}_received", column, "received_at") for column in LIST_FILTERS),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_partition_key: str = Field(max_length=255)
    source_row_key: str = Field(max_length=255)
    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200, index=True)
    email: str | None = Field(default=None, max_length=254, index=True)
    country: str | None = Field(default=None, max_length=100)
    company: str | None = Field(default=None, max_length=300, index=True)
    job_title: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=100)
    offer: str | None = Field(default=None, max_length=200)
    offer_title: str | None = Field(default=None, max_length=300)
    publisher_display_name: str | None = Field(default=None, max_length=300)
    lead_source: str | None = Field(default=None, max_length=300)
    source_channel: str | None = Field(default=None, max_length=100)
    action_code: str | None = Field(default=None, max_length=50)
    description: str | None = text_column()
    created_at_ms: datetime | None = utc_column(nullable=True)
    first_seen_at: datetime = utc_column()
    # When the 3-year retention clock started: Microsoft's created time, else first sight (RULES.md).
    received_at: datetime = utc_column(index=True)
    source_timestamp: datetime | None = utc_column(nullable=True)
    is_dnc: bool = Field(default=False)
    is_test: bool = Field(default=False)
    nurture_status: str = Field(default="new", max_length=16)
    owner_id: int | None = Field(default=None, foreign_key="user.id")
    # Lower-cased copies for prefix search and sorting (byte order, "C" collation on PostgreSQL), kept in step
    # by the before-insert/update hook below; never null, so keyset pagination can compare them.
    name_key: str = Field(default="", sa_column=Column(KEY_TYPE, nullable=False, server_default="", index=True))
    last_key: str = Field(default="", sa_column=Column(KEY_TYPE, nullable=False, server_default="", index=True))
    email_key: str = Field(default="", sa_column=Column(KEY_TYPE, nullable=False, server_default="", index=True))
    company_key: str = Field(default="", sa_column=Column(KEY_TYPE, nullable=False, server_default="", index=True))
    # The person's rights requests set these; the consent gate refuses processing while either is set.
    processing_restricted: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    erasure_pending: bool = Field(default=False, sa_column_kwargs={"server_default": false()})

    @property
    def display_name(self) -> str:
        """The person's name as staff read it; a placeholder when Microsoft sent none (.edu leads)."""
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or "(no name supplied)"


def search_key(value: str | None) -> str:
    """How a name, email or company is stored for prefix search: trimmed, single-spaced, lower case."""
    return " ".join((value or "").split()).casefold()[:300]


def search_keys(*, first_name: str | None, last_name: str | None, email: str | None, company: str | None) -> dict:
    """A lead's search key columns; set on every ORM insert and update, and by hand on bulk inserts."""
    return {
        "name_key": search_key(f"{first_name or ''} {last_name or ''}"),
        "last_key": search_key(last_name),
        "email_key": search_key(email),
        "company_key": search_key(company),
    }


@event.listens_for(Lead, "before_insert")
@event.listens_for(Lead, "before_update")
def _fill_search_keys(_mapper: Any, _connection: Any, lead: Lead) -> None:
    keys = search_keys(first_name=lead.first_name, last_name=lead.last_name, email=lead.email, company=lead.company)
    for column, value in keys.items():
        setattr(lead, column, value)


class Installation(SQLModel, table=True):
    """One managed application, identified by its full Azure resource id."""

    # A lead's page suggests installations of its offer that began within two days of it (nurture).
    __table_args__ = (Index("ix_installation_product_first_event", "plan_product", "first_event_at"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(max_length=1024, unique=True)
    subscription_id: str = Field(max_length=64, index=True)
    resource_group: str = Field(max_length=255)
    application_name: str = Field(max_length=255)
    state: str = Field(max_length=20, index=True)
    plan_publisher: str | None = Field(default=None, max_length=200)
    plan_product: str | None = Field(default=None, max_length=200)
    plan_name: str | None = Field(default=None, max_length=200)
    plan_version: str | None = Field(default=None, max_length=100)
    application_definition_id: str | None = Field(default=None, max_length=1024)
    first_event_at: datetime = utc_column()
    last_event_at: datetime = utc_column(index=True)
    # Start of the 90-day retention clock: the first DELETE notification (RULES.md, lines 70-85).
    uninstalled_at: datetime | None = utc_column(nullable=True, index=True)
    last_error_code: str | None = Field(default=None, max_length=200)
    last_error_message: str | None = text_column()
    # The lead staff confirmed this installation belongs to (no shared key exists; see issue #6).
    lead_id: int | None = Field(default=None, foreign_key="lead.id", index=True, ondelete="SET NULL")


class InstallEvent(SQLModel, table=True):
    """One notification from Azure, stored once however often it is re-delivered (`dedupe_key`)."""

    __table_args__ = (
        Index("ix_installevent_installation_time", "installation_id", "event_time"),
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


class LegalHold(SQLModel, table=True):
    """A pause on one record's destruction, with a reason (RULES.md: e.g. a claim in progress).

    Active while `lifted_at` is empty. Placing and lifting are audited.
    """

    __table_args__ = (Index("ix_legalhold_record", "record_type", "record_id"),)

    id: int | None = Field(default=None, primary_key=True)
    record_type: str = Field(max_length=20)  # "lead" or "installation"
    record_id: int
    reason: str = Field(max_length=1000)
    placed_by: str = Field(max_length=254)
    placed_at: datetime = utc_column()
    lifted_by: str | None = Field(default=None, max_length=254)
    lifted_at: datetime | None = utc_column(nullable=True)
    lift_reason: str | None = Field(default=None, max_length=1000)


class JobLease(SQLModel, table=True):
    """Who may run a singleton job (the sweeper) until when; works on SQLite and PostgreSQL alike."""

    name: str = Field(primary_key=True, max_length=50)
    holder: str = Field(max_length=100)
    expires_at: datetime = utc_column()


class SourceDeletion(SQLModel, table=True):
    """A destroyed lead's row still to be deleted from the source Azure Table (retried until it is)."""

    id: int | None = Field(default=None, primary_key=True)
    partition_key: str = Field(max_length=255)
    row_key: str = Field(max_length=255)
    queued_at: datetime = utc_column()
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=1000)


class PlanPermission(SQLModel, table=True):
    """Which permission model a Marketplace plan uses (notice lines 86-88). Unknown plans count as locked."""

    id: int | None = Field(default=None, primary_key=True)
    plan_name: str = Field(max_length=200, unique=True)
    model: str = Field(max_length=20)  # "locked" or "publisher_managed"
    updated_by: str = Field(max_length=254)
    updated_at: datetime = utc_column()


class SupportGrant(SQLModel, table=True):
    """Publisher-managed access to one installation, opened on the customer's prior written consent.

    Lapses when the support request closes or 10 days after the last communication (notice line 91); then
    everything held under it is destroyed and only this non-personal outline remains.
    """

    id: int | None = Field(default=None, primary_key=True)
    installation_id: int = Field(foreign_key="installation.id", index=True)
    support_request_ref: str = Field(max_length=100)
    consent_given_by: str | None = Field(default=None, max_length=200)  # destroyed at lapse
    consent_given_at: datetime = utc_column()
    consent_evidence: str | None = text_column()  # destroyed at lapse
    consent_evidence_sha256: str = Field(max_length=64)  # proves what the evidence was, without keeping it
    opened_by: str = Field(max_length=254)
    opened_at: datetime = utc_column()
    last_communication_at: datetime = utc_column(index=True)
    communications: int = 0
    closed_at: datetime | None = utc_column(nullable=True)
    lapsed_at: datetime | None = utc_column(nullable=True, index=True)
    lapse_reason: str | None = Field(default=None, max_length=200)
    data_destroyed_at: datetime | None = utc_column(nullable=True)
    data_items_destroyed: int = 0


class GrantCommunication(SQLModel, table=True):
    """One message with the customer under a grant; each restarts the 10-day window. Destroyed at lapse."""

    id: int | None = Field(default=None, primary_key=True)
    grant_id: int = Field(foreign_key="supportgrant.id", index=True)
    at: datetime = utc_column()
    direction: str = Field(max_length=3)  # "in" or "out"
    summary: str = Field(sa_column=Column(Text(), nullable=False))
    recorded_by: str = Field(max_length=254)


class GrantData(SQLModel, table=True):
    """Something held under a grant (a note, a file name, a finding). Destroyed the moment the grant lapses."""

    id: int | None = Field(default=None, primary_key=True)
    grant_id: int = Field(foreign_key="supportgrant.id", index=True)
    kind: str = Field(max_length=20)  # "note", "file", "finding"
    description: str = Field(sa_column=Column(Text(), nullable=False))
    recorded_at: datetime = utc_column()
    recorded_by: str = Field(max_length=254)


class LeadNote(SQLModel, table=True):
    """One entry in a lead's nurture log: a note, a call, an email in or out, a follow-up. Timestamped and
    attributed; part of the lead's record, so destroyed with it (notice lines 58-69)."""

    __table_args__ = (Index("ix_leadnote_lead_at", "lead_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id", ondelete="CASCADE")
    kind: str = Field(max_length=20)
    body: str = Field(sa_column=Column(Text(), nullable=False))
    at: datetime = utc_column()
    author: str = Field(max_length=254)
    follow_up_on: datetime | None = utc_column(nullable=True, index=True)


class RightsRequest(SQLModel, table=True):
    """A data-protection rights request (notice lines 25-33) and its statutory deadline (line 32).

    The company's record of having answered; kept after the person's data is erased, like correspondence.
    """

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, index=True)
    requester_name: str = Field(max_length=200)
    requester_email: str = Field(max_length=254, index=True)
    channel: str = Field(max_length=50)
    details: str | None = text_column()
    received_on: date
    identity_requested: bool = False
    identity_received_on: date | None = None
    identity_verified: bool = False
    status: str = Field(max_length=30, index=True)
    due_on: date | None = Field(default=None, index=True)  # recomputed on every change; None while paused
    extended: bool = False
    extension_reason: str | None = text_column()
    extension_told_on: date | None = None
    outcome: str | None = text_column()  # what was done, or why it was refused
    closed_on: date | None = None
    created_by: str = Field(max_length=254)
    created_at: datetime = utc_column()


class RequestPause(SQLModel, table=True):
    """A clarification stop: the clock stops the day the company asks and restarts the day the answer arrives."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="rightsrequest.id", index=True)
    started_on: date
    ended_on: date | None = None
    question: str = Field(max_length=1000)


class RequestLead(SQLModel, table=True):
    """A lead staff confirmed belongs to the requester (matched by email)."""

    __table_args__ = (UniqueConstraint("request_id", "lead_id", name="uq_request_lead"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="rightsrequest.id", index=True)
    lead_id: int = Field(foreign_key="lead.id", index=True, ondelete="CASCADE")
    confirmed_by: str = Field(max_length=254)
    confirmed_at: datetime = utc_column()


class Rectification(SQLModel, table=True):
    """One corrected field of a lead: what it was, what it became, when and by whom (part of the lead)."""

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id", index=True, ondelete="CASCADE")
    request_id: int | None = Field(default=None, foreign_key="rightsrequest.id")
    field: str = Field(max_length=50)
    old_value: str | None = Field(default=None, max_length=300)
    new_value: str | None = Field(default=None, max_length=300)
    changed_by: str = Field(max_length=254)
    changed_at: datetime = utc_column()


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
