"""Storing install notifications: each once, and the installation's lifecycle derived from all of them (advanced
by the new one when it comes last, re-derived from the stored history otherwise)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, exists, select

from leads import tombstones
from leads.models import Installation, InstallEvent
from leads.rules import lifecycle
from leads.rules.notifications import Notification

#: A concurrent delivery can win a race (same notification, or the first one of a new installation):
#: the loser's unique key collides, and trying again finds the winner's rows.
ATTEMPTS = 3


class StoreFailed(RuntimeError):
    """The database could not store the notification; nothing was written, and a retry may succeed."""


def store(
    *, session: Session, notification: Notification, caller_ip: str | None, now: datetime, tombstone_key: str
) -> bool:
    """Store one notification and update its installation in one transaction. Commits.

    Returns False when the same notification was already stored (a retry), or belongs to a deployment
    already destroyed (a redelivery after its clock ran out: its tombstone, keyed by `tombstone_key`, covers
    its event time): nothing changes then. Raises StoreFailed (after rolling back) when the database fails.
    """
    attempts_left = ATTEMPTS
    while True:
        attempts_left -= 1
        try:
            return _store(session, notification, caller_ip, now, tombstone_key)
        except SQLAlchemyError as error:
            session.rollback()
            if not (isinstance(error, IntegrityError) and attempts_left):
                raise StoreFailed(str(error)) from error


def _store(session: Session, notification: Notification, caller_ip: str | None, now: datetime, key: str) -> bool:
    if _seen_or_destroyed(session, notification, key):
        return False
    installation = _installation(session, notification)
    event = _event(installation, notification, caller_ip, now)
    if installation.id is None:  # new: its only event is this one, so nothing needs reading back
        _derive(installation, [event])
        session.add(installation)
        session.flush()
        event.installation_id = installation.id
        session.add(event)
    else:
        session.add(event)
        _refresh(session, installation, notification)
    session.commit()
    return True


def _seen_or_destroyed(session: Session, n: Notification, key: str) -> bool:
    """Whether `n` was already stored (a retry), or belongs to a deployment already destroyed (at or before the
    last event time its tombstone covers): both in one statement."""
    seen = exists().where(InstallEvent.dedupe_key == n.dedupe_key)
    until = tombstones.destroyed_until_query(source_key_hash=tombstones.installation_hash(key, n.application_id))
    found, destroyed_until = session.exec(select(seen, until.scalar_subquery())).one()  # type: ignore[call-overload]
    return bool(found) or (destroyed_until is not None and n.event_time <= destroyed_until)


def _installation(session: Session, n: Notification) -> Installation:
    """The stored installation of `n`, locked; or a new one, not yet added (its `id` is None)."""
    # Locked until commit (PostgreSQL; SQLite has one writer anyway), so two deliveries for one installation
    # derive its state one after the other, each seeing the other's event: no lost update.
    query = select(Installation).where(Installation.application_id == n.application_id).with_for_update()
    # The row as locked, not as this session last saw it: `advance` builds on it.
    query = query.execution_options(populate_existing=True)
    return session.exec(query).first() or new_installation(n)


def new_installation(n: Notification) -> Installation:
    """The one place an Installation row is created from a notification (its names come from its resource id)."""
    return Installation(
        application_id=n.application_id,
        subscription_id=n.subscription_id,
        resource_group=n.resource_group,
        application_name=n.application_name,
        state="installing",
        first_event_at=n.event_time,
        last_event_at=n.event_time,
    )


def _event(installation: Installation, n: Notification, caller_ip: str | None, now: datetime) -> InstallEvent:
    return InstallEvent(
        installation_id=installation.id,
        dedupe_key=n.dedupe_key,
        event_type=n.event_type,
        provisioning_state=n.provisioning_state,
        event_time=n.event_time,
        error_code=n.error_code,
        error_message=n.error_message,
        error_details=json.dumps(list(n.error_details)) if n.error_details else None,
        plan_publisher=n.plan["publisher"],
        plan_product=n.plan["product"],
        plan_name=n.plan["name"],
        plan_version=n.plan["version"],
        application_definition_id=n.application_definition_id,
        billing_resource_usage_id=n.billing_resource_usage_id,
        received_at=now,
        caller_ip=caller_ip,
    )


def _refresh(session: Session, installation: Installation, n: Notification) -> None:
    """Bring a stored installation up to date with `n`, whose event is added: advanced, or re-derived."""
    if not advance(installation, n):
        session.flush()
        refresh(session=session, installation=installation)


def advance(installation: Installation, n: Notification) -> bool:
    """Apply `n` to a stored installation as `refresh` would, without reading its history, when that is
    certain: `n` comes after every stored event (so it is the derivation's last step) and does not end an
    uninstall in progress (the soonest clock of the earlier deployments is not stored). Returns False, changing
    nothing, otherwise: the caller refreshes. Relies on the row being derived from its events (every writer
    calls `refresh` or this)."""
    pair, clock = (n.event_type, n.provisioning_state), installation.uninstalled_at
    if n.event_time <= installation.last_event_at:
        return False
    if n.event_type == "PUT" and clock is not None:
        clock = None  # a new deployment begins; the one it follows keeps its clock (in clock_started_at)
    elif pair in lifecycle.INSTALLED_AGAIN:
        if clock is not None:
            return False
    elif n.event_type == "DELETE" and clock is None:
        clock = n.event_time
        installation.clock_started_at = installation.clock_started_at or clock  # every stored clock is earlier
    installation.state = lifecycle.TRANSITIONS[pair] or installation.state
    installation.uninstalled_at, installation.last_event_at = clock, n.event_time
    if n.plan["name"]:
        installation.plan_publisher, installation.plan_product = n.plan["publisher"], n.plan["product"]
        installation.plan_name, installation.plan_version = n.plan["name"], n.plan["version"]
    if n.application_definition_id:
        installation.application_definition_id = n.application_definition_id
    if n.provisioning_state == "Failed":
        installation.last_error_code, installation.last_error_message = n.error_code, n.error_message
    return True


def history(*, session: Session, installation_id: int) -> list[InstallEvent]:
    """An installation's stored notifications, oldest first."""
    return list(
        session.exec(
            select(InstallEvent)
            .where(InstallEvent.installation_id == installation_id)
            .order_by(col(InstallEvent.event_time), col(InstallEvent.id))
        )
    )


def observed(events: list[InstallEvent]) -> list[lifecycle.Observed]:
    """What the lifecycle rules need from stored notifications, in the same order."""
    return [lifecycle.Observed(e.event_type, e.provisioning_state, e.event_time) for e in events]


def refresh(*, session: Session, installation: Installation) -> None:
    """Re-derive state, clocks and latest details from every stored event (order of arrival does not matter).
    The caller commits; the installation must have at least one event."""
    _derive(installation, history(session=session, installation_id=installation.id))
    session.add(installation)


def _derive(installation: Installation, events: list[InstallEvent]) -> None:
    """Set the installation's derived fields from all its `events`, oldest first (see `history`)."""
    derived = lifecycle.derive(observed(events))
    installation.state, installation.uninstalled_at = derived.state, derived.uninstalled_at
    installation.clock_started_at = derived.clock_started_at
    installation.first_event_at = events[0].event_time
    installation.last_event_at = events[-1].event_time
    with_plan = [e for e in events if e.plan_name]
    if with_plan:
        latest = with_plan[-1]
        installation.plan_publisher, installation.plan_product = latest.plan_publisher, latest.plan_product
        installation.plan_name, installation.plan_version = latest.plan_name, latest.plan_version
    definitions = [e.application_definition_id for e in events if e.application_definition_id]
    installation.application_definition_id = definitions[-1] if definitions else None
    failures = [e for e in events if e.provisioning_state == "Failed"]
    installation.last_error_code = failures[-1].error_code if failures else None
    installation.last_error_message = failures[-1].error_message if failures else None
