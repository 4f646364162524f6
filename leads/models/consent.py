"""Consent history and marketing lists: what each lead agreed to, when and how, and who is on which list."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from leads.models.base import text_column, utc_column


class ConsentRecord(SQLModel, table=True):
    """One grant or withdrawal of consent for one purpose, with how we know. Append-only: never deleted on its own
    (it goes with its person); a withdrawal is a new row, and the current state is derived. The one change a row
    ever takes is being marked superseded, once, when staff correct it as entered in error (`superseded_at`,
    who, and why): it stays in the history, and nothing counts it any more (`people.consents.supersede`).

    Consent is the person's, not a lead's: `lead_id` only says on which lead's page it was recorded (None when
    on the person's page, or once that lead is gone), and the person's choice covers all their leads."""

    __table_args__ = (Index("ix_consentrecord_person_purpose_at", "person_id", "purpose", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    lead_id: int | None = Field(default=None, foreign_key="lead.id", ondelete="SET NULL", index=True)
    purpose: str = Field(max_length=32)  # a consent-based purpose in consent.PURPOSES
    granted: bool
    at: datetime = utc_column()  # when the person gave or withdrew it (may be before it was recorded)
    method: str = Field(max_length=32)  # a code in consent.METHODS
    evidence: str = Field(sa_column=Column(Text(), nullable=False))  # what they said or signed, a reference
    wording_version: str = Field(max_length=200)  # the wording or notice version they were shown
    recorded_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    recorded_by: str = Field(max_length=254)  # the user's email, or "system:<job>"
    created_at: datetime = utc_column()
    superseded_at: datetime | None = utc_column(nullable=True)  # when staff corrected it as entered in error
    superseded_by: str | None = Field(default=None, max_length=254)  # who corrected it (as `recorded_by`)
    correction_reason: str | None = text_column()  # why it was wrong: the person's data, erased with them


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


class Mailing(SQLModel, table=True):
    """A marketing email staff wrote for a list: the template (subject and body with placeholders), and when it
    was queued. Its messages, one per person, are `MailingMessage`s; the worker sends them through the gate."""

    id: int | None = Field(default=None, primary_key=True)
    list_id: int | None = Field(default=None, foreign_key="marketinglist.id", ondelete="SET NULL", index=True)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text(), nullable=False))
    created_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    created_by: str = Field(max_length=254)
    created_at: datetime = utc_column()
    queued_at: datetime | None = utc_column(nullable=True)


class MailingMessage(SQLModel, table=True):
    """One person's copy of a mailing, from queued to its outcome: sent, refused by the gate (with why), bounced
    (refused for good by the server) or failed (gave up after retries). Part of the lead's data: it holds what was
    sent to whom, and goes with the lead (erasure, the sweep)."""

    __table_args__ = (Index("ix_mailingmessage_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    mailing_id: int = Field(foreign_key="mailing.id", ondelete="CASCADE", index=True)
    lead_id: int = Field(foreign_key="lead.id", ondelete="CASCADE", index=True)
    status: str = Field(max_length=16)  # queued, sent, refused, bounced, failed
    attempts: int = 0
    next_attempt_at: datetime | None = utc_column(nullable=True)
    to_address: str | None = Field(default=None, max_length=254)  # as sent: the lead's address at that moment
    subject: str | None = Field(default=None, max_length=300)  # as sent, filled in for the person
    body: str | None = text_column()  # the plain-text part as sent (the HTML part is derived from it)
    reason: str | None = text_column()  # why the gate refused, or what the server said
    decided_at: datetime | None = utc_column(nullable=True)
    consent_record_id: int | None = Field(default=None, foreign_key="consentrecord.id", ondelete="SET NULL")
    unsubscribed_at: datetime | None = utc_column(nullable=True)  # its one-click link was used (once)
