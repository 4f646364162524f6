"""Data-protection rights requests: each request, its steps and pauses, the leads it covers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from leads.models.base import text_column, utc_column


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
    identity_requested_on: date | None = None  # the day we asked: proof cannot be dated before it
    identity_received_on: date | None = None
    identity_verified: bool = False
    status: str = Field(max_length=30, index=True)
    due_on: date | None = Field(default=None, index=True)  # recomputed on every change; None while paused
    extended: bool = False
    extension_reason: str | None = text_column()
    extension_told_on: date | None = None
    outcome: str | None = text_column()  # what was done, or why it was refused
    # An erasure completed while something it covers remains: the exemption or hold that kept it.
    exemption: str | None = text_column()
    closed_on: date | None = None
    # When it closed: the clock of its retention row (personal details kept 3 years, then reduced to an outline).
    closed_at: datetime | None = utc_column(nullable=True, index=True)
    outlined_at: datetime | None = utc_column(nullable=True)  # when the sweeper reduced it to an outline
    created_by: str = Field(max_length=254)
    created_at: datetime = utc_column()
    # Where it came from: "staff" (typed in from an email, a call...) or "privacy_page" (the person's own page).
    source: str = Field(default="staff", max_length=20, sa_column_kwargs={"server_default": "staff"})


class PrivacyCode(SQLModel, table=True):
    """A one-time code emailed to an address from the privacy page. Only keyed hashes are kept (of the address
    and of the code), so the row names nobody; it is deleted when used, after too many wrong tries, or once
    expired (the next code issued sweeps those)."""

    id: int | None = Field(default=None, primary_key=True)
    address_hash: str = Field(max_length=64, index=True)
    code_hash: str = Field(max_length=64)
    created_at: datetime = utc_column()
    expires_at: datetime = utc_column(index=True)
    attempts: int = 0


class ExportDelivery(SQLModel, table=True):
    """A prepared access export or portability bundle waiting in the export cache for the person to download,
    through a link emailed to them. Only a hash of the link's token is kept, and the cache file's random name;
    the row and its file are destroyed together at the download limit or when the link expires."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="rightsrequest.id", index=True)
    kind: str = Field(max_length=20)  # "access" or "portability"
    token_hash: str = Field(max_length=64, unique=True)
    file_name: str = Field(max_length=64)
    created_at: datetime = utc_column()
    expires_at: datetime = utc_column(index=True)
    downloads: int = 0


class RequestPause(SQLModel, table=True):
    """A clarification stop: the clock stops the day the company asks and restarts the day the answer arrives."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="rightsrequest.id", index=True)
    started_on: date
    ended_on: date | None = None
    question: str = Field(max_length=1000)


class RequestLead(SQLModel, table=True):
    """A lead staff confirmed belongs to the requester: one the register matched, or an override that says
    who linked it (`confirmed_by`), why and on what evidence."""

    __table_args__ = (UniqueConstraint("request_id", "lead_id", name="uq_request_lead"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="rightsrequest.id", index=True)
    lead_id: int = Field(foreign_key="lead.id", index=True, ondelete="CASCADE")
    confirmed_by: str = Field(max_length=254)
    confirmed_at: datetime = utc_column()
    override_reason: str | None = Field(default=None, max_length=1000)
    override_evidence: str | None = text_column()


class RequestStep(SQLModel, table=True):
    """One step taken on a request, for its history: what, when it was recorded, who, and the day it took effect."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="rightsrequest.id", index=True)
    step: str = Field(max_length=50)
    effective_on: date
    recorded_at: datetime = utc_column()
    actor: str = Field(max_length=254)
    detail: str | None = text_column()


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
    # What the source table held when corrected: a sync bringing that value back does not undo the correction;
    # a sync bringing a third value means the source changed it again, and the correction gives way.
    source_value: str | None = Field(default=None, max_length=300)
    superseded_at: datetime | None = utc_column(nullable=True)
    superseded_value: str | None = Field(default=None, max_length=300)


class SourceCorrection(SQLModel, table=True):
    """A rectification still to be written to the source Azure Table row (retried until it is)."""

    id: int | None = Field(default=None, primary_key=True)
    partition_key: str = Field(max_length=255)
    row_key: str = Field(max_length=255)
    fields: str = Field(sa_column=Column(Text(), nullable=False))  # JSON {lead field: new value}
    queued_at: datetime = utc_column()
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=1000)
