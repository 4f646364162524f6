"""Support access grants (notice lines 86-92): publisher-managed access on the customer's written consent.

Open only on a publisher-managed plan and only with the consent recorded. Each communication restarts
the 10-day window. The grant lapses when the support request closes, or 10 days after the last
communication (the sweeper lapses those, at the deadline); on lapse everything held under it is destroyed
at once and only a non-personal outline of the grant remains.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from leads.grants import plans
from leads.models import GrantCommunication, GrantData, Installation, SupportGrant, Tombstone, User
from leads.rules import schedule
from leads.staff import audit

DIRECTIONS = {"in": "From the customer", "out": "To the customer"}
DATA_KINDS = {"note": "Note", "file": "File name", "finding": "Finding"}


class GrantError(ValueError):
    """A grant action was refused; the message says why in plain words."""


def lapse_at(grant: SupportGrant) -> datetime:
    """When the grant's permission ends (or ended)."""
    return schedule.grant_lapse_at(last_communication_at=grant.last_communication_at, closed_at=grant.closed_at)


def is_open(grant: SupportGrant, now: datetime) -> bool:
    """Whether access is still permitted at `now`."""
    return grant.lapsed_at is None and not schedule.is_due(lapse_at(grant), now)


def open_grant(
    *,
    session: Session,
    installation_id: int,
    support_request_ref: str,
    consent_given_by: str,
    consent_given_at: datetime,
    consent_evidence: str,
    actor: User,
    now: datetime,
) -> SupportGrant:
    """Open a grant. Refuses a locked-mode plan, missing consent evidence, or consent dated after now. Commits."""
    installation = session.get(Installation, installation_id)
    if installation is None:
        raise GrantError("That installation no longer exists.")
    if plans.model_for(session=session, plan_name=installation.plan_name) != "publisher_managed":
        raise GrantError(
            f"Plan {installation.plan_name or '(unknown)'} uses locked mode: coreMem has no access "
            "to the customer's deployment, so no grant can be opened (privacy notice line 88)."
        )
    if not (consent_given_by.strip() and consent_evidence.strip() and support_request_ref.strip()):
        raise GrantError(
            "Record who gave written consent, the consent itself (text or reference) and the support "
            "request: no access without prior written explicit consent (privacy notice line 91)."
        )
    if consent_given_at > now:
        raise GrantError("Consent must be given before access: its date cannot be in the future.")
    grant = SupportGrant(
        installation_id=installation_id,
        support_request_ref=support_request_ref.strip(),
        consent_given_by=consent_given_by.strip(),
        consent_given_at=consent_given_at,
        consent_evidence=consent_evidence.strip(),
        consent_evidence_sha256=hashlib.sha256(consent_evidence.strip().encode()).hexdigest(),
        opened_by=actor.email,
        opened_at=now,
        last_communication_at=now,
    )
    session.add(grant)
    session.flush()
    _audit(session, grant, actor, now, "grant.open", {"support_request": grant.support_request_ref})
    session.commit()
    return grant


def add_communication(
    *, session: Session, grant: SupportGrant, direction: str, summary: str, actor: User, now: datetime
) -> GrantCommunication:
    """Log a message in or out; restarts the 10-day window. Refused once the grant has lapsed. Commits."""
    _require_open(grant, now)
    if direction not in DIRECTIONS or not summary.strip():
        raise GrantError("Say whether the message came from or went to the customer, and summarise it.")
    message = GrantCommunication(
        grant_id=grant.id, at=now, direction=direction, summary=summary.strip(), recorded_by=actor.email
    )
    grant.last_communication_at, grant.communications = now, grant.communications + 1
    session.add_all([message, grant])
    _audit(session, grant, actor, now, "grant.communication", {"direction": direction})
    session.commit()
    return message


def record_data(
    *, session: Session, grant: SupportGrant, kind: str, description: str, actor: User, now: datetime
) -> GrantData:
    """Record something held under the grant. Refused once the grant has lapsed. Commits."""
    _require_open(grant, now)
    if kind not in DATA_KINDS or not description.strip():
        raise GrantError("Choose what kind of data this is and describe it.")
    item = GrantData(
        grant_id=grant.id, kind=kind, description=description.strip(), recorded_at=now, recorded_by=actor.email
    )
    session.add(item)
    _audit(session, grant, actor, now, "grant.data", {"kind": kind})
    session.commit()
    return item


