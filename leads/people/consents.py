"""The one writer of consent records, and the person's current consent it keeps beside them.

A person's consent history is append-only (`ConsentRecord`); what the leads list filters on is each consent
purpose's current state, stored on the person (`Person.<purpose>_consent`: "granted", "withdrawn" or "none",
the list's own words) so a filter is a column test, not a search of every person's latest record. Every record
is added through `append`, which recounts the state of the people it touched from their whole history, in the
same transaction (its pair `supersede` marks a record entered in error as corrected, adds the right one if any,
and recounts the same way): recording consent (`consent.records`: staff, withdrawal requests, unsubscribe, the
privacy page) and carrying it when a lead is attached or detached (`people.subjects`). Erasure deletes the person, and
the state goes with the row. The gate that refuses marketing does not read the stored state: it decides from the
records at its own `now` (`consent.records.gate`).

Records are never dated after the moment they are recorded (`consent.records` refuses it), so the latest record
by expressed time is the latest "as at now" for every later now: the stored state equals the history's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from leads.models import CONSENT_COLUMNS, ConsentRecord, Person
from leads.rules import consent

LATEST = datetime.max.replace(tzinfo=UTC)  # every record is at or before it: the latest of the whole history


def event(record: ConsentRecord) -> consent.ConsentEvent:
    """A stored record as the pure rules read it."""
    return consent.ConsentEvent(
        record.id,
        record.purpose,
        record.granted,
        record.at,
        record.method,
        record.evidence,
        record.wording_version,
        record.recorded_by,
        superseded=record.superseded_at is not None,
    )


def append(*, session: Session, records: Sequence[ConsentRecord]) -> None:
    """Add `records` (flushed, so they have ids) and recount their people's current consent. The caller commits."""
    session.add_all(records)
    session.flush()
    recount(session=session, person_ids=[record.person_id for record in records])


def supersede(
    *,
    session: Session,
    record: ConsentRecord,
    reason: str,
    by: str,
    now: datetime,
    replacement: ConsentRecord | None = None,
) -> None:
    """Mark `record` superseded at `now` by `by` because of `reason` (it stays in the history, and no rule counts
    it again), add its `replacement` if any, and recount the people concerned, all in the caller's transaction.
    The caller has checked the correction is safe (`consent.correction_refusal`) and commits."""
    record.superseded_at, record.superseded_by, record.correction_reason = now, by, reason
    session.add(record)
    if replacement is not None:
        session.add(replacement)
    session.flush()
    people = [record.person_id, *([replacement.person_id] if replacement is not None else [])]
    recount(session=session, person_ids=people)


def current(history: Iterable[ConsentRecord]) -> dict[str, str]:
    """Each consent purpose's state after `history` (one person's records): {column: state}."""
    events = [event(record) for record in history]
    states = {}
    for purpose, column in CONSENT_COLUMNS.items():
        latest = consent.latest_event(events, purpose, now=LATEST)
        states[column] = "none" if latest is None else "granted" if latest.granted else "withdrawn"
    return states


def recount(*, session: Session, person_ids: Iterable[int | None]) -> None:
    """Store the current consent of each of `person_ids`, recounted from all their records. The caller commits."""
    ids = sorted({person_id for person_id in person_ids if person_id is not None})
    if not ids:
        return
    found: dict[int, list[ConsentRecord]] = {person_id: [] for person_id in ids}
    for record in session.exec(select(ConsentRecord).where(col(ConsentRecord.person_id).in_(ids))):
        found[record.person_id].append(record)
    for person_id, history in found.items():
        session.execute(update(Person).where(col(Person.id) == person_id).values(**current(history)))
