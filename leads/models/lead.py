"""Marketplace leads and what surrounds them: search keys, the nurture log, sync runs, quarantine, tombstones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint, event, false
from sqlmodel import Field, SQLModel

from leads.models.base import KEY_TYPE, LIST_FILTERS, text_column, utc_column


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
    status: str = Field(max_length=16, index=True)  # running, succeeded, failed, stopped
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
