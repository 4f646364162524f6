"""Marketplace leads and what surrounds them: search keys, the nurture log, sync runs, quarantine, tombstones."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, Index, String, Text, UniqueConstraint, event, false, text
from sqlalchemy.orm import object_session
from sqlmodel import Field, SQLModel

from leads.models.base import KEY_TYPE, LIST_FILTERS, text_column, utc_column
from leads.models.person import Person
from leads.rules.vocabulary import lead_name

FILTER_INDEXES: dict[str, tuple[str, ...]] = {
    "country": ("country", "nurture_status", "received_at", "id", "owner_id", "offer", "action_code", "person_id"),
    "status": ("nurture_status", "action_code", "received_at", "id", "owner_id", "offer", "country", "person_id"),
    "owner": ("owner_id", "nurture_status", "received_at", "id", "country", "offer", "action_code", "person_id"),
    # The consent filter with a country (migration 0030): "withdrawn + France" is one range read, in the list's order.
    "consent": (
        "country",
        "marketing_consent",
        "received_at",
        "id",
        "nurture_status",
        "owner_id",
        "offer",
        "action_code",
    ),
}


class Lead(SQLModel, table=True):
    """One Marketplace lead, keyed by its entity's PartitionKey + RowKey in the Azure lead table."""

    __table_args__ = (
        UniqueConstraint("source_partition_key", "source_row_key", name="uq_lead_source_key"),
        Index("ix_lead_list_order", "received_at", "id"),
        # Each list filter with the default newest-first order: the filter's rows come out already sorted.
        *(Index(f"ix_lead_{column}_received", column, "received_at") for column in LIST_FILTERS),
        # Filters combined: each index leads with a pair staff combine, then the list's order (id
        # included, so the order is the index's), then every other filter, so a combination's capped count
        # reads the index alone and its page comes out sorted (migration 0018).
        *(Index(f"ix_lead_filter_{name}", *columns) for name, columns in FILTER_INDEXES.items()),
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
    # The data subject this lead is about (found by normalised email on insert; staff may attach it to another,
    # which pins it there). Their consent, restriction, objection and pending erasure live on the person.
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    person_pinned: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # The person's marketing consent ("granted", "withdrawn", "none"; `Person.marketing_consent`), copied here so
    # the leads list's consent filter is a column of the lead, indexed with the country (`ix_lead_filter_consent`):
    # "withdrawn + France" had to test every French lead's person (bench/NOTES.md, issue #33). Kept by database
    # triggers (migration 0030): a lead moved to another person takes that person's state (none without one), a
    # person whose state changes passes it to all their leads, and a write of the copy itself is put back; so
    # attach, detach, a merge and `people.consents.recount` cannot leave it behind, nor any writer added later.
    # Triggers rather than a write in each of them: a copy kept by every writer drifts the day one forgets. A new
    # lead takes the state when filed (`people.subjects.marketing_states`, for `file_leads` and the sync's rows):
    # on SQLite a trigger on inserting a lead doubled the sync's storing time (migration 0030 says why);
    # PostgreSQL's trigger sets it on insert too. The ORM's value of a loaded lead may lag; the list's SQL reads it.
    marketing_consent: str = Field(default="none", sa_column=Column(String(10), nullable=False, server_default="none"))

    @property
    def person(self) -> Person | None:
        """The lead's person, from the session's identity map when already loaded."""
        session = object_session(self)
        return session.get(Person, self.person_id) if session is not None and self.person_id else None

    @property
    def processing_restricted(self) -> bool:
        """Whether the person asked us to restrict processing (held on the person, covering all their leads)."""
        return bool(self.person and self.person.processing_restricted)

    @processing_restricted.setter
    def processing_restricted(self, value: bool) -> None:
        self._set_on_person("processing_restricted", value)

    @property
    def erasure_pending(self) -> bool:
        """Whether an erasure request covers the person (and so this lead)."""
        return bool(self.person and self.person.erasure_pending)

    @erasure_pending.setter
    def erasure_pending(self, value: bool) -> None:
        self._set_on_person("erasure_pending", value)

    def _set_on_person(self, flag: str, value: bool) -> None:
        """A flag set through a lead is set on its person: it covers all their leads (the caller commits)."""
        person = self.person
        if person is None:
            raise ValueError("this lead has no person yet: add it to a session first")
        setattr(person, flag, value)
        object_session(self).add(person)  # type: ignore[union-attr]

    @property
    def display_name(self) -> str:
        """The person's name as staff read it (`vocabulary.lead_name`)."""
        return lead_name(self.first_name, self.last_name)


# Letters NFKD does not split into a base letter and an accent, spelled as people type them without it.
UNFOLDED = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "\u0131": "i", "ħ": "h"}
)


