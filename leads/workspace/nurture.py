"""Nurturing a lead: status, owner, the notes and correspondence log, and linking installations.

Every change is audited. These are not marketing actions: they need no consent (notice line 66), but
they are processing, so a restricted or to-be-erased record refuses them (the consent gate decides).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from leads.consent import records
from leads.models import NURTURE_STATUSES, Installation, Lead, LeadNote, User
from leads.rules import schedule, uktime
from leads.rules.vocabulary import NOTE_KINDS
from leads.staff import audit

LINK_WINDOW = timedelta(days=2)


class NurtureError(ValueError):
    """A nurture action was refused; the message says why."""


def _through_gate(
    session: Session,
    action_code: str,
    lead: Lead,
    actor: User,
    now: datetime,
    change: Callable[[], dict[str, Any]],
    undoes: int | None = None,
) -> None:
    """Run a nurture change through the consent gate (refused while restricted or being erased), audited there;
    `undoes` is the audit event of the change this one puts back, if it is an undo."""
    outcome = records.gate(
        session=session,
        action_code=action_code,
        leads=[lead],
        actor=actor,
        now=now,
        act=lambda _lead, _relied_on: change(),
        details=undone(undoes),
    )[0]
    session.commit()
    if not outcome.decision.allowed:
        raise NurtureError(outcome.decision.reason_text)


def undone(undoes: int | None) -> dict[str, Any] | None:
    """The audit details that mark a change as the undo of audit event `undoes` (None: not an undo)."""
    return {"undoes": undoes} if undoes is not None else None


def set_status(
    *, session: Session, lead: Lead, status: str, actor: User, now: datetime, undoes: int | None = None
) -> Lead:
    """Change the nurture status (`undoes`: the audit event this puts back, if any). Gated and audited. Commits."""
    if status not in NURTURE_STATUSES:
        raise NurtureError(f"Unknown status {status!r}.")
    return _set_field(session, lead, ("nurture_status", status), "lead.status.change", actor, now, undoes)


def set_owner(
    *, session: Session, lead: Lead, owner_id: int | None, actor: User, now: datetime, undoes: int | None = None
) -> Lead:
    """Assign the lead to an active member of staff (or nobody); `undoes` as for `set_status`. Gated and audited.
    Commits."""
    if owner_id is not None:
        owner = session.get(User, owner_id)
        if owner is None or not owner.active:
            raise NurtureError("Choose an active member of staff.")
    return _set_field(session, lead, ("owner_id", owner_id), "lead.owner.change", actor, now, undoes)


def _set_field(
    session: Session,
    lead: Lead,
    field_value: tuple[str, Any],
    action: str,
    actor: User,
    now: datetime,
    undoes: int | None,
) -> Lead:
    """Set one field of the lead through the gate (`action`), audited with its value before and after. Commits."""
    field, value = field_value

    def change() -> dict[str, Any]:
        before = getattr(lead, field)
        setattr(lead, field, value)
        session.add(lead)
        return {"before": before, "after": value}

    _through_gate(session, action, lead, actor, now, change, undoes)
    return lead


def add_note(
    *,
    session: Session,
    lead: Lead,
    kind: str,
    body: str,
    actor: User,
    now: datetime,
    follow_up_on: datetime | None = None,
) -> None:
    """Add a timestamped, attributed entry to the lead's log. Gated; audited without its text. Commits.

    A follow-up must lie ahead of `now` (one dated in the past would be overdue before anyone saw it) and
    before the lead's retention deadline; a "follow-up planned" entry needs its date."""
    _check_note(kind, body, follow_up_on, now)
    _check_follow_up(lead, kind, follow_up_on)

    def change() -> dict[str, Any]:
        session.add(
            LeadNote(
                lead_id=lead.id, kind=kind, body=body.strip(), at=now, author=actor.email, follow_up_on=follow_up_on
            )
        )
        return {"kind": kind}

    _through_gate(session, "lead.follow_up" if follow_up_on else "lead.note.add", lead, actor, now, change)


