"""The rights request register: requests, their statutory deadlines, and the steps that move them.

Deadline arithmetic is the pure `rights` module's; which step a request's state allows, and which dates a
step may carry, are the pure `requests` module's. This module stores, recomputes and keeps the history:
every change is audited against the request (record_type "rights_request") and kept as a step. An open
request's status is derived from what is outstanding, never set by hand, so every order of steps ends
with a due date once nothing is outstanding.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from leads.models import LegalHold, RequestPause, RightsRequest, User
from leads.rights.coverage import (  # noqa: F401 - re-exported: the register's public surface
    Override,
    candidates,
    confirm_lead,
    covered_leads,
    erasure_pending_for,
    linked_leads,
    links,
    settle_erasure_flags,
    unlink_lead,
)
from leads.rights.history import RequestError, audit_request, steps, steps_by_request  # noqa: F401 - re-exported
from leads.rules import requests, rights, uktime
from leads.rules.vocabulary import CHANNELS
from leads.staff import audit

MAX_QUESTION: int = RequestPause.__table__.c.question.type.length  # type: ignore[attr-defined]  # its column


def pauses(*, session: Session, request: RightsRequest) -> list[RequestPause]:
    """The request's clarification stops, oldest first."""
    return list(
        session.exec(select(RequestPause).where(RequestPause.request_id == request.id).order_by(col(RequestPause.id)))
    )


def state(*, session: Session, request: RightsRequest) -> requests.State:
    """What the pure request rules need to know about `request`: its identity, clock stops and coverage."""
    stops = pauses(session=session, request=request)
    answered = [stop.ended_on for stop in stops if stop.ended_on is not None]
    return requests.State(
        kind=request.kind,
        status=request.status,
        received_on=request.received_on,
        identity_requested_on=(request.identity_requested_on or request.received_on)
        if request.identity_requested
        else None,
        identity_received_on=request.identity_received_on,
        identity_verified=request.identity_verified,
        open_question_since=next((stop.started_on for stop in stops if stop.ended_on is None), None),
        last_answer_on=max(answered, default=None),
        answered=len(answered),
        extended=request.extended,
        covered=len(covered_leads(session=session, request=request)),
        erased=any(step.step == "erasure.requested" for step in steps(session=session, request=request)),
    )


def _check(session: Session, request: RightsRequest, step: str, on: date | None, now: datetime) -> None:
    """Refuse `step` (dated `on`) unless the request's state allows it and the date makes sense."""
    current = state(session=session, request=request)
    reason = requests.step_refusal(step, current)
    if reason is None and on is not None:
        reason = requests.step_date_refusal(step, on, state=current, today=uktime.today(now))
    if reason:
        raise RequestError(reason)


def _save(
    session: Session,
    request: RightsRequest,
    actor: User | str,
    now: datetime,
    action: str,
    on: date | None,
    note: str | None,
) -> None:
    """Derive the open status, recompute the due date, audit and keep the step; commit."""
    session.add(request)
    session.flush()
    if request.status not in rights.TERMINAL:
        request.status = requests.open_status(state(session=session, request=request))
    request.due_on = rights.due_date(
        received=request.received_on,
        identity_received=request.identity_received_on,
        identity_requested=request.identity_requested,
        pauses=[rights.Pause(p.started_on, p.ended_on) for p in pauses(session=session, request=request)],
        extended=request.extended,
    )
    details = {"status": request.status, **({"on": on.isoformat()} if on else {})}
    audit_request(
        session=session, request=request, actor=actor, now=now, action=action, details=details, on=on, note=note
    )
    session.commit()


def create(
    *,
    session: Session,
    kind: str,
    requester_name: str,
    requester_email: str,
    channel: str,
    received_on: date,
    details: str,
    actor: User | str,
    now: datetime,
    source: str = "staff",
) -> RightsRequest:
    """Register a request (any member of staff may, or the person on the privacy page: `source`
    "privacy_page", `actor` a "system:" name); its due date runs from the day of receipt. Commits."""
    _check_new(kind, requester_name, requester_email, channel, received_on, now)
    request = RightsRequest(
        kind=kind,
        requester_name=requester_name.strip(),
        requester_email=requester_email.strip(),
        channel=channel,
        details=details.strip() or None,
        received_on=received_on,
        status="received",
        created_by=getattr(actor, "email", str(actor)),
        created_at=now,
        source=source,
    )
    _save(session, request, actor, now, "create", received_on, f"{rights.KINDS[kind]}, by {CHANNELS[channel]}")
    return request


def _check_new(kind: str, name: str, email: str, channel: str, received_on: date, now: datetime) -> None:
    """A request names its kind, the channel it came by, the person's name and email, and a day not in the future."""
    if kind not in rights.KINDS or channel not in CHANNELS:
        raise RequestError("Choose the kind of request and how it arrived.")
    if received_on > uktime.today(now):
        raise RequestError("A request cannot be received in the future.")
    if not name.strip() or not email.strip():
        raise RequestError("Give the person's name and email.")


def ask_identity(*, session: Session, request: RightsRequest, on: date, actor: User, now: datetime) -> None:
    """We asked for proof of identity (or authority, or a fee) on `on`: the month runs from its arrival."""
    _check(session, request, "ask-identity", on, now)
    request.identity_requested, request.identity_requested_on = True, on
    _save(session, request, actor, now, "identity.requested", on, None)


