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
    Rectification,
    RightsRequest,
    SupportGrant,
    User,
)
from leads.retention import holds, sweeper
from leads.rights import rectification
from leads.rights.register import audit_request, linked_leads, state
from leads.rules import bundle, consent, requests, rights

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


def guard(*, session: Session, request: RightsRequest, action: str) -> None:
    """Refuse `action` (a key of requests.ACTIONS) unless the request is open, of a kind that right answers,
    its identity verified and it covers someone; ActionError says why. Every action below starts here."""
    reason = requests.action_refusal(action, state(session=session, request=request))
    if reason:
        raise ActionError(reason)


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
    guard(session=session, request=request, action=f"export.{kind}")
    person = {"name": request.requester_name, "email": request.requester_email, "request_id": request.id}
    parts = sections(session=session, request=request)
    _audit(session, request, actor, now, f"export.{kind}", sections={s.name: len(s.rows) for s in parts})
    session.commit()
    return bundle.stream(kind=kind, person=person, sections=parts, generated_at=now)


def rectify(
    *,
    session: Session,
    request: RightsRequest,
    lead: Lead,
    changes: dict[str, str | None],
    actor: User,
    now: datetime,
    source: rectification.SourceTable | None = None,
) -> rectification.Result:
    """Correct the lead's fields, keeping what each was, when and by whom; queue the correction for the
    source table row (written now when `source` is given, else retried by the next sync). Commits."""
    guard(session=session, request=request, action="rectify")
    if lead.id not in {covered.id for covered in linked_leads(session=session, request=request)}:
        raise ActionError("Correct only a lead this request covers.")
    unknown = sorted(set(changes) - set(RECTIFIABLE))
    if unknown:
        raise ActionError(f"{', '.join(unknown)} cannot be rectified here.")
    return rectification.correct(
        session=session, request=request, lead=lead, changes=changes, actor=actor, now=now, source=source
    )


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
    guard(session=session, request=request, action="erase")
    leads = linked_leads(session=session, request=request)
    ids = [lead.id for lead in leads]
    if not ids:
        raise ActionError("Confirm which leads are the requester's first.")
    if holds.active_holds(session=session, record_type="lead", record_ids=ids):
        raise ActionError(
            "A legal hold keeps one of these records (e.g. for a claim): erasure is refused while it "
            "stands; tell the person why, or lift the hold first."
        )
    audit_request(
        session=session,
        request=request,
        actor=actor,
        now=now,
        action="erasure.requested",
        details={"leads": len(ids)},
        note="Leads " + ", ".join(str(i) for i in ids),
    )
    rectification.forget_queued(session=session, leads=leads)
    return sweeper.erase_leads(
        session=session, lead_ids=ids, now=now, actor=actor.email, tombstone_key=tombstone_key, source=source
    )


def erasure_preview(*, session: Session, request: RightsRequest) -> dict[str, int]:
    """What erasing the requester would destroy now, by kind of record (for the confirmation page)."""
    ids = [lead.id for lead in linked_leads(session=session, request=request)]
    installs = session.exec(select(Installation.id).where(col(Installation.lead_id).in_(ids))).all() if ids else []
    return {"lead": len(ids), "installation": len(installs)}


def restrict(*, session: Session, request: RightsRequest, on: bool, actor: User, now: datetime) -> int:
    """Restrict (or lift the restriction on) processing of the requester's leads: kept, but every nurture and
    marketing action is refused until lifted (notice line 28). Returns how many leads changed. Commits."""
    guard(session=session, request=request, action="restrict")
    leads = linked_leads(session=session, request=request)
    if not leads:
        raise ActionError("Confirm which leads are the requester's first.")
    changed = [lead for lead in leads if lead.processing_restricted != on]
    for lead in changed:
        lead.processing_restricted = on
        session.add(lead)
    _audit(session, request, actor, now, "restriction.on" if on else "restriction.off", leads=[x.id for x in leads])
    session.commit()
    return len(changed)


def withdraw_consent(*, session: Session, request: RightsRequest, actor: User, now: datetime) -> int:
    """Withdraw every consent the requester has given (withdrawal, line 31; an objection to consent-based
    processing is handled the same way). Marketing stops at once. Returns how many withdrawals. Commits."""
    guard(session=session, request=request, action="withdraw")
    leads = linked_leads(session=session, request=request)
    if not leads:
        raise ActionError("Confirm which leads are the requester's first.")
    found = records.histories(session=session, lead_ids=[lead.id for lead in leads])
    withdrawn = 0
    for lead in leads:
        for purpose in _granted_purposes(found[lead.id], now):
            given = records.ConsentInput(
                purpose=purpose,
                granted=False,
                method="other",
                evidence=f"Rights request #{request.id} ({request.kind})",
                wording_version="rights request",
            )
            records.record(session=session, lead=lead, given=given, actor=actor, now=now)
            withdrawn += 1
    _audit(session, request, actor, now, "consent.withdrawn", withdrawals=withdrawn)
    session.commit()
    return withdrawn


def _granted_purposes(history: list[Any], now: datetime) -> list[str]:
    events = [records.event(record) for record in history]
    return [
        p
        for p in consent.PURPOSES
        if consent.PURPOSES[p].needs_consent and consent.current_consent(events, p, now=now) is not None
    ]
