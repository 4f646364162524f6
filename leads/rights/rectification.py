"""The right to rectification (notice line 26): correct a lead's fields, keep what each was, and make the
correction stick, here (a later sync does not undo it) and in the source Azure Table row (queued, retried).

The guards (request kind, identity, status, coverage) are `actions.rectify`'s; this module does the work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from leads.ingest import corrections
from leads.models import Lead, Rectification, RightsRequest, User
from leads.people import linked, subjects
from leads.rights.history import audit_request

SourceTable = corrections.CorrectionTarget


@dataclass(frozen=True)
class Result:
    """What a rectification did: the fields changed, and where the source row stands."""

    fields: tuple[str, ...]
    source_written: int
    source_pending: int

    def sentence(self) -> str:
        """The result as staff read it."""
        if not self.fields:
            return "Nothing to correct: every field already says that."
        count = len(self.fields)
        said = f"Corrected {count} field{'s' if count != 1 else ''} ({', '.join(self.fields)})."
        if self.source_pending:
            return (
                f"{said} The source table row is queued for the correction and will be retried until Azure "
                "confirms it; until then a sync keeps the correction."
            )
        return f"{said} The source table row says so too." if self.source_written else said


def _active(session: Session, lead: Lead) -> dict[str, Rectification]:
    query = select(Rectification).where(Rectification.lead_id == lead.id, col(Rectification.superseded_at).is_(None))
    return {row.field: row for row in session.exec(query)}


def correct(
    *,
    session: Session,
    request: RightsRequest,
    lead: Lead,
    changes: dict[str, str | None],
    actor: User,
    now: datetime,
    source: SourceTable | None,
) -> Result:
    """Apply `changes` (field -> value; blank clears) to `lead`, keep each change, queue it for the source row
    and, when `source` is given, try to write it now. Commits."""
    fields = _apply(session, request, lead, changes, actor, now)
    if fields:
        session.add(lead)
        corrections.queue(session=session, lead=lead, fields=fields, now=now)
    note = f"Lead {lead.id}: {', '.join(fields) or 'nothing changed'}"
    proof = {"lead_id": lead.id, "fields": sorted(changes), "changed": len(fields)}
    audit_request(session=session, request=request, actor=actor, now=now, action="rectification", note=note, **proof)
    session.commit()
    flushed = corrections.flush(session=session, source=source)
    return Result(tuple(fields), flushed.written, flushed.pending)


def _apply(
    session: Session, request: RightsRequest, lead: Lead, changes: dict[str, str | None], actor: User, now: datetime
) -> dict[str, str | None]:
    """Set each field that really changes (stripped; blank is None) and keep the change: the fields changed."""
    earlier = _active(session, lead)
    fields: dict[str, str | None] = {}
    for field, value in changes.items():
        new = (value or "").strip() or None
        if getattr(lead, field) == new:
            continue
        previous = earlier.get(field)
        if previous is not None:  # corrected again: the newer correction replaces it
            previous.superseded_at, previous.superseded_value = now, new
            session.add(previous)
        source_value = previous.source_value if previous is not None else getattr(lead, field)
        session.add(_change(request, lead, field, new, source_value, actor=actor, now=now))
        setattr(lead, field, new)
        fields[field] = new
    if "email" in fields:
        subjects.follow_new_address(session=session, lead=lead)
    linked.follow_rename(session=session, lead=lead, changed=list(fields))
    return fields


def _change(
    request: RightsRequest,
    lead: Lead,
    field: str,
    new: str | None,
    source_value: str | None,
    *,
    actor: User,
    now: datetime,
) -> Rectification:
    """One field's correction: what it was, what it is now, who made it and when, and what the source row said
    before the first correction of the field (what a later sync compares against)."""
    return Rectification(
        lead_id=lead.id,
        request_id=request.id,
        field=field,
        old_value=getattr(lead, field),
        new_value=new,
        changed_by=actor.email,
        changed_at=now,
        source_value=source_value,
    )


def forget_queued(*, session: Session, leads: list[Lead]) -> None:
    """Corrections still queued for these leads' source rows go with an erasure (the caller commits)."""
    corrections.forget(session=session, leads=leads)


def superseded(*, session: Session, request: RightsRequest) -> list[Rectification]:
    """This request's corrections the source has since changed again: staff must check with the person."""
    query = select(Rectification).where(
        Rectification.request_id == request.id, col(Rectification.superseded_value).is_not(None)
    )
    return [row for row in session.exec(query) if row.superseded_value != _newer(session, row)]


def _newer(session: Session, row: Rectification) -> str | None:
    """The value of the correction that replaced `row`, if staff corrected the field again (not the source)."""
    query = select(Rectification.new_value).where(
        Rectification.lead_id == row.lead_id, Rectification.field == row.field, col(Rectification.id) > row.id
    )
    return session.exec(query.order_by(col(Rectification.id))).first()
