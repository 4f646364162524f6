"""The rights request register: requests, their statutory deadlines, and the leads they concern.

Deadline arithmetic and the rules of movement are the pure `rights` module's; this module stores and
recomputes. Every change is audited against the request (record_type "rights_request").
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from leads.models import Lead, RequestLead, RequestPause, RightsRequest, User, search_key
from leads.rules import rights
from leads.rules.vocabulary import CHANNELS
from leads.staff import audit


class RequestError(ValueError):
    """The change was refused; the message says why in plain words."""


def _pauses(session: Session, request: RightsRequest) -> list[rights.Pause]:
    rows = session.exec(
        select(RequestPause).where(RequestPause.request_id == request.id).order_by(col(RequestPause.id))
    )
    return [rights.Pause(row.started_on, row.ended_on) for row in rows]


def _recompute(session: Session, request: RightsRequest) -> None:
    request.due_on = rights.due_date(
        received=request.received_on,
        identity_received=request.identity_received_on,
        identity_requested=request.identity_requested,
        pauses=_pauses(session, request),
        extended=request.extended,
    )


def _save(session: Session, request: RightsRequest, actor: User, now: datetime, action: str, **details: object) -> None:
    _recompute(session, request)
    session.add(request)
    audit_request(
        session=session,
        request=request,
        actor=actor,
        now=now,
        action=action,
        details={"status": request.status, **details},
    )
    session.commit()


def audit_request(
    *, session: Session, request: RightsRequest, actor: User, now: datetime, action: str, details: dict[str, object]
) -> None:
    """Record `rights.<action>` against the request (the caller commits)."""
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action=f"rights.{action}",
        record_type="rights_request",
        record_id=request.id,
        details=details,
    )


def _move(request: RightsRequest, new: str, reason: str | None = None) -> None:
    try:
        rights.validate_transition(request.status, new, reason=reason)
    except ValueError as error:
        raise RequestError(str(error)) from error
    request.status = new


def create(
    *,
    session: Session,
    kind: str,
    requester_name: str,
    requester_email: str,
    channel: str,
    received_on: date,
    details: str,
    actor: User,
    now: datetime,
) -> RightsRequest:
    """Register a request; its due date runs from the day of receipt. Commits."""
    if kind not in rights.KINDS or channel not in CHANNELS:
        raise RequestError("Choose the kind of request and how it arrived.")
    if received_on > now.date():
        raise RequestError("A request cannot be received in the future.")
    request = RightsRequest(
        kind=kind,
        requester_name=requester_name.strip(),
        requester_email=requester_email.strip(),
        channel=channel,
        details=details.strip() or None,
        received_on=received_on,
        status="received",
        created_by=actor.email,
        created_at=now,
    )
    session.add(request)
    session.flush()
    _save(session, request, actor, now, "create", kind=kind)
    return request


def ask_identity(*, session: Session, request: RightsRequest, actor: User, now: datetime) -> None:
    """We asked for proof of identity (or authority, or a fee): the month will run from its arrival."""
    _move(request, "awaiting_identity")
    request.identity_requested = True
    _save(session, request, actor, now, "identity.requested")


def identity_received(*, session: Session, request: RightsRequest, on: date, actor: User, now: datetime) -> None:
    """Proof of identity arrived and was checked: the clock starts (again) from `on`."""
    if request.status != "awaiting_identity" or on < request.received_on or on > now.date():
        raise RequestError("Record identity only for a request waiting for it, on a date since it was received.")
    _move(request, "in_progress")
    request.identity_received_on, request.identity_verified = on, True
    _save(session, request, actor, now, "identity.received", on=on.isoformat())


def verify_identity(*, session: Session, request: RightsRequest, actor: User, now: datetime) -> None:
    """Identity checked without having to ask for proof (e.g. it came from the email on record)."""
    request.identity_verified = True
    if request.status == "received":
        _move(request, "in_progress")
    _save(session, request, actor, now, "identity.verified")


def ask_clarification(
    *, session: Session, request: RightsRequest, question: str, on: date, actor: User, now: datetime
) -> None:
    """Stop the clock while the person says what the request covers."""
    if not question.strip():
        raise RequestError("Write the question you asked the person.")
    _move(request, "awaiting_clarification")
    session.add(RequestPause(request_id=request.id, started_on=on, question=question.strip()[:1000]))
    session.flush()
    _save(session, request, actor, now, "clarification.asked", on=on.isoformat())


def clarified(*, session: Session, request: RightsRequest, on: date, actor: User, now: datetime) -> None:
    """The answer arrived: the clock restarts, and the deadline moves by the days it was stopped."""
    pause = session.exec(
        select(RequestPause).where(RequestPause.request_id == request.id, col(RequestPause.ended_on).is_(None))
    ).first()
    if pause is None or on < pause.started_on:
        raise RequestError("There is no open question, or the answer is dated before it was asked.")
    pause.ended_on = on
    session.add(pause)
    session.flush()
    _move(request, "extended" if request.extended else "in_progress")
    _save(session, request, actor, now, "clarification.answered", on=on.isoformat())


def extend(*, session: Session, request: RightsRequest, reason: str, told_on: date, actor: User, now: datetime) -> None:
    """Extend once by two further months, with reasons the person was told within the first month."""
    if request.extended:
        raise RequestError("This request has already been extended; it can be extended only once.")
    start = request.identity_received_on if request.identity_requested else request.received_on
    if start is None or not rights.extension_allowed(
        received_start=start, told_on=told_on, pauses=_pauses(session, request)
    ):
        raise RequestError("Too late to extend: the person must be told, with reasons, within the first month.")
    _move(request, "extended", reason)
    request.extended, request.extension_reason, request.extension_told_on = True, reason.strip(), told_on
    _save(session, request, actor, now, "extend", told_on=told_on.isoformat())


def close(*, session: Session, request: RightsRequest, status: str, outcome: str, actor: User, now: datetime) -> None:
    """Complete the request (what was done) or refuse it (why, as told to the person)."""
    if status not in rights.TERMINAL:
        raise RequestError("Close a request as completed or refused.")
    if not outcome.strip():
        raise RequestError("Say what was done, or why the request was refused.")
    _move(request, status, outcome)
    request.outcome, request.closed_on, request.closed_at = outcome.strip(), now.date(), now  # closed_at: its clock
    _clear_erasure(session, request, [lead.id for lead in linked_leads(session=session, request=request)])
    _save(session, request, actor, now, status)


def get(*, session: Session, request_id: int) -> RightsRequest | None:
    """The request with that id, or None."""
    return session.get(RightsRequest, request_id)


def pauses(*, session: Session, request: RightsRequest) -> list[RequestPause]:
    """The request's clarification stops, oldest first."""
    return list(
        session.exec(select(RequestPause).where(RequestPause.request_id == request.id).order_by(col(RequestPause.id)))
    )


