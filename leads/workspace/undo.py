"""Undo: put back what a recent reversible change altered, as a change of its own.

A reversible change is one audit event (`REVERSIBLE`): a lead's status or owner, a follow-up marked done, an
installation linked or unlinked, a lead added to a marketing list; a bulk edit is one event per lead. Its
confirmation offers Undo for `UNDO_WINDOW` to whoever made it. Undo puts the value from before back only if the
record still holds the value the change left and no later change touched it; it goes through the same door (the
consent gate) as the change would, so a person under restriction or erasure is refused the same way, and it is
audited with `"undoes": <event id>`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from leads.consent import marketing
from leads.models import AuditEvent, Installation, Lead, LeadNote, MarketingListMember, User
from leads.rules import uktime
from leads.workspace import followups, nurture

#: How long a change can be undone after it was made: one constant, documented in docs/leads-and-sync.md.
UNDO_WINDOW = timedelta(minutes=10)
#: The audit actions whose change can be undone, and the actions a later change to the same thing is audited as.
REVERSIBLE = {
    "lead.status.change": ("lead.status.change",),
    "lead.owner.change": ("lead.owner.change",),
    "lead.follow_up.done": ("lead.follow_up.done", "lead.follow_up.reopen"),
    "installation.link": ("installation.link", "installation.unlink"),
    "installation.unlink": ("installation.link", "installation.unlink"),
    "marketing_list.add": ("marketing_list.add", "marketing_list.remove"),
}


class UndoError(ValueError):
    """An undo was refused; the message says why."""


@dataclass
class Undone:
    """What an undo did: the changes put back, and each refused one with why (None: no such change)."""

    restored: list[AuditEvent] = field(default_factory=list)
    refused: list[tuple[AuditEvent | None, str]] = field(default_factory=list)


def mark(*, session: Session) -> int:
    """The newest audit event's id: take it before a change, and `offered` finds what the change wrote."""
    return session.exec(select(func.coalesce(func.max(AuditEvent.id), 0))).one()


def offered(*, session: Session, actor: User, since: int) -> list[int]:
    """The reversible changes `actor` made after audit event `since` (what a confirmation offers to undo)."""
    query = select(AuditEvent).where(
        AuditEvent.id > since, AuditEvent.actor_user_id == actor.id, col(AuditEvent.action).in_(REVERSIBLE)
    )
    return [event.id for event in session.exec(query.order_by(col(AuditEvent.id))) if _is_change(event)]  # type: ignore[misc]


def undo(*, session: Session, event_ids: list[int], actor: User, now: datetime) -> Undone:
    """Undo each change (audit event id) `actor` made within `UNDO_WINDOW` of `now`. Each is put back on its own
    (and commits), or refused with the reason; nothing is half done."""
    result = Undone()
    for event_id in dict.fromkeys(event_ids):
        event = session.get(AuditEvent, event_id)
        try:
            _undo_one(session, event, actor, now)
            result.restored.append(event)  # type: ignore[arg-type]
        except (UndoError, nurture.NurtureError) as error:
            session.rollback()
            result.refused.append((event, str(error)))
    return result


