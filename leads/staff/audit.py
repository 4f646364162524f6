"""The audit trail: append-only. This module only ever inserts; nothing in the app edits or deletes.

Besides what staff change, it is the access log: `viewed` records that a page or file showing one person's
data was served to a member of staff (who, which record, when: never the data itself). `trail` reads it newest
first, a keyset page at a time, filtered by member of staff, record and time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, tuple_
from sqlmodel import Session, col, select

from leads.models import AuditEvent, Lead, User
from leads.rules import auditwords
from leads.rules.vocabulary import staff_label

#: The action of an access-log entry: a page or file showing one person's data was served (see `viewed`).
VIEWED = "record.viewed"
#: The kinds of record a view is logged for, and what they are called on the audit page.
VIEWABLE = {
    "lead": "Lead",
    "installation": "Installation",
    "grant": "Support grant",
    "rights_request": "Rights request",
    "person": "Person",
    "marketing_list": "Marketing list",
}
MAX_PER_PAGE = 200


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


def commit(
    *,
    session: Session,
    at: datetime,
    actor: User | str,
    action: str,
    on: tuple[str, object] | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Audit, then commit: add one audit event (as `record`; `on` is the record it is about, as `(record_type,
    record_id)`) and commit the change it proves with it. The tail of every service that makes one audited
    change and owns its transaction."""
    kind, key = on or (None, None)
    added = record(session=session, at=at, actor=actor, action=action, record_type=kind, record_id=key, details=details)
    session.commit()
    return added


def recent(*, session: Session, limit: int = 100) -> list[AuditEvent]:
    """The newest audit events first."""
    return list(session.exec(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)))  # type: ignore[union-attr]


def viewed(
    *, session: Session, actor: User, record_type: str, record_id: object, now: datetime, what: str = ""
) -> None:
    """Log that `actor` was shown `record_type` `record_id` (a page, or `what` says which file). Commits at
    once, on its own: a view changes nothing else. No personal data: the record's id and the page's name only.

    For every page or download that shows one person's data (lead, person, installation, grant, request)."""
    if record_type not in VIEWABLE:
        raise ValueError(f"unknown record type {record_type!r}; add it to VIEWABLE")
    details = {"page": what} if what else None
    commit(session=session, at=now, actor=actor, action=VIEWED, on=(record_type, record_id), details=details)


@dataclass(frozen=True)
class TrailQuery:
    """What the audit page asks for; every field optional. `after` is the cursor "<at ISO 8601>~<id>"."""

    actor_user_id: int | None = None
    record_type: str | None = None
    record_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    after: tuple[datetime, int] | None = None
    kind: str | None = None  # a key of auditwords.KINDS


@dataclass(frozen=True)
class TrailPage:
    """One page of events, newest first, and the cursor of the next (older) page if there is one."""

    events: list[AuditEvent]
    next_cursor: str | None


def trail(*, session: Session, query: TrailQuery, per_page: int = 50) -> TrailPage:
    """A keyset page of the trail, newest first by (at, id). Each filter has an index that yields this order
    (ix_auditevent_at_id, _actor_at_id, _record_at_id), so a page reads per_page + 1 rows at any size."""
    where = []
    if query.actor_user_id is not None:
        where.append(AuditEvent.actor_user_id == query.actor_user_id)
    if query.record_type is not None:
        where.append(AuditEvent.record_type == query.record_type)
        if query.record_id is not None:
            where.append(AuditEvent.record_id == query.record_id)
    if query.since is not None:
        where.append(AuditEvent.at >= query.since)
    if query.until is not None:
        where.append(AuditEvent.at < query.until)
    if query.kind in auditwords.KINDS:
        prefixes = auditwords.KINDS[query.kind][1]
        where.append(or_(*(col(AuditEvent.action).startswith(prefix, autoescape=True) for prefix in prefixes)))
    if query.after is not None:
        where += [AuditEvent.at <= query.after[0], tuple_(AuditEvent.at, AuditEvent.id) < query.after]
    limit = min(max(per_page, 1), MAX_PER_PAGE)
    order = (col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    rows = list(session.exec(select(AuditEvent).where(*where).order_by(*order).limit(limit + 1)))
    more, rows = len(rows) > limit, rows[:limit]
    return TrailPage(events=rows, next_cursor=encode_cursor(rows[-1]) if more else None)


def encode_cursor(event: AuditEvent) -> str:
    """The cursor that resumes the trail just after (older than) `event`."""
    return f"{event.at.astimezone(UTC).isoformat()}~{event.id}"


#: How the trail names a record that is not a lead or a member of staff.
RECORD_WORDS = {
    "installation": "installation",
    "support_grant": "support grant",
    "grant": "support grant",
    "rights_request": "rights request",
    "person": "person",
    "marketing_list": "marketing list",
    "mailing": "mailing",
    "plan": "plan",
    "sync_run": "sync run",
}


@dataclass(frozen=True)
class Line:
    """One event as the audit page shows it: the event, what happened in one sentence, and its kind."""

    event: AuditEvent
    sentence: str
    kind: str | None


def described(*, session: Session, events: list[AuditEvent], staff: list[Any] | None = None) -> list[Line]:
    """Each event in words (`auditwords`), naming staff and the leads' people as they are now (a destroyed
    lead is named by its id only). Two queries, whatever the number of events; one when the caller has every
    member of staff already (`staff`, each with .id and .email)."""
    lead_ids = {int(e.record_id) for e in events if e.record_type == "lead" and (e.record_id or "").isdigit()}
    leads = session.exec(select(Lead).where(col(Lead.id).in_(lead_ids))) if lead_ids else []
    names = {lead.id: lead.display_name for lead in leads}
    found = staff if staff is not None else session.exec(select(User))
    names_of_staff = {user.id: staff_label(user.email) for user in found}
    lines = []
    for event in events:
        details = json.loads(event.details) if event.details else {}
        what = _named(event, names, names_of_staff)
        text = auditwords.sentence(
            event.action, who=_who(event.actor), what=what, details=details, staff=names_of_staff
        )
        lines.append(Line(event, text, auditwords.kind_of(event.action)))
    return lines


def _who(actor: str) -> str:
    return "Someone not signed in" if actor == "anonymous" else staff_label(actor)


def _named(event: AuditEvent, leads: dict[int | None, str], staff: dict[int | None, str]) -> str:
    """The record as the sentence names it: a lead by its person's name, staff by name, the rest by kind and id."""
    kind, key = event.record_type, event.record_id or ""
    if kind is None:
        return "no single record"
    number = int(key) if key.isdigit() else None
    if kind == "lead":
        return leads.get(number) or f"lead {key} (since destroyed)"
    if kind == "user":
        return staff.get(number) or f"member of staff {key}"
    return f"{RECORD_WORDS.get(kind, kind.replace('_', ' '))} {key}".strip()