def register(*, session: Session, open_only: bool = False) -> list[RightsRequest]:
    """Requests, open ones first by due date (clock stopped last), then closed ones newest first."""
    query = select(RightsRequest)
    if open_only:
        query = query.where(col(RightsRequest.status).not_in(rights.TERMINAL))
    rows = list(session.exec(query))
    return sorted(
        rows, key=lambda r: (r.status in rights.TERMINAL, r.due_on is None, r.due_on or date.max, -(r.id or 0))
    )


def counts(*, session: Session, today: date) -> dict[str, int]:
    """How many open requests are overdue and due this week (for the dashboard)."""
    flags = [rights.urgency(r.due_on, today=today) for r in register(session=session, open_only=True)]
    return {"overdue": flags.count("overdue"), "due_this_week": flags.count("due_this_week")}


def candidates(*, session: Session, request: RightsRequest) -> list[Lead]:
    """Leads whose email matches the requester's (case-insensitive), for staff to confirm."""
    return list(
        session.exec(select(Lead).where(Lead.email_key == search_key(request.requester_email)).order_by(col(Lead.id)))
    )


def linked_leads(*, session: Session, request: RightsRequest) -> list[Lead]:
    """The leads staff confirmed as the requester's."""
    query = (
        select(Lead)
        .join(RequestLead, col(RequestLead.lead_id) == Lead.id)
        .where(RequestLead.request_id == request.id)
        .order_by(col(Lead.id))
    )
    return list(session.exec(query))


def confirm_lead(*, session: Session, request: RightsRequest, lead: Lead, actor: User, now: datetime) -> None:
    """Confirm that `lead` is the requester's. Commits."""
    exists = session.exec(
        select(RequestLead).where(RequestLead.request_id == request.id, RequestLead.lead_id == lead.id)
    ).first()
    if exists is None:
        session.add(RequestLead(request_id=request.id, lead_id=lead.id, confirmed_by=actor.email, confirmed_at=now))
        if request.kind == "erasure" and request.status not in rights.TERMINAL:
            lead.erasure_pending = True  # the gate refuses processing from now until it is erased or refused
            session.add(lead)
        _save(session, request, actor, now, "lead.confirmed", lead_id=lead.id)


def unlink_lead(*, session: Session, request: RightsRequest, lead_id: int, actor: User, now: datetime) -> None:
    """Undo a confirmation. Commits."""
    link = session.exec(
        select(RequestLead).where(RequestLead.request_id == request.id, RequestLead.lead_id == lead_id)
    ).first()
    if link is not None:
        session.delete(link)
        _clear_erasure(session, request, [lead_id])
        _save(session, request, actor, now, "lead.unlinked", lead_id=lead_id)


def audit_export(*, session: Session, actor: User, now: datetime, rows: int) -> None:
    """Record that the register was downloaded. Commits."""
    audit.record(session=session, at=now, actor=actor, action="rights.register.export", details={"rows": rows})
    session.commit()


def _clear_erasure(session: Session, request: RightsRequest, lead_ids: list[int]) -> None:
    """An erasure request no longer covers these leads (unlinked, or the request closed): processing resumes."""
    if request.kind != "erasure":
        return
    for lead in session.exec(select(Lead).where(col(Lead.id).in_(lead_ids))):
        lead.erasure_pending = False
        session.add(lead)