def close_request(*, session: Session, grant: SupportGrant, actor: User, now: datetime) -> SupportGrant:
    """The support request is closed: the grant lapses at once and its data is destroyed. Commits."""
    _require_open(grant, now)
    grant.closed_at = now
    lapse(session=session, grant=grant, now=now, reason="support request closed", actor=actor.email)
    return grant


def lapse(*, session: Session, grant: SupportGrant, now: datetime, reason: str, actor: str) -> int:
    """End the grant and destroy everything held under it, leaving a non-personal outline. Commits.

    Returns how many data items were destroyed (each leaves a tombstone).
    """
    items = session.exec(delete(GrantData).where(col(GrantData.grant_id) == grant.id).returning(GrantData.id)).all()  # type: ignore[call-overload]
    session.exec(delete(GrantCommunication).where(col(GrantCommunication.grant_id) == grant.id))  # type: ignore[call-overload]
    for _ in items:
        session.add(
            Tombstone(kind="support_grant_data", opaque_id=uuid.uuid4().hex, rule=_RULE, destroyed_at=now, actor=actor)
        )
    grant.lapsed_at, grant.lapse_reason = min(now, lapse_at(grant)), reason
    grant.consent_given_by, grant.consent_evidence = None, None
    grant.data_destroyed_at, grant.data_items_destroyed = now, len(items)
    session.add(grant)
    _audit(session, grant, actor, now, "grant.lapse", {"reason": reason, "data_items_destroyed": len(items)})
    session.commit()
    return len(items)


_RULE = f"{schedule.SCHEDULE['support_grant'].label}: {schedule.SCHEDULE['support_grant'].citation}"


def _require_open(grant: SupportGrant, now: datetime) -> None:
    if not is_open(grant, now):
        raise GrantError("This grant has lapsed: access ended, and a new grant needs new written consent.")


def _audit(
    session: Session, grant: SupportGrant, actor: User | str, now: datetime, action: str, details: dict[str, object]
) -> None:
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action=action,
        record_type="support_grant",
        record_id=grant.id,
        details={"installation_id": grant.installation_id, **details},
    )


def get(*, session: Session, grant_id: int) -> SupportGrant | None:
    """The grant with that id, or None."""
    return session.get(SupportGrant, grant_id)


def detail(*, session: Session, grant: SupportGrant) -> tuple[list[GrantCommunication], list[GrantData]]:
    """The grant's communications (newest first) and the data held under it."""
    messages = session.exec(
        select(GrantCommunication)
        .where(GrantCommunication.grant_id == grant.id)
        .order_by(col(GrantCommunication.at).desc(), col(GrantCommunication.id).desc())
    )
    held = session.exec(select(GrantData).where(GrantData.grant_id == grant.id).order_by(col(GrantData.id)))
    return list(messages), list(held)


def open_grants(*, session: Session) -> list[SupportGrant]:
    """Grants not yet lapsed, soonest lapse first (the window is the same for all, so: oldest message first)."""
    query = (
        select(SupportGrant)
        .where(col(SupportGrant.lapsed_at).is_(None))
        .order_by(col(SupportGrant.last_communication_at), col(SupportGrant.id))
    )
    return list(session.exec(query))


def recently_lapsed(*, session: Session, limit: int = 20) -> list[SupportGrant]:
    """The latest lapsed grants (their outlines)."""
    query = (
        select(SupportGrant)
        .where(col(SupportGrant.lapsed_at).is_not(None))
        .order_by(col(SupportGrant.lapsed_at).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def for_installations(*, session: Session, installation_ids: list[int]) -> list[SupportGrant]:
    """Every grant on these installations, newest first."""
    if not installation_ids:
        return []
    query = (
        select(SupportGrant)
        .where(col(SupportGrant.installation_id).in_(installation_ids))
        .order_by(col(SupportGrant.id).desc())
    )
    return list(session.exec(query))
