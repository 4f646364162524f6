"""Carrying out a rights request on the requester's confirmed leads: access and portability bundles,
rectification, erasure and restriction. Each is audited against the request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from leads.consent import records
from leads.models import (
    Installation,
    InstallEvent,
    Lead,
    LeadNote,
    Person,
    Rectification,
    RightsRequest,
    SupportGrant,
    User,
)
from leads.retention import holds, sweeper
from leads.rights.register import audit_request, linked_leads
from leads.rules import bundle, consent, purposes, rights

RECTIFIABLE = ("first_name", "last_name", "email", "phone", "country", "company", "job_title")
LEAD_FIELDS = (
    "id",
    *RECTIFIABLE,
    "offer",
    "offer_title",
    "lead_source",
    "action_code",
    "description",
    "created_at_ms",
    "first_seen_at",
    "nurture_status",
)


class ActionError(ValueError):
    """The right could not be carried out as asked; the message says why."""


def _audit(session: Session, request: RightsRequest, actor: User, now: datetime, action: str, **details: Any) -> None:
    audit_request(session=session, request=request, actor=actor, now=now, action=action, details=details)


def purposes_held(*, session: Session, request: RightsRequest) -> list[str]:
    """The purposes the requester's data is held for: lead and install data for nurturing and support
    (legitimate interests), plus every consent-based purpose they have a consent history for."""
    leads = linked_leads(session=session, request=request)
    if not leads:
        return []
    found = records.histories(session=session, lead_ids=[lead.id for lead in leads])
    consented = {record.purpose for history in found.values() for record in history}
    return ["service", *sorted(consented)]


def advice(*, session: Session, request: RightsRequest) -> list[rights.Advice]:
    """Which of the requested right applies to the data held, citing the notice, and what applies instead."""
    held = purposes_held(session=session, request=request) or ["service"]
    return rights.advise(request.kind, held)


def sections(*, session: Session, request: RightsRequest) -> list[bundle.Section]:
    """Everything held about the requester, by kind of record, each with its purpose."""
    leads = linked_leads(session=session, request=request)
    ids = [lead.id for lead in leads]
    installs = list(session.exec(select(Installation).where(col(Installation.lead_id).in_(ids)))) if ids else []
    return [
        bundle.Section(
            "leads", "Marketplace leads", "service", LEAD_FIELDS, [_row(lead, LEAD_FIELDS) for lead in leads]
        ),
        _section(
            session,
            "install_events",
            "Install notifications of your managed applications",
            InstallEvent,
            InstallEvent.installation_id,
            [i.id for i in installs],
            (
                "installation_id",
                "event_type",
                "provisioning_state",
                "event_time",
                "plan_name",
                "plan_version",
                "error_code",
                "error_message",
            ),
        ),
        _section(
            session,
            "notes",
            "Notes and correspondence log",
            LeadNote,
            LeadNote.lead_id,
            ids,
            ("lead_id", "kind", "body", "at", "author"),
        ),
        _section(
            session,
            "rectifications",
            "Corrections made",
            Rectification,
            Rectification.lead_id,
            ids,
            ("lead_id", "field", "old_value", "new_value", "changed_at"),
        ),
        _section(
            session,
            "support_grants",
            "Support access grants",
            SupportGrant,
            SupportGrant.installation_id,
            [i.id for i in installs],
            ("installation_id", "support_request_ref", "opened_at", "lapsed_at", "lapse_reason"),
        ),
        bundle.Section(
            "rights_requests",
            "Your rights requests",
            "queries",
            ("kind", "received_on", "status", "due_on", "outcome"),
            [_row(request, ("kind", "received_on", "status", "due_on", "outcome"))],
        ),
    ]


def _section(
    session: Session, name: str, title: str, model: Any, key: Any, ids: list[int], fields: tuple[str, ...]
) -> bundle.Section:
    rows = list(session.exec(select(model).where(col(key).in_(ids)).order_by(model.id))) if ids else []
    return bundle.Section(name, title, "service", fields, [_row(row, fields) for row in rows])


def _row(record: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {field: _plain(getattr(record, field)) for field in fields}


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def export(*, session: Session, request: RightsRequest, kind: str, actor: User, now: datetime) -> Iterator[bytes]:
    """The person's access export or portability bundle, streamed; the download is audited first."""
    if kind not in bundle.KINDS:
        raise ActionError("Choose the access export or the portability bundle.")
    person = {"name": request.requester_name, "email": request.requester_email, "request_id": request.id}
    parts = sections(session=session, request=request)
    _audit(session, request, actor, now, f"export.{kind}", sections={s.name: len(s.rows) for s in parts})
    session.commit()
    return bundle.stream(kind=kind, person=person, sections=parts, generated_at=now)


