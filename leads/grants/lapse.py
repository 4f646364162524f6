"""When a support access grant lapses, and lapsing it (notice lines 86-92).

A grant lapses at the earlier of its support request's close and 10 days after its last communication
(the written consent being the first). It is lapsed the moment anything reads or writes it past that
moment, by the worker's wake-up at the next lapse, and when its plan is switched to locked mode: on lapse
everything held under it is destroyed at once and only a non-personal outline remains.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from leads import tombstones
from leads.models import GrantCommunication, GrantData, Installation, SupportGrant, User
from leads.rules import schedule
from leads.staff import audit

SILENCE = "10 days without communication"
REF_DESTROYED = "(reference destroyed at lapse)"
RULE = f"{schedule.SCHEDULE['support_grant'].label}: {schedule.SCHEDULE['support_grant'].citation}"


def lapse_at(grant: SupportGrant) -> datetime:
    """When the grant's permission ends (or ended)."""
    return schedule.grant_lapse_at(last_communication_at=grant.last_communication_at, closed_at=grant.closed_at)


def is_open(grant: SupportGrant, now: datetime) -> bool:
    """Whether access is still permitted at `now`."""
    return grant.lapsed_at is None and not schedule.is_due(lapse_at(grant), now)


def lapse(*, session: Session, grant: SupportGrant, now: datetime, reason: str, actor: str) -> int:
    """End the grant and destroy everything held under it, leaving a non-personal outline. Commits.

    Returns how many data items were destroyed (each leaves a tombstone, through the one writer).
    """
    items = session.exec(delete(GrantData).where(col(GrantData.grant_id) == grant.id).returning(GrantData.id)).all()  # type: ignore[call-overload]
    session.exec(delete(GrantCommunication).where(col(GrantCommunication.grant_id) == grant.id))  # type: ignore[call-overload]
    entries = [tombstones.Entry() for _ in items]
    tombstones.write(session=session, kind="support_grant_data", rule=RULE, now=now, actor=actor, entries=entries)
    grant.lapsed_at, grant.lapse_reason = min(now, lapse_at(grant)), reason
    grant.consent_given_by, grant.consent_evidence = None, None
    grant.support_request_ref = REF_DESTROYED  # free text staff typed: it may name the person
    grant.data_destroyed_at, grant.data_items_destroyed = now, len(items)
    session.add(grant)
    lapsed = {"installation_id": grant.installation_id, "reason": reason, "data_items_destroyed": len(items)}
    audit.commit(
        session=session, at=now, actor=actor, action="grant.lapse", on=("support_grant", grant.id), details=lapsed
    )
    return len(items)


def lapse_due(*, session: Session, now: datetime, actor: str = "system:grants") -> int:
    """Lapse every open grant whose window has closed by `now`. Commits per grant; returns how many."""
    silent_since = schedule.latest_start("support_grant", now)
    query = select(SupportGrant).where(
        col(SupportGrant.lapsed_at).is_(None), col(SupportGrant.last_communication_at) <= silent_since
    )
    due = [grant for grant in session.exec(query).all() if not is_open(grant, now)]
    for grant in due:
        lapse(session=session, grant=grant, now=now, reason=SILENCE, actor=actor)
    return len(due)


def settle(*, session: Session, grant: SupportGrant, now: datetime) -> SupportGrant:
    """`grant`, lapsed first if its window closed by `now` (reading a grant is enough to lapse it)."""
    if grant.lapsed_at is None and not is_open(grant, now):
        lapse(session=session, grant=grant, now=now, reason=SILENCE, actor="system:grants")
    return grant


def next_lapse(*, session: Session) -> datetime | None:
    """The soonest moment an open grant lapses (the worker wakes for it), or None."""
    query = select(func.min(SupportGrant.last_communication_at)).where(col(SupportGrant.lapsed_at).is_(None))
    oldest = session.exec(query).one()
    return None if oldest is None else schedule.deadline("support_grant", oldest)


def lapse_for_plan(*, session: Session, plan_name: str, now: datetime, actor: User | str) -> int:
    """A plan switched to locked mode gives no access at all (line 88): its open grants lapse now. Commits."""
    query = (
        select(SupportGrant)
        .join(Installation, col(Installation.id) == col(SupportGrant.installation_id))
        .where(col(SupportGrant.lapsed_at).is_(None), Installation.plan_name == plan_name)
    )
    name = actor.email if isinstance(actor, User) else actor
    found = session.exec(query).all()
    for grant in found:
        lapse(session=session, grant=grant, now=now, reason="plan switched to locked mode", actor=name)
    return len(found)
