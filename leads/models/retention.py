"""Retention machinery: legal holds and source-table deletions still to send."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from leads.models.base import utc_column


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


class KeyFingerprint(SQLModel, table=True):
    """The fingerprint of a key whose hashes the database keeps (TOMBSTONE_KEY): an HMAC of a fixed text, which
    reveals nothing of the key, so that a changed key is caught at start-up instead of letting destroyed
    records come back."""

    name: str = Field(primary_key=True, max_length=50)
    fingerprint: str = Field(max_length=64)
    recorded_at: datetime = utc_column()


class SourceDeletion(SQLModel, table=True):
    """A destroyed lead's row still to be deleted from the source Azure Table (retried until it is)."""

    id: int | None = Field(default=None, primary_key=True)
    partition_key: str = Field(max_length=255)
    row_key: str = Field(max_length=255)
    queued_at: datetime = utc_column()
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=1000)
