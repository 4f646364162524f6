"""Storing install notifications: each once, and the installation's lifecycle re-derived from all of them."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, col, select

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
    if _seen(session, notification.dedupe_key) or _destroyed(session, notification, key):
        return False
    installation = _installation(session, notification, now)
    session.add(_event(installation, notification, caller_ip, now))
    session.flush()
    _refresh(session, installation, notification)
    session.commit()
    return True


def _seen(session: Session, dedupe_key: str) -> bool:
    return session.exec(select(InstallEvent.id).where(InstallEvent.dedupe_key == dedupe_key)).first() is not None


def _destroyed(session: Session, n: Notification, key: str) -> bool:
    """Whether `n` belongs to a deployment already destroyed: at or before the last event time destroyed."""
    until = tombstones.destroyed_until(
        session=session, source_key_hash=tombstones.installation_hash(key, n.application_id)
    )
    return until is not None and n.event_time <= until


def _installation(session: Session, n: Notification, now: datetime) -> Installation:
    # Locked until commit (PostgreSQL; SQLite has one writer anyway), so two deliveries for one installation
    # re-derive its state one after the other, each seeing the other's event: no lost update.
    query = select(Installation).where(Installation.application_id == n.application_id).with_for_update()
    installation = session.exec(query).first()
    if installation is None:
        installation = Installation(
            application_id=n.application_id,
            subscription_id=n.subscription_id,
            resource_group=n.resource_group,
            application_name=n.application_name,
            state="installing",
            first_event_at=n.event_time,
            last_event_at=n.event_time,
        )
        session.add(installation)
        session.flush()
    return installation


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


def _refresh(session: Session, installation: Installation, _n: Notification) -> None:
    refresh(session=session, installation=installation)


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
    events = history(session=session, installation_id=installation.id)
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
    session.add(installation)
