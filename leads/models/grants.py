"""Support access on publisher-managed plans: each plan's permission model, the grants opened on a customer's
written consent, their messages and the data held under them (notice lines 86-92)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from leads.models.base import text_column, utc_column


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
