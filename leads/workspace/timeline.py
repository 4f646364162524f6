"""A lead's one activity timeline, newest first: notes and correspondence, status and owner changes, consent,
list additions, emails recorded, its installations' notifications and its rights-request steps.

Each source is read newest first and capped at LIMIT, so a long-lived lead's page stays quick; the merged
timeline keeps the LIMIT newest entries of all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from leads.models import (
    AuditEvent,
    ConsentRecord,
    Installation,
    InstallEvent,
    Lead,
    LeadNote,
    MarketingEmail,
    MarketingList,
    MarketingListMember,
    RequestLead,
    User,
)
from leads.rules import consent, lifecycle, uktime
from leads.rules.vocabulary import NOTE_KINDS, staff_label

LIMIT = 200
AUDITED = {"lead.status.change": "status", "lead.owner.change": "owner", "lead.follow_up.done": "follow_up_done"}


@dataclass(frozen=True)
class Entry:
    """One thing that happened to the lead: when, what kind (for styling), a title, a body and by whom."""

    at: datetime
    kind: str
    title: str
    body: str = ""
    who: str = ""


def for_lead(*, session: Session, lead: Lead, staff: list[User] | None = None) -> list[Entry]:
    """The lead's timeline, newest first (at most LIMIT entries). `staff`, every user when the caller has them
    already (the lead page), names the owners without reading them again."""
    names = _staff_names(session, staff)
    entries = [
        *_notes(session, lead.id),
        *_audited(session, lead.id, names),
        *_consent(session, lead.id),
        *_lists(session, lead.id),
        *_emails(session, lead.id),
        *_installs(session, lead.id),
        *_rights(session, lead.id),
    ]
    return sorted(entries, key=lambda e: e.at, reverse=True)[:LIMIT]


def _staff_names(session: Session, staff: list[User] | None) -> dict[str, str]:
    found = staff if staff is not None else session.exec(select(User))
    return {str(u.id): staff_label(u.email) for u in found}


def _newest(session: Session, query: Any, column: Any) -> list[Any]:
    return list(session.exec(query.order_by(col(column).desc()).limit(LIMIT)))


def _notes(session: Session, lead_id: int) -> list[Entry]:
    rows = _newest(session, select(LeadNote).where(LeadNote.lead_id == lead_id), LeadNote.at)
    return [Entry(n.at, "note", _note_title(n), n.body, n.author) for n in rows]


def _note_title(note: LeadNote) -> str:
    """The entry's kind, and for a follow-up when it is due."""
    kind = NOTE_KINDS.get(note.kind, note.kind)
    return f"{kind}: follow up, due {uktime.show(note.follow_up_on)}" if note.follow_up_on else kind


def _audited(session: Session, lead_id: int, names: dict[str, str]) -> list[Entry]:
    query = select(AuditEvent).where(
        AuditEvent.record_type == "lead",
        AuditEvent.record_id == str(lead_id),
        col(AuditEvent.action).in_(AUDITED),
    )
    return [_change(event, names) for event in _newest(session, query, AuditEvent.at)]


def _change(event: AuditEvent, names: dict[str, str]) -> Entry:
    details = json.loads(event.details or "{}")
    kind = AUDITED[event.action]
    if kind == "follow_up_done":
        return Entry(event.at, "change", "Follow-up marked done", who=event.actor)
    before, after = details.get("before"), details.get("after")
    if kind == "owner":
        before, after = (names.get(str(v), "Nobody") if v else "Nobody" for v in (before, after))
    return Entry(event.at, "change", f"{kind.capitalize()} changed", f"{before} → {after}", event.actor)


def _consent(session: Session, lead_id: int) -> list[Entry]:
    rows = _newest(session, select(ConsentRecord).where(ConsentRecord.lead_id == lead_id), ConsentRecord.at)
    return [
        Entry(
            r.at,
            "consent",
            f"Consent {'given' if r.granted else 'withdrawn'}: {_purpose(r.purpose)}"
            + (" (entered in error, corrected)" if r.superseded_at else ""),
            r.evidence,
            r.recorded_by,
        )
        for r in rows
    ]


def _purpose(code: str) -> str:
    purpose = consent.PURPOSES.get(code)
    return purpose.label if purpose else code


def _lists(session: Session, lead_id: int) -> list[Entry]:
    query = (
        select(MarketingListMember, MarketingList.name)
        .join(MarketingList, col(MarketingList.id) == MarketingListMember.list_id)
        .where(MarketingListMember.lead_id == lead_id)
    )
    rows = _newest(session, query, MarketingListMember.added_at)
    return [Entry(m.added_at, "list", f"Added to the list {name}", who=m.added_by) for m, name in rows]


def _emails(session: Session, lead_id: int) -> list[Entry]:
    rows = _newest(session, select(MarketingEmail).where(MarketingEmail.lead_id == lead_id), MarketingEmail.sent_at)
    return [Entry(e.sent_at, "email", "Marketing email sent", e.subject, e.recorded_by) for e in rows]


def _installs(session: Session, lead_id: int) -> list[Entry]:
    query = (
        select(InstallEvent, Installation.application_name)
        .join(Installation, col(Installation.id) == InstallEvent.installation_id)
        .where(Installation.lead_id == lead_id)
    )
    rows = _newest(session, query, InstallEvent.event_time)
    return [
        Entry(e.event_time, "install", f"{name}: {lifecycle.plain_event(e.event_type, e.provisioning_state)}")
        for e, name in rows
    ]


def _rights(session: Session, lead_id: int) -> list[Entry]:
    links = list(session.exec(select(RequestLead).where(RequestLead.lead_id == lead_id)))
    found = [
        Entry(r.confirmed_at, "rights", f"Linked to rights request #{r.request_id}", who=r.confirmed_by) for r in links
    ]
    ids = [str(r.request_id) for r in links]
    if ids:
        query = select(AuditEvent).where(AuditEvent.record_type == "rights_request", col(AuditEvent.record_id).in_(ids))
        for event in _newest(session, query, AuditEvent.at):
            step = event.action.removeprefix("rights.").replace("_", " ").replace(".", " ").replace("-", " ")
            found.append(Entry(event.at, "rights", f"Rights request #{event.record_id}: {step}", who=event.actor))
    return found