def search_key(value: str | None) -> str:
    """How a name, email or company is stored for prefix search, and how a search is spelled to match it:
    trimmed, single-spaced, case-folded and accent-free ("Lefèvre", "Jørgensen" and "Müller" become
    "lefevre", "jorgensen" and "muller"), so people find names typed without accents or capitals."""
    spaced = " ".join((value or "").split())
    if spaced.isascii():
        # NFKD, the table above and the accent filter leave ASCII alone, and casefold is lower on it.
        return spaced.lower()[:300]
    return _fold(spaced)


@lru_cache(maxsize=8192)
def _fold(spaced: str) -> str:
    """The accent fold of a non-ASCII key, char by char; cached, as the same names come back page after page."""
    folded = unicodedata.normalize("NFKD", spaced.casefold()).translate(UNFOLDED)
    return "".join(ch for ch in folded if not unicodedata.combining(ch))[:300]


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

    __table_args__ = (
        Index("ix_leadnote_lead_at", "lead_id", "at"),
        # "My follow-ups" (migration 0021): one author's open follow-ups by date, and done ones latest first, each
        # from an index of those alone (with one on follow_up_on, PostgreSQL filtered every author's follow-ups).
        Index(
            "ix_leadnote_open_follow_up",
            "author",
            "follow_up_on",
            "id",
            sqlite_where=text("follow_up_done_at IS NULL"),
            postgresql_where=text("follow_up_done_at IS NULL"),
        ),
        Index(
            "ix_leadnote_done_follow_up",
            "author",
            "follow_up_done_at",
            "id",
            "follow_up_on",
            sqlite_where=text("follow_up_done_at IS NOT NULL"),
            postgresql_where=text("follow_up_done_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id", ondelete="CASCADE")
    kind: str = Field(max_length=20)
    body: str = Field(sa_column=Column(Text(), nullable=False))
    at: datetime = utc_column()
    author: str = Field(max_length=254)
    follow_up_on: datetime | None = utc_column(nullable=True)
    # When (and by whom) the follow-up was marked done; the entry itself stays in the log.
    follow_up_done_at: datetime | None = utc_column(nullable=True)
    follow_up_done_by: str | None = Field(default=None, max_length=254)


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
    # The entity's own customer address, normalised (`intake.own_email`): how a person's rows here are found,
    # with the source keys of their leads. An address it only mentions does not make it theirs.
    email_key: str | None = Field(default=None, max_length=254, index=True)
    # Whose staff confirmed it is, when it only mentions a person (`people.held.mentioning`); None otherwise.
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True, ondelete="SET NULL")
    source_timestamp: datetime | None = utc_column(nullable=True)
    first_seen_at: datetime = utc_column(index=True)
    last_seen_at: datetime = utc_column()
    # The 3-year clock's start (RULES.md, "clocks"): the earliest of its readable CreatedTime, first sight and
    # Timestamp; only ever moves earlier, and the lead it becomes when fixed keeps it.
    clock_started_at: datetime = utc_column(index=True)


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
    # Install notifications: the source's events up to this time were destroyed, so a redelivery is refused.
    covers_until: datetime | None = utc_column(nullable=True)
    rule: str = Field(max_length=200)
    destroyed_at: datetime = utc_column(index=True)
    actor: str = Field(max_length=254)