def identity_received(*, session: Session, request: RightsRequest, on: date, actor: User, now: datetime) -> None:
    """Proof of identity arrived on `on` and was checked: the clock starts from `on`."""
    _check(session, request, "identity-received", on, now)
    request.identity_received_on, request.identity_verified = on, True
    _save(session, request, actor, now, "identity.received", on, None)


def verify_identity(
    *,
    session: Session,
    request: RightsRequest,
    actor: User | str,
    now: datetime,
    on: date | None = None,
    by_emailed_code: bool = False,
) -> None:
    """Identity checked without asking for proof (e.g. it came from the email on record, or the person proved
    they hold the address with a one-time code the privacy page emailed: `by_emailed_code`); the clock runs on."""
    _check(session, request, "verify-identity", on or uktime.today(now), now)
    request.identity_verified = True
    action = "identity.emailed_code" if by_emailed_code else "identity.verified"
    _save(session, request, actor, now, action, on or uktime.today(now), None)


def ask_clarification(
    *, session: Session, request: RightsRequest, question: str, on: date, actor: User, now: datetime
) -> None:
    """Stop the clock on `on` while the person says what the request covers."""
    _check(session, request, "ask-clarification", on, now)
    question = question.strip()
    if not question:
        raise RequestError("Write the question you asked the person.")
    if len(question) > MAX_QUESTION:  # refused, not cut: the person's question is kept whole or not at all
        raise RequestError(f"A question has at most {MAX_QUESTION} characters; this one has {len(question)}.")
    session.add(RequestPause(request_id=request.id, started_on=on, question=question))
    _save(session, request, actor, now, "clarification.asked", on, question)


def clarified(*, session: Session, request: RightsRequest, on: date, actor: User, now: datetime) -> None:
    """The answer arrived on `on`: the clock restarts, and the deadline moves by the days it was stopped."""
    _check(session, request, "clarified", on, now)
    pause = next(p for p in pauses(session=session, request=request) if p.ended_on is None)
    pause.ended_on = on
    session.add(pause)
    _save(session, request, actor, now, "clarification.answered", on, None)


def extend(*, session: Session, request: RightsRequest, reason: str, told_on: date, actor: User, now: datetime) -> None:
    """Extend once by two further months, with reasons the person was told within the first month."""
    _check(session, request, "extend", told_on, now)
    if not reason.strip():
        raise RequestError("“Extended to three months” needs a reason, which the person will be told.")
    start = request.identity_received_on if request.identity_requested else request.received_on
    stops = [rights.Pause(p.started_on, p.ended_on) for p in pauses(session=session, request=request)]
    if start is not None and not rights.extension_allowed(received_start=start, told_on=told_on, pauses=stops):
        raise RequestError("Too late to extend: the person must be told, with reasons, within the first month.")
    request.extended, request.extension_reason, request.extension_told_on = True, reason.strip(), told_on
    _save(session, request, actor, now, "extend", told_on, reason.strip())


def close(
    *,
    session: Session,
    request: RightsRequest,
    status: str,
    outcome: str,
    actor: User,
    now: datetime,
    exemption: str = "",
) -> None:
    """Complete the request (what was done) or refuse it (why, as told to the person). An erasure request
    completes only when nothing it covers remains, or with the hold or `exemption` that kept it, recorded."""
    _check_close(session, request, status, outcome, now)
    covered = [lead.id for lead in covered_leads(session=session, request=request)]
    if status == "completed":
        request.exemption = _kept_by(session, request, covered, exemption)
    request.status, request.outcome, request.closed_on = status, outcome.strip(), uktime.today(now)
    request.closed_at = now  # the clock of the request's own retention row
    settle_erasure_flags(session=session, lead_ids=covered)
    _save(session, request, actor, now, status, uktime.today(now), outcome.strip())


def _check_close(session: Session, request: RightsRequest, status: str, outcome: str, now: datetime) -> None:
    """A request closes as completed or refused, saying what was done or why, from a state that may close."""
    _check(session, request, "close", None, now)
    if status not in rights.TERMINAL:
        raise RequestError("Close a request as completed or refused.")
    if not outcome.strip():
        raise RequestError("Say what was done, or why the request was refused.")
    try:
        rights.validate_transition(request.status, status, reason=outcome)
    except ValueError as error:
        raise RequestError(str(error)) from error


def _kept_by(session: Session, request: RightsRequest, covered: list[int], exemption: str) -> str | None:
    """What kept the covered records an erasure request leaves: the exemption, else the legal holds."""
    if request.kind != "erasure" or not covered:
        return None
    held = dict(
        session.exec(
            select(LegalHold.record_id, LegalHold.reason).where(
                LegalHold.record_type == "lead",
                col(LegalHold.record_id).in_(covered),
                col(LegalHold.lifted_at).is_(None),
            )
        ).all()
    )
    refusal = requests.completion_refusal(
        kind=request.kind, remaining=len(covered), held=len(held), exemption=exemption
    )
    if refusal:
        raise RequestError(refusal)
    return exemption.strip() or "Kept by legal hold: " + "; ".join(sorted(set(held.values())))


def get(*, session: Session, request_id: int) -> RightsRequest | None:
    """The request with that id, or None."""
    return session.get(RightsRequest, request_id)


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


def audit_export(*, session: Session, actor: User, now: datetime, rows: int) -> None:
    """Record that the register was downloaded. Commits."""
    audit.commit(session=session, at=now, actor=actor, action="rights.register.export", details={"rows": rows})
