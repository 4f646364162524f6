"""Leads, consent and lists for the consent and marketing tests, made through the same services staff use."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import event
from sqlmodel import Session, col, select

from leads.consent import marketing, records
from leads.consent.records import ConsentInput
from leads.models import ConsentRecord, Lead, MarketingList
from leads.people import subjects
from tests.factories import PINNED_NOW

GRANTED_AT = PINNED_NOW - timedelta(days=10)


def make_lead(session: Session, n: int, **fields) -> Lead:
    """A lead received n days before PINNED_NOW, named PersonN, with an email."""
    at = PINNED_NOW - timedelta(days=n, hours=1)
    values = {"first_name": f"Person{n}", "last_name": "Tester", "email": f"p{n}@x.example", "company": "Contoso"}
    values.update(fields)
    flags = {flag: values.pop(flag) for flag in ("processing_restricted", "erasure_pending") if flag in values}
    lead = Lead(source_partition_key="m", source_row_key=f"m{n}", first_seen_at=at, received_at=at, **values)
    subjects.file_leads(session=session, leads=[lead])
    session.add(lead)
    session.commit()
    for flag, value in flags.items():  # the person's, set through the lead
        setattr(lead, flag, value)
    session.commit()
    return lead


def give(
    session: Session, lead: Lead, *, at: datetime = GRANTED_AT, granted: bool = True, purpose: str = "marketing"
) -> ConsentRecord:
    """Record the person's grant (or withdrawal) as given at `at`, and return the new record."""
    given = ConsentInput(purpose, granted, "email_reply", f"their email of {at:%d %B}", "notice v1", at)
    records.record(session=session, lead=lead, given=given, actor="system:test", now=at)
    latest = select(ConsentRecord).where(ConsentRecord.lead_id == lead.id).order_by(col(ConsentRecord.id).desc())
    return session.exec(latest).first()


def make_list(session: Session, name: str = "Launch") -> MarketingList:
    """An empty marketing list."""
    return marketing.create_list(session=session, name=name, description=None, actor="system:test", now=PINNED_NOW)


class QueryCounter:
    """Counts the SQL statements an engine runs while in a `with` block."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.count = 0

    def _count(self, *_args) -> None:
        self.count += 1

    def __enter__(self) -> QueryCounter:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)
