"""The audit trail: append-only. This module only ever inserts; nothing in the app edits or deletes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from leads.models import AuditEvent, User

#: The action of an access-log entry: a page or file showing one person's data was served (see `viewed`).
VIEWED = "record.viewed"


def record(
    *,
    session: Session,
    at: datetime,
    actor: User | str,
    action: str,
    record_type: str | None = None,
    record_id: object = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event to `session` (the caller's transaction commits it with the change it proves).

    `actor` is a `User` or a system label such as "system:demo".
    """
    event = AuditEvent(
        at=at,
        actor_user_id=actor.id if isinstance(actor, User) else None,
        actor=actor.email if isinstance(actor, User) else actor,
        action=action,
        record_type=record_type,
        record_id=None if record_id is None else str(record_id),
        details=json.dumps(details, sort_keys=True, default=str) if details else None,
    )
    session.add(event)
    return event


def recent(*, session: Session, limit: int = 100) -> list[AuditEvent]:
    """The newest audit events first."""
    return list(session.exec(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))  # type: ignore[union-attr]
