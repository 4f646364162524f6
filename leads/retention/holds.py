"""Legal holds: pause one record's destruction, with a reason; placing and lifting are audited."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from leads.models import Installation, Lead, LegalHold, User
from leads.staff import audit

RECORD_TYPES = {"lead": Lead, "installation": Installation}


class HoldError(ValueError):
    """A hold could not be placed or lifted; the message is safe to show."""


def active_holds(*, session: Session, record_type: str, record_ids: Iterable[int]) -> dict[int, LegalHold]:
    """The active hold of each of `record_ids` that has one (one query, for list pages)."""
    ids = list(set(record_ids))
    if not ids:
        return {}
    query = select(LegalHold).where(
        LegalHold.record_type == record_type, col(LegalHold.record_id).in_(ids), col(LegalHold.lifted_at).is_(None)
    )
    return {hold.record_id: hold for hold in session.exec(query)}


def is_held(record_type: str, record_id: Any) -> Any:
    """Whether the record whose id is the column `record_id` has an active hold: a column for a list page to read
    with its rows' other surroundings in one statement (`leads.workspace.listpages`)."""
    active = select(LegalHold.id).where(
        LegalHold.record_type == record_type,
        col(LegalHold.record_id) == record_id,
        col(LegalHold.lifted_at).is_(None),
    )
    return active.exists()


def history(*, session: Session, record_type: str, record_id: int) -> list[LegalHold]:
    """Every hold ever placed on the record, newest first."""
    query = (
        select(LegalHold)
        .where(LegalHold.record_type == record_type, LegalHold.record_id == record_id)
        .order_by(col(LegalHold.id).desc())
    )
    return list(session.exec(query))


def place(*, session: Session, record_type: str, record_id: int, reason: str, actor: User, now: datetime) -> LegalHold:
    """Put the record on hold. Refuses a missing record, an empty reason, or a second active hold. Commits."""
    if session.get(RECORD_TYPES[record_type], record_id) is None:
        raise HoldError("That record no longer exists.")
    if not reason.strip():
        raise HoldError("Give the reason for the hold (e.g. the claim or request it protects).")
    if active_holds(session=session, record_type=record_type, record_ids=[record_id]):
        raise HoldError("This record is already on hold.")
    hold = LegalHold(
        record_type=record_type, record_id=record_id, reason=reason.strip(), placed_by=actor.email, placed_at=now
    )
    session.add(hold)
    session.flush()
    placed = {"hold_id": hold.id}  # the reason may name people: it lives in the hold, and goes with it
    audit.commit(session=session, at=now, actor=actor, action="hold.place", on=(record_type, record_id), details=placed)
    return hold


def lift(*, session: Session, hold_id: int, reason: str, actor: User, now: datetime) -> LegalHold:
    """Lift an active hold with a reason; destruction resumes at the next sweep if the record is due. Commits."""
    hold = session.get(LegalHold, hold_id)
    if hold is None or hold.lifted_at is not None:
        raise HoldError("That hold is not active.")
    if not reason.strip():
        raise HoldError("Give the reason for lifting the hold.")
    hold.lifted_by, hold.lifted_at, hold.lift_reason = actor.email, now, reason.strip()
    session.add(hold)
    lifted = {"hold_id": hold.id}
    audit.commit(
        session=session, at=now, actor=actor, action="hold.lift", on=(hold.record_type, hold.record_id), details=lifted
    )
    return hold


def get(*, session: Session, hold_id: int) -> LegalHold | None:
    """The hold with that id, or None."""
    return session.get(LegalHold, hold_id)
