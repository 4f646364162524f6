"""The data subject: one person behind any number of leads, and the staff decisions that filed a lead under one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, String, false
from sqlmodel import Field, SQLModel

from leads.models.base import text_column, utc_column
from leads.rules.purposes import CONSENT_PURPOSES

# Each consent purpose's current state on the person: "granted", "withdrawn" or "none" (the leads list's words).
CONSENT_COLUMNS = {purpose: f"{purpose}_consent" for purpose in CONSENT_PURPOSES}


def _consent_column() -> Any:
    return Field(default="none", sa_column=Column(String(10), nullable=False, server_default="none"))


class Person(SQLModel, table=True):
    """A data subject. Their leads are found by `email_key` (`people.normalise_email`), or attached by staff.

    Rights belong to the person (RULES.md): consent history, restriction, objection and a pending erasure are
    stored here, so they cover every lead of the person, including one that arrives later.
    """

    # The leads list's consent filter reads the people in one state from here, as one list (migration 0026).
    __table_args__ = (Index("ix_person_marketing_consent", "marketing_consent", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    # None for a lead that came without an address, or a person staff split off: found only by their leads.
    email_key: str | None = Field(default=None, sa_column=Column(String(254), unique=True, nullable=True))
    processing_restricted: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    objected: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    erasure_pending: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # The mail server refused their address for good (a hard bounce): no marketing is sent to it any more.
    undeliverable_at: datetime | None = utc_column(nullable=True)
    created_at: datetime = utc_column()
    # The person's current consent per purpose (`CONSENT_COLUMNS`), recounted from their consent records by the
    # one writer of those (`leads.people.consents`; migration 0026): what the leads list's consent filter reads.
    accounts_consent: str = _consent_column()
    marketing_consent: str = _consent_column()
    queries_consent: str = _consent_column()


class PersonLink(SQLModel, table=True):
    """Staff attached a lead to a person, or detached it to a person of its own, and why. Part of the lead's
    record (destroyed with it); the audit trail refers to it by id, so the reason's words never sit there."""

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id", index=True, ondelete="CASCADE")
    from_person_id: int | None = Field(default=None)
    to_person_id: int | None = Field(default=None)
    action: str = Field(max_length=10)  # "attach" or "detach"
    reason: str | None = text_column(nullable=False)
    by: str = Field(max_length=254)
    at: datetime = utc_column()