def _undo_one(session: Session, event: AuditEvent | None, actor: User, now: datetime) -> None:
    if event is None or event.action not in REVERSIBLE or not _is_change(event):
        raise UndoError("There is no such change to undo.")
    if event.actor_user_id != actor.id:
        raise UndoError("Only who made a change can undo it.")
    if now - event.at > UNDO_WINDOW:
        minutes = int(UNDO_WINDOW.total_seconds() // 60)
        raise UndoError(f"Too late: a change can be undone for {minutes} minutes after it was made.")
    later = _changed_since(session, event)
    if later is not None:
        raise UndoError(f"Not undone: it was changed again since, by {later.actor} at {uktime.show(later.at)}.")
    UNDOERS[event.action](session, event, _details(event), actor, now)


def _details(event: AuditEvent) -> dict[str, Any]:
    return json.loads(event.details) if event.details else {}


def _is_change(event: AuditEvent) -> bool:
    """A reversible event that changed something and is not itself an undo."""
    details = _details(event)
    return details.get("changed", True) is not False and "undoes" not in details


def _mentions(key: str, value: object) -> Any:
    """The details JSON (keys sorted, so a key's value ends with "," or "}") holds `key`: `value`."""
    text = f'"{key}": {json.dumps(value)}'
    return or_(col(AuditEvent.details).like(f"%{text},%"), col(AuditEvent.details).like(f"%{text}}}%"))


def _changed_since(session: Session, event: AuditEvent) -> AuditEvent | None:
    """The first later change to what `event` changed (its undo included), if any."""
    details = _details(event)
    query = select(AuditEvent).where(AuditEvent.id > event.id, col(AuditEvent.action).in_(REVERSIBLE[event.action]))
    if event.action.startswith("installation."):
        installation_id = details["installation_id"] if event.action == "installation.link" else int(event.record_id)
        on_it = (AuditEvent.record_type == "installation") & (AuditEvent.record_id == str(installation_id))
        query = query.where(or_(on_it, _mentions("installation_id", installation_id)))
    else:
        query = query.where(AuditEvent.record_type == event.record_type, AuditEvent.record_id == event.record_id)
        for key in ("note_id", "list_id"):
            if key in details:
                query = query.where(_mentions(key, details[key]))
    changes = (
        later
        for later in session.exec(query.order_by(col(AuditEvent.id)))
        if _is_change(later) or "undoes" in _details(later)
    )
    return next(changes, None)


def _lead(session: Session, event: AuditEvent) -> Lead:
    lead = session.get(Lead, int(event.record_id or 0))
    if lead is None:
        raise UndoError("That lead no longer exists (it may have been destroyed).")
    return lead


def _still(current: object, left: object) -> None:
    if current != left:
        raise UndoError("Not undone: it has been changed since.")


def _status(session: Session, event: AuditEvent, details: dict[str, Any], actor: User, now: datetime) -> None:
    lead = _lead(session, event)
    _still(lead.nurture_status, details["after"])
    nurture.set_status(session=session, lead=lead, status=details["before"], actor=actor, now=now, undoes=event.id)


def _owner(session: Session, event: AuditEvent, details: dict[str, Any], actor: User, now: datetime) -> None:
    lead = _lead(session, event)
    _still(lead.owner_id, details["after"])
    nurture.set_owner(session=session, lead=lead, owner_id=details["before"], actor=actor, now=now, undoes=event.id)


def _follow_up(session: Session, event: AuditEvent, details: dict[str, Any], actor: User, now: datetime) -> None:
    note = session.get(LeadNote, details.get("note_id") or 0)
    if note is None or note.follow_up_done_at is None:
        raise UndoError("Not undone: that follow-up is no longer marked done.")
    followups.reopen(session=session, note=note, actor=actor, now=now, undoes=event.id)


@dataclass(frozen=True)
class _Move:
    """An installation to put back: from lead `left` (None: unlinked) to lead `back` (None: unlinked)."""

    installation_id: int
    left: int | None
    back: int | None


def _relink(session: Session, move: _Move, event: AuditEvent, actor: User, now: datetime) -> None:
    """Put the installation back on its lead from before (or none), if it is still where the change left it."""
    installation_id, left, back = move.installation_id, move.left, move.back
    installation = session.get(Installation, installation_id)
    if installation is None:
        raise UndoError("That installation no longer exists (it may have been destroyed).")
    _still(installation.lead_id, left)
    lead = session.get(Lead, back) if back is not None else None
    if back is not None and lead is None:
        raise UndoError("The lead it was linked to no longer exists.")
    nurture.link(session=session, installation=installation, lead=lead, actor=actor, now=now, undoes=event.id)


def _link(session: Session, event: AuditEvent, details: dict[str, Any], actor: User, now: datetime) -> None:
    move = _Move(details["installation_id"], int(event.record_id or 0), details.get("before"))
    _relink(session, move, event, actor, now)


def _unlink(session: Session, event: AuditEvent, details: dict[str, Any], actor: User, now: datetime) -> None:
    _relink(session, _Move(int(event.record_id or 0), None, details.get("before")), event, actor, now)


def _list_add(session: Session, event: AuditEvent, details: dict[str, Any], actor: User, now: datetime) -> None:
    lead_id, list_id = int(event.record_id or 0), details["list_id"]
    on_it = select(MarketingListMember.id).where(
        MarketingListMember.list_id == list_id, MarketingListMember.lead_id == lead_id
    )
    if session.exec(on_it).first() is None:
        raise UndoError("Not undone: that lead is no longer on the list.")
    marketing.remove_from_list(session=session, list_id=list_id, lead_id=lead_id, actor=actor, now=now, undoes=event.id)


UNDOERS: dict[str, Callable[[Session, AuditEvent, dict[str, Any], User, datetime], None]] = {
    "lead.status.change": _status,
    "lead.owner.change": _owner,
    "lead.follow_up.done": _follow_up,
    "installation.link": _link,
    "installation.unlink": _unlink,
    "marketing_list.add": _list_add,
}
