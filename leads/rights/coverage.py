"""Who a rights request covers: the leads the register matched, confirmed by staff, or linked by a recorded
override; and the "erasure pending" flag that follows from every open erasure request.

The coverage decision is made here and nowhere else: `candidates`, `covered_leads` and `erasure_pending_for`.
Rights belong to the person: the register's matches are every lead of the people the requester's
address finds (a lead staff attached under another address included), and "erasure pending" is the person's,
held while any open erasure request covers any of their leads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from leads.models import Lead, Person, RequestLead, RightsRequest, User, search_key
from leads.rights.history import RequestError, audit_request
from leads.rules import people, rights


@dataclass(frozen=True)
class Override:
    """Linking a lead the register did not match: why, and on what evidence (the actor is who)."""

    reason: str
    evidence: str


def candidates(*, session: Session, request: RightsRequest) -> list[Lead]:
    """Every lead of the person the requester's address finds (normalised as people are), and any lead with
    that address: the only leads staff may confirm without an override."""
    key = people.normalise_email(request.requester_email)
    # One person at most (email_key is unique): a scalar subquery, not IN (subquery). PostgreSQL cannot OR a
    # hashed IN-subplan with an index condition, so it would walk the whole lead table; with
    # `person_id = (SELECT ...)` it ORs the two index scans.
    person_id = select(Person.id).where(Person.email_key == key).scalar_subquery()
    query = select(Lead).where(
        or_(col(Lead.person_id) == person_id, Lead.email_key == search_key(request.requester_email))
    )
    return list(session.exec(query.order_by(col(Lead.id))))


def covered_leads(*, session: Session, request: RightsRequest) -> list[Lead]:
    """The leads `request` covers: those linked to it (matched and confirmed, or overridden). The one place
    that decides coverage; every right is carried out on exactly these."""
    query = (
        select(Lead)
        .join(RequestLead, col(RequestLead.lead_id) == Lead.id)
        .where(RequestLead.request_id == request.id)
        .order_by(col(Lead.id))
    )
    return list(session.exec(query))


linked_leads = covered_leads  # the name the actions and the page have always used


def links(*, session: Session, request: RightsRequest) -> dict[int, RequestLead]:
    """The request's links by lead id (who confirmed each, and any override's reason and evidence)."""
    rows = session.exec(select(RequestLead).where(RequestLead.request_id == request.id))
    return {row.lead_id: row for row in rows}


def erasure_pending_for(*, session: Session, lead_ids: list[int]) -> set[int]:
    """Of `lead_ids`, those whose person has a lead some open erasure request covers: processing stays
    refused on every lead of that person, not only on the lead the request names."""
    if not lead_ids:
        return set()
    covered_people = (
        select(Lead.person_id)
        .join(RequestLead, col(RequestLead.lead_id) == Lead.id)
        .join(RightsRequest, col(RightsRequest.id) == RequestLead.request_id)
        .where(RightsRequest.kind == "erasure", col(RightsRequest.status).not_in(rights.TERMINAL))
    )
    query = select(Lead.id).where(col(Lead.id).in_(lead_ids), col(Lead.person_id).in_(covered_people))
    return set(session.exec(query))


def settle_erasure_flags(*, session: Session, lead_ids: list[int]) -> None:
    """Set the "erasure pending" flag of each lead's person from the open erasure requests that cover any of
    the person's leads (the caller commits): it clears only when none does any more."""
    session.flush()
    pending = erasure_pending_for(session=session, lead_ids=lead_ids)
    for lead in session.exec(select(Lead).where(col(Lead.id).in_(lead_ids))):
        if lead.erasure_pending != (lead.id in pending):
            lead.erasure_pending = lead.id in pending
            session.add(lead)


def confirm_lead(
    *,
    session: Session,
    request: RightsRequest,
    lead: Lead,
    actor: User,
    now: datetime,
    override: Override | None = None,
) -> None:
    """Confirm that `lead` is the requester's. Only a lead the register matched, unless `override` says why
    and on what evidence. Refused on a closed request. Commits."""
    if request.status in rights.TERMINAL:
        raise RequestError("The request is closed: its coverage cannot change.")
    if lead.id in links(session=session, request=request):
        return
    matched = _matched_or_overridden(session, request, lead, override)
    session.add(_link(request, lead, None if matched else override, actor=actor, now=now))
    settle_erasure_flags(session=session, lead_ids=[lead.id])
    note = f"Lead {lead.id}" + ("" if matched else f": {override.reason.strip()}")  # type: ignore[union-attr]
    action = "lead.confirmed" if matched else "lead.override"
    audit_request(session=session, request=request, actor=actor, now=now, action=action, note=note, lead_id=lead.id)
    session.commit()


def _matched_or_overridden(session: Session, request: RightsRequest, lead: Lead, override: Override | None) -> bool:
    """Whether the register matched `lead` to the requester; if not, only a full override (why, and on what
    evidence) lets staff link it."""
    matched = lead.id in {c.id for c in candidates(session=session, request=request)}
    if not matched and (override is None or not override.reason.strip() or not override.evidence.strip()):
        raise RequestError(
            f"Lead {lead.id} is not one the register matched to {request.requester_email}: link it only by an "
            "override that says why it is this person's and on what evidence."
        )
    return matched


def _link(request: RightsRequest, lead: Lead, override: Override | None, *, actor: User, now: datetime) -> RequestLead:
    """The confirmation that `lead` is the requester's, with the override that made it (None: the register matched)."""
    return RequestLead(
        request_id=request.id,
        lead_id=lead.id,
        confirmed_by=actor.email,
        confirmed_at=now,
        override_reason=None if override is None else override.reason.strip()[:1000],
        override_evidence=None if override is None else override.evidence.strip(),
    )


def unlink_lead(*, session: Session, request: RightsRequest, lead_id: int, actor: User, now: datetime) -> None:
    """Undo a confirmation (refused on a closed request). Commits."""
    if request.status in rights.TERMINAL:
        raise RequestError("The request is closed: its coverage cannot change.")
    link = links(session=session, request=request).get(lead_id)
    if link is not None:
        session.delete(link)
        settle_erasure_flags(session=session, lead_ids=[lead_id])
        audit_request(
            session=session, request=request, actor=actor, now=now, action="lead.unlinked", note=f"Lead {lead_id}"
        )
        session.commit()
