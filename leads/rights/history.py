"""A rights request's history: every step taken on it, audited and kept as a step (what, when it was recorded,
who, and the day it took effect), shown on the request page and in the register CSV."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from leads.models import RequestStep, RightsRequest, User
from leads.rules import uktime
from leads.staff import audit


class RequestError(ValueError):
    """The change was refused; the message says why in plain words."""


def audit_request(
    *,
    session: Session,
    request: RightsRequest,
    actor: User | str,
    now: datetime,
    action: str,
    details: dict[str, object] | None = None,
    on: date | None = None,
    note: str | None = None,
    **more: object,
) -> None:
    """Record `rights.<action>` against the request in the audit trail, and as a step of its history that
    took effect `on` (default: today) with `note` as what staff read (the caller commits)."""
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action=f"rights.{action}",
        record_type="rights_request",
        record_id=request.id,
        details={**(details or {}), **more},
    )
    session.add(_step(request, action, on or uktime.today(now), actor=actor, now=now, note=note))


def _step(
    request: RightsRequest, action: str, on: date, *, actor: User | str, now: datetime, note: str | None
) -> RequestStep:
    """One step of the request's history: what was done, the day it took effect, who recorded it and when."""
    return RequestStep(
        request_id=request.id,
        step=action,
        effective_on=on,
        recorded_at=now,
        actor=getattr(actor, "email", str(actor)),
        detail=note,
    )


def steps(*, session: Session, request: RightsRequest) -> list[RequestStep]:
    """The request's history, oldest first."""
    query = select(RequestStep).where(RequestStep.request_id == request.id).order_by(col(RequestStep.id))
    return list(session.exec(query))


def steps_by_request(*, session: Session, request_ids: list[int]) -> dict[int, list[RequestStep]]:
    """Each request's history, oldest first (for the register CSV: one query, not one per request)."""
    found: dict[int, list[RequestStep]] = {request_id: [] for request_id in request_ids}
    if request_ids:
        query = select(RequestStep).where(col(RequestStep.request_id).in_(request_ids)).order_by(col(RequestStep.id))
        for step in session.exec(query):
            found[step.request_id].append(step)
    return found
