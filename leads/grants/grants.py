"""Support access grants (notice lines 86-92): publisher-managed access on the customer's written consent.

Open only on a publisher-managed plan and only with the consent recorded, given less than 10 days ago. The
consent is the first communication, at its real time; each later one, at the time it was really sent or
received, restarts the 10-day window. A grant past its window is lapsed the moment anything here reads or
writes it (and by the worker at the next lapse; see `lapse`); on lapse everything held under it is
destroyed at once and only a non-personal outline of the grant remains.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlmodel import Session, col, select

from leads.grants import plans
from leads.grants.lapse import is_open, lapse, lapse_at, lapse_due, next_lapse, settle  # noqa: F401 - re-exported
from leads.models import GrantCommunication, GrantData, Installation, Lead, SupportGrant, User
from leads.rules import schedule, uktime
from leads.staff import audit

DIRECTIONS = {"in": "From the customer", "out": "To the customer"}
DATA_KINDS = {"note": "Note", "file": "File name", "finding": "Finding"}
CONSENT_SUMMARY = "Written explicit consent to publisher-managed access (the first communication)"


class GrantError(ValueError):
    """A grant action was refused; the message says why in plain words."""


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
    _check_can_open(session, installation, (consent_given_by, consent_evidence, support_request_ref))
    _check_consent_time(consent_given_at, now)
    grant = _open(
        session, installation_id, support_request_ref, consent_given_by, consent_given_at, consent_evidence, actor, now
    )
    _audit_then_commit(session, grant, actor, now, "grant.open", {})  # by id: the reference is free text
    return grant


def _check_can_open(session: Session, installation: Installation | None, written: tuple[str, str, str]) -> None:
    """A grant opens only on a publisher-managed plan's installation, with who gave written consent, the consent
    itself and the support request all `written`."""
    if installation is None:
        raise GrantError("That installation no longer exists.")
    if plans.model_for(session=session, plan_name=installation.plan_name) != "publisher_managed":
        raise GrantError(
            f"Plan {installation.plan_name or '(unknown)'} uses locked mode: coreMem has no access "
            "to the customer's deployment, so no grant can be opened (privacy notice line 88)."
        )
    if not all(given.strip() for given in written):
        raise GrantError(
            "Record who gave written consent, the consent itself (text or reference) and the support "
            "request: no access without prior written explicit consent (privacy notice line 91)."
        )


def _open(
    session: Session, installation_id: int, ref: str, by: str, at: datetime, evidence: str, actor: User, now: datetime
) -> SupportGrant:
    """Add the grant for support request `ref` and its first communication, the written consent given `by`
    whom, `at` when, and its `evidence` (flushed: the grant has its id)."""
    grant = SupportGrant(
        installation_id=installation_id,
        support_request_ref=ref.strip(),
        consent_given_by=by.strip(),
        consent_given_at=at,
        consent_evidence=evidence.strip(),
        consent_evidence_sha256=hashlib.sha256(evidence.strip().encode()).hexdigest(),
        opened_by=actor.email,
        opened_at=now,
        last_communication_at=at,  # the written consent is the first communication
        communications=1,
    )
    session.add(grant)
    session.flush()
    session.add(
        GrantCommunication(grant_id=grant.id, at=at, direction="in", summary=CONSENT_SUMMARY, recorded_by=actor.email)
    )
    return grant


def _check_consent_time(consent_given_at: datetime, now: datetime) -> None:
    """Consent opens a grant only if given before now and less than the 10-day window ago."""
    if consent_given_at > now:
        raise GrantError("Consent must be given before access: its date cannot be in the future.")
    if schedule.is_due(schedule.deadline("support_grant", consent_given_at), now):
        raise GrantError(
            "That consent was given 10 days ago or more: its window has already closed, so it cannot open a grant. "
            "Ask the customer for fresh written consent (privacy notice lines 89-91)."
        )


def add_communication(
    *,
    session: Session,
    grant: SupportGrant,
    direction: str,
    summary: str,
    at: datetime,
    actor: User,
    now: datetime,
) -> GrantCommunication:
    """Log a message in or out, sent or received `at` (not after now, not before the previous communication);
    the 10-day window restarts from `at`. Refused once the grant has lapsed. Commits."""
    _require_open(session, grant, now)
    _check_message(grant, direction, summary, at, now)
    message = GrantCommunication(
        grant_id=grant.id, at=at, direction=direction, summary=summary.strip(), recorded_by=actor.email
    )
    grant.last_communication_at, grant.communications = at, grant.communications + 1
    session.add_all([message, grant])
    _audit_then_commit(session, grant, actor, now, "grant.communication", {"direction": direction})
    return message


def _check_message(grant: SupportGrant, direction: str, summary: str, at: datetime, now: datetime) -> None:
    """A message is logged with its direction and a summary, at the time it was really sent or received."""
    if direction not in DIRECTIONS or not summary.strip():
        raise GrantError("Say whether the message came from or went to the customer, and summarise it.")
    if at > now or at < grant.last_communication_at:
        raise GrantError(
            "A message's time must be when it was really sent or received: not in the future, and not "
            f"before the previous communication ({uktime.show(grant.last_communication_at)})."
        )


def record_data(
    *, session: Session, grant: SupportGrant, kind: str, description: str, actor: User, now: datetime
) -> GrantData:
    """Record something held under the grant. Refused once the grant has lapsed. Commits."""
    _require_open(session, grant, now)
    if kind not in DATA_KINDS or not description.strip():
        raise GrantError("Choose what kind of data this is and describe it.")
    item = GrantData(
        grant_id=grant.id, kind=kind, description=description.strip(), recorded_at=now, recorded_by=actor.email
    )
    session.add(item)
    _audit_then_commit(session, grant, actor, now, "grant.data", {"kind": kind})
    return item


def close_request(*, session: Session, grant: SupportGrant, actor: User, now: datetime) -> SupportGrant:
    """The support request is closed: the grant lapses at once and its data is destroyed. Commits."""
    _require_open(session, grant, now)
    grant.closed_at = now
    lapse(session=session, grant=grant, now=now, reason="support request closed", actor=actor.email)
    return grant


def _require_open(session: Session, grant: SupportGrant, now: datetime) -> None:
    """Refuse to act on a lapsed grant, lapsing it first if its window closed (a write is a read)."""
    if not is_open(settle(session=session, grant=grant, now=now), now):
        raise GrantError("This grant has lapsed: access ended, and a new grant needs new written consent.")


def _audit_then_commit(
    session: Session, grant: SupportGrant, actor: User | str, now: datetime, action: str, details: dict[str, object]
) -> None:
    """Audit `action` on the grant (naming its installation), then commit."""
    about = {"installation_id": grant.installation_id, **details}
    audit.commit(session=session, at=now, actor=actor, action=action, on=("support_grant", grant.id), details=about)


def get(*, session: Session, grant_id: int, now: datetime) -> SupportGrant | None:
    """The grant with that id (lapsed first if its window closed by `now`), or None."""
    grant = session.get(SupportGrant, grant_id)
    return None if grant is None else settle(session=session, grant=grant, now=now)


def detail(*, session: Session, grant: SupportGrant) -> tuple[list[GrantCommunication], list[GrantData]]:
    """The grant's communications (newest first) and the data held under it."""
    messages = session.exec(
        select(GrantCommunication)
        .where(GrantCommunication.grant_id == grant.id)
        .order_by(col(GrantCommunication.at).desc(), col(GrantCommunication.id).desc())
    )
    held = session.exec(select(GrantData).where(GrantData.grant_id == grant.id).order_by(col(GrantData.id)))
    return list(messages), list(held)