def _check_note(kind: str, body: str, follow_up_on: datetime | None, now: datetime) -> None:
    """An entry has a kind and a text; a follow-up lies ahead of `now`."""
    if kind not in NOTE_KINDS or not body.strip():
        raise NurtureError("Choose what kind of entry this is and write it.")
    if follow_up_on is not None and follow_up_on <= now:
        raise NurtureError("Choose a follow-up time in the future.")


def _check_follow_up(lead: Lead, kind: str, follow_up_on: datetime | None) -> None:
    """A planned follow-up has a date, and a follow-up falls before the lead is destroyed."""
    if kind == "follow_up" and follow_up_on is None:
        raise NurtureError("A planned follow-up needs the date to follow up on, or it never reaches the queue.")
    gone = schedule.deadline("lead", lead.received_at)
    if follow_up_on is not None and gone is not None and follow_up_on >= gone:
        raise NurtureError(
            f"Choose a follow-up before {uktime.show(gone, with_time=False)}: the lead is destroyed then "
            "(its retention deadline)."
        )


def notes(*, session: Session, lead_id: int) -> list[LeadNote]:
    """The lead's log, newest first."""
    query = (
        select(LeadNote).where(LeadNote.lead_id == lead_id).order_by(col(LeadNote.at).desc(), col(LeadNote.id).desc())
    )
    return list(session.exec(query))


def link_suggestions(*, session: Session, lead: Lead, limit: int = 5) -> list[Installation]:
    """Unlinked installations of the lead's offer whose first notification came within two days of the lead."""
    product = (lead.offer or "").split(".", 1)[-1]
    query = (
        select(Installation)
        .where(
            col(Installation.lead_id).is_(None),
            Installation.plan_product == product,
            col(Installation.first_event_at).between(lead.received_at - LINK_WINDOW, lead.received_at + LINK_WINDOW),
        )
        .order_by(col(Installation.first_event_at))
        .limit(limit)
    )
    return list(session.exec(query)) if product else []


def link(
    *,
    session: Session,
    installation: Installation,
    lead: Lead | None,
    actor: User,
    now: datetime,
    undoes: int | None = None,
) -> None:
    """Confirm (lead given) or undo (None) the link between an installation and a lead (`undoes`: the audit
    event this puts back, if any). Audited. Commits.

    Confirming combines the person's data, so it passes the gate: refused (NurtureError) while the lead's person
    has restricted processing, objected or asked for erasure. Unlinking is never refused."""
    if lead is not None:

        def change() -> dict[str, Any]:
            before = installation.lead_id
            installation.link(lead)
            session.add(installation)
            return {"installation_id": installation.id, "before": before}

        _through_gate(session, "installation.link", lead, actor, now, change, undoes)
        return
    before = installation.lead_id
    installation.link(None)
    session.add(installation)
    change, unlinked = {"before": before, "after": None, **(undone(undoes) or {})}, ("installation", installation.id)
    audit.commit(session=session, at=now, actor=actor, action="installation.unlink", on=unlinked, details=change)


def lead_suggestions(*, session: Session, installation: Installation, limit: int = 5) -> list[Lead]:
    """Leads of the installation's offer received within two days of its first notification."""
    if not installation.plan_product:
        return []
    query = (
        select(Lead)
        .where(
            col(Lead.offer).endswith(f".{installation.plan_product}"),
            col(Lead.received_at).between(
                installation.first_event_at - LINK_WINDOW, installation.first_event_at + LINK_WINDOW
            ),
        )
        .order_by(col(Lead.received_at))
        .limit(limit)
    )
    return list(session.exec(query))


def linked_installations(*, session: Session, lead_id: int) -> list[Installation]:
    """The installations confirmed as this lead's."""
    return list(
        session.exec(select(Installation).where(Installation.lead_id == lead_id).order_by(col(Installation.id)))
    )
