"""Quarantined entities that only mention a requester: shown on the request page for staff to say whose they are.

A quarantined entity is someone's by its own customer address, by the source row of one of their leads, or
because staff confirmed it (`person_id`). One that mentions an address besides its own (or has none of its own)
is ambiguous: until staff confirm it is the requester's it is in neither their access export nor their erasure,
and the request page names it as pending. "Not theirs" is kept as a step of the request, so it is not asked again
on that request; "theirs" sets the entity's person. Both are audited against the request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from leads.models import Lead, Person, QuarantinedEntity, RightsRequest, User
from leads.people import held
from leads.rights.coverage import linked_leads
from leads.rights.history import RequestError, audit_request, steps
from leads.rules import rights
from leads.rules.people import normalise_email

THEIRS, NOT_THEIRS = "quarantine.theirs", "quarantine.not_theirs"
_NOTE = re.compile(r"^Quarantined entity #(\d+)")


@dataclass(frozen=True)
class Mention:
    """One ambiguous entity mentioning the requester: which of their addresses it mentions, and the decision
    so far ("theirs", "not theirs", or "pending": in neither their export nor their erasure yet)."""

    entity: QuarantinedEntity
    addresses: tuple[str, ...]
    decision: str


def _people(session: Session, request: RightsRequest) -> list[Person]:
    leads = linked_leads(session=session, request=request)
    return held.people_for(session=session, lead_ids=[lead.id for lead in leads], email=request.requester_email)


def addresses(*, session: Session, request: RightsRequest) -> set[str]:
    """Every normalised address of the requester: the request's, their person's and each of their leads'."""
    return _evidence(session, request)[0]


def _evidence(session: Session, request: RightsRequest) -> tuple[set[str], set[tuple[str, str]]]:
    """The requester's normalised addresses, and the source keys of their person's leads."""
    people = _people(session, request)
    found, keys = {normalise_email(request.requester_email)} | {person.email_key for person in people}, set()
    if people:
        query = select(Lead.email, Lead.source_partition_key, Lead.source_row_key).where(
            col(Lead.person_id).in_([person.id for person in people])
        )
        for email, partition_key, row_key in session.exec(query):
            found.add(normalise_email(email))
            keys.add((partition_key, row_key))
    return {key for key in found if key}, keys


def _ruled_out(session: Session, request: RightsRequest) -> set[int]:
    """The entities staff said on this request are not the requester's (the latest decision on each counts)."""
    latest: dict[int, str] = {}
    for step in steps(session=session, request=request):
        match = _NOTE.match(step.detail or "") if step.step in (THEIRS, NOT_THEIRS) else None
        if match:
            latest[int(match.group(1))] = step.step
    return {entity_id for entity_id, step in latest.items() if step == NOT_THEIRS}


def mentions(*, session: Session, request: RightsRequest) -> list[Mention]:
    """The ambiguous quarantined entities that mention any of the requester's addresses, with the decision;
    not those already theirs by evidence (their own address, or the source row of one of their leads)."""
    mine, keys = _evidence(session, request)
    people = {person.id for person in _people(session, request)}
    ruled_out = _ruled_out(session, request)
    found = []
    for entity in held.mentioning(session=session, keys=mine):
        if entity.email_key in mine or (entity.partition_key, entity.row_key) in keys:
            continue
        decision = "pending"
        if entity.person_id is not None and entity.person_id in people:
            decision = "theirs"
        elif entity.id in ruled_out:
            decision = "not theirs"
        found.append(Mention(entity, tuple(sorted(held.addresses_in(entity) & mine)), decision))
    return found


def pending(*, session: Session, request: RightsRequest) -> list[Mention]:
    """The mentions staff have not decided yet: named on the request page, left out of export and erasure."""
    return [mention for mention in mentions(session=session, request=request) if mention.decision == "pending"]


def decide(
    *, session: Session, request: RightsRequest, entity_id: int, theirs: bool, actor: User, now: datetime
) -> Mention:
    """Record whether the entity is the requester's: "theirs" files it under their person (so their export and
    erasure find it), "not theirs" keeps it out and stops asking on this request. Only an entity that mentions
    the requester, on an open request; "theirs" needs one person to file it under. Audited. Commits."""
    if request.status in rights.TERMINAL:
        raise RequestError("The request is closed: its coverage cannot change.")
    mention = next((m for m in mentions(session=session, request=request) if m.entity.id == entity_id), None)
    if mention is None:
        raise RequestError(f"Quarantined entity #{entity_id} does not mention {request.requester_email}.")
    entity, people = mention.entity, _people(session, request)
    if theirs:
        if len(people) != 1:
            raise RequestError("Confirm which leads are the requester's first: the entity is filed under their person.")
        if entity.person_id not in (None, people[0].id):
            raise RequestError(f"Quarantined entity #{entity_id} is already confirmed as someone else's.")
        entity.person_id = people[0].id
    elif entity.person_id is not None and entity.person_id in {person.id for person in people}:
        entity.person_id = None
    session.add(entity)
    step, words = (THEIRS, "the requester's") if theirs else (NOT_THEIRS, "not the requester's")
    audit_request(session=session, request=request, actor=actor, now=now, action=step,
                  note=f"Quarantined entity #{entity_id} is {words}", entity_id=entity_id)  # fmt: skip
    session.commit()
    return Mention(entity, mention.addresses, "theirs" if theirs else "not theirs")