def open_grants(*, session: Session, now: datetime) -> list[SupportGrant]:
    """Grants open at `now` (those past their window are lapsed first), soonest lapse first (the window is
    the same for all, so: oldest message first)."""
    lapse_due(session=session, now=now)
    query = (
        select(SupportGrant)
        .where(col(SupportGrant.lapsed_at).is_(None))
        .order_by(col(SupportGrant.last_communication_at), col(SupportGrant.id))
    )
    return list(session.exec(query))


def recently_lapsed(*, session: Session, now: datetime, limit: int = 20) -> list[SupportGrant]:
    """The latest lapsed grants (their outlines), including any whose window closed by `now`."""
    lapse_due(session=session, now=now)
    query = (
        select(SupportGrant)
        .where(col(SupportGrant.lapsed_at).is_not(None))
        .order_by(col(SupportGrant.lapsed_at).desc())
        .limit(limit)
    )
    return list(session.exec(query))


def for_installations(*, session: Session, installation_ids: list[int], now: datetime) -> list[SupportGrant]:
    """Every grant on these installations, newest first (those past their window lapsed first)."""
    if not installation_ids:
        return []
    lapse_due(session=session, now=now)
    query = (
        select(SupportGrant)
        .where(col(SupportGrant.installation_id).in_(installation_ids))
        .order_by(col(SupportGrant.id).desc())
    )
    return list(session.exec(query))


def whose(*, session: Session, grants: list[SupportGrant]) -> dict[int, tuple[str, str]]:
    """For each grant's installation id: (the installation's name, its customer), the customer being the linked
    lead's company, else the lead's name, else "customer not linked". Reads only."""
    ids = {grant.installation_id for grant in grants}
    if not ids:
        return {}
    query = (
        select(Installation, Lead)
        .join(Lead, col(Installation.lead_id) == col(Lead.id), isouter=True)
        .where(col(Installation.id).in_(ids))
    )
    return {
        installation.id: (
            installation.application_name,
            (lead.company or lead.display_name) if lead else "customer not linked",
        )
        for installation, lead in session.exec(query)
    }