def rectify(
    *, session: Session, request: RightsRequest, lead: Lead, changes: dict[str, str | None], actor: User, now: datetime
) -> int:
    """Correct the lead's fields, keeping what each was, when and by whom. Returns how many changed. Commits."""
    changed = 0
    for field, value in changes.items():
        if field not in RECTIFIABLE:
            raise ActionError(f"{field} cannot be rectified here.")
        new = (value or "").strip() or None
        if getattr(lead, field) != new:
            session.add(
                Rectification(
                    lead_id=lead.id,
                    request_id=request.id,
                    field=field,
                    old_value=getattr(lead, field),
                    new_value=new,
                    changed_by=actor.email,
                    changed_at=now,
                )
            )
            setattr(lead, field, new)
            changed += 1
    session.add(lead)
    _audit(session, request, actor, now, "rectification", lead_id=lead.id, fields=sorted(changes), changed=changed)
    session.commit()
    return changed


def erase(
    *,
    session: Session,
    request: RightsRequest,
    actor: User,
    now: datetime,
    tombstone_key: str,
    source: sweeper.SourceTable | None,
) -> sweeper.Report:
    """Destroy everything about the requester now. Refused while any of their records is on legal hold."""
    ids = [lead.id for lead in linked_leads(session=session, request=request)]
    if not ids:
        raise ActionError("Confirm which leads are the requester's first.")
    if holds.active_holds(session=session, record_type="lead", record_ids=ids):
        raise ActionError(
            "A legal hold keeps one of these records (e.g. for a claim): erasure is refused while it "
            "stands; tell the person why, or lift the hold first."
        )
    _audit(session, request, actor, now, "erasure.requested", leads=len(ids))
    return sweeper.erase_leads(
        session=session, lead_ids=ids, now=now, actor=actor.email, tombstone_key=tombstone_key, source=source
    )


def _people_of(session: Session, request: RightsRequest) -> list[Person]:
    """The people behind the requester's confirmed leads (usually one)."""
    leads = linked_leads(session=session, request=request)
    if not leads:
        raise ActionError("Confirm which leads are the requester's first.")
    ids = sorted({lead.person_id for lead in leads if lead.person_id is not None})
    return list(session.exec(select(Person).where(col(Person.id).in_(ids)).order_by(col(Person.id))))


def restrict(*, session: Session, request: RightsRequest, on: bool, actor: User, now: datetime) -> int:
    """Restrict (or lift the restriction on) processing for the requester: it is the person's, so it covers all
    their leads, and any that arrive later. Kept, but every nurture, linking and marketing action is refused
    until lifted (notice line 28). Returns how many people changed. Commits."""
    people = _people_of(session, request)
    changed = [person for person in people if person.processing_restricted != on]
    for person in changed:
        person.processing_restricted = on
        session.add(person)
    _audit(session, request, actor, now, "restriction.on" if on else "restriction.off", people=[p.id for p in people])
    session.commit()
    return len(changed)


def withdraw_consent(*, session: Session, request: RightsRequest, actor: User, now: datetime) -> int:
    """Withdraw every consent the requester has given (withdrawal, line 31; an objection to consent-based
    processing is handled the same way, and an objection also stops what rests on legitimate interests, line
    29). Recorded once per person, so it covers all their leads. Returns how many withdrawals. Commits."""
    people = _people_of(session, request)
    found = records.person_histories(session=session, person_ids=[p.id for p in people])
    withdrawn = 0
    for person in people:
        for purpose in _granted_purposes(found[person.id], now):  # type: ignore[index]
            given = records.ConsentInput(
                purpose=purpose,
                granted=False,
                method="other",
                evidence=f"Rights request #{request.id} ({request.kind})",
                wording_version="rights request",
            )
            records.record_for_person(session=session, person=person, given=given, actor=actor, now=now)
            withdrawn += 1
        if request.kind == "objection":
            person.objected = True
            session.add(person)
    _audit(session, request, actor, now, "consent.withdrawn", withdrawals=withdrawn)
    session.commit()
    return withdrawn


def _granted_purposes(history: list[Any], now: datetime) -> list[str]:
    events = [records.event(record) for record in history]
    return [p for p in purposes.CONSENT_PURPOSES if consent.current_consent(events, p, now=now) is not None]
