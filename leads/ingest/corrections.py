"""Rectifications and the source table: a correction is written to the lead's Azure Table row (queued, and
retried like source deletions until Azure confirms it), and a later sync does not undo it.

The sync reads the same entity again (its overlap, or Microsoft's own rewrites). While the entity still says
what it said when the person's data was corrected, or already says the correction, the correction wins.
When it says something else, the source itself changed that field again: the source wins, the correction
is marked superseded and staff are told (audit, and the request page).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func
from sqlmodel import Session, col, select

from leads.ingest import outbox
from leads.models import Lead, Rectification, SourceCorrection
from leads.staff import audit

BATCH_SIZE = 200


class CorrectionTarget(Protocol):
    """What writing corrections needs from the lead table (sources.LeadTable)."""

    def correct(self, partition_key: str, row_key: str, fields: dict[str, str | None]) -> bool: ...


@dataclass
class Flushed:
    """What one pass over the queue did."""

    written: int = 0
    pending: int = 0
    errors: list[str] | None = None


def queue(*, session: Session, lead: Lead, fields: dict[str, str | None], now: datetime) -> None:
    """Queue `fields` (lead field -> corrected value) for the lead's source row (the caller commits)."""
    session.add(
        SourceCorrection(
            partition_key=lead.source_partition_key,
            row_key=lead.source_row_key,
            fields=json.dumps(fields, sort_keys=True),
            queued_at=now,
        )
    )


def forget(*, session: Session, leads: list[Lead]) -> None:
    """Drop the queued corrections of leads about to be erased: they hold the person's data, and the row they
    would correct is being deleted (the caller commits)."""
    for lead in leads:
        query = select(SourceCorrection).where(
            SourceCorrection.partition_key == lead.source_partition_key,
            SourceCorrection.row_key == lead.source_row_key,
        )
        for pending in session.exec(query):
            session.delete(pending)


def flush(*, session: Session, source: CorrectionTarget | None) -> Flushed:
    """Write queued corrections to the source, oldest first; stop at the first failure (the service is
    probably down, or the row changed under us) and leave the rest queued for the next try. Commits per row."""
    result = Flushed(errors=[])
    while source is not None:
        batch = session.exec(select(SourceCorrection).order_by(col(SourceCorrection.id)).limit(BATCH_SIZE)).all()
        if not batch or not _write(session, source, batch, result):
            break
    result.pending = session.exec(select(func.count()).select_from(SourceCorrection)).one()
    return result


def _write(session: Session, source: CorrectionTarget, batch: list[SourceCorrection], result: Flushed) -> bool:
    """Write one batch (`outbox.send`); False at the first failure."""

    def deliver(pending: SourceCorrection) -> None:
        source.correct(pending.partition_key, pending.row_key, json.loads(pending.fields))

    written, finished = outbox.send(session, batch, deliver, result.errors)  # type: ignore[arg-type]  # errors is set
    result.written += written
    return finished


def keep_corrections(
    *, session: Session, lead: Lead, changed: dict[str, object], seen_at: datetime
) -> dict[str, object]:
    """Of the changes a sync would make to `lead`, those it may make: a corrected field keeps its correction
    while the source says what it said when corrected (or says the correction); a third value supersedes the
    correction, which is recorded and audited so staff are told. Returns the changes to apply."""
    if not changed:
        return changed
    kept = dict(changed)
    for correction in _standing(session, lead, list(changed)):
        incoming = kept.get(correction.field)
        if incoming in (correction.source_value, correction.new_value):
            kept.pop(correction.field, None)
        else:
            _supersede(session, lead, correction, incoming, seen_at)
    return kept


def _standing(session: Session, lead: Lead, fields: list[str]) -> list[Rectification]:
    """The lead's corrections of these fields that nothing has superseded yet."""
    query = select(Rectification).where(
        Rectification.lead_id == lead.id,
        col(Rectification.superseded_at).is_(None),
        col(Rectification.field).in_(fields),
    )
    return list(session.exec(query))


def _supersede(session: Session, lead: Lead, correction: Rectification, incoming: object, seen_at: datetime) -> None:
    """The source changed a corrected field again: its value wins; the correction says so, and staff are told."""
    correction.superseded_at, correction.superseded_value = seen_at, incoming  # type: ignore[assignment]
    session.add(correction)
    audit.record(
        session=session,
        at=seen_at,
        actor="system:sync",
        action="rights.rectification.superseded",
        record_type="rights_request",
        record_id=correction.request_id,
        details={"lead_id": lead.id, "field": correction.field},
    )
