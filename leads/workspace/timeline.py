"""A lead's one activity timeline, newest first: notes and correspondence, status and owner changes, consent,
list additions, emails recorded, its installations' notifications and its rights-request steps.

Each source is read newest first and capped at LIMIT, so a long-lived lead's page stays quick; the merged
timeline keeps the LIMIT newest entries of all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Boolean, String, bindparam, cast, literal_column, null, union_all
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


def for_lead(*, session: Session, lead: Lead, staff: list[Any] | None = None) -> list[Entry]:
    """The lead's timeline, newest first (at most LIMIT entries). `staff`, every user when the caller has them
    already (the lead page), names the owners without reading them again."""
    names = _staff_names(session, staff)
    rows: dict[int, list[Any]] = {source: [] for source in range(len(_MAKERS))}
    for row in session.execute(_sources(), {"lead_id": lead.id, "lead_key": str(lead.id)}):
        rows[row.src].append(row)
    entries = [entry for source, make in enumerate(_MAKERS) for entry in make(rows[source], names)]
    return sorted(entries, key=lambda e: e.at, reverse=True)[:LIMIT]


# Every source in one statement (issue #33: a statement a source was most of the timeline's time): each source
# read newest first and capped at LIMIT as before, as rows of one shape (src, at, t1-t3 text, d a time, b a
# flag, id), UNION ALL; the rows are put back in their sources' order before the one sort by time. Built once,
# with the lead's id (and its audit key, the id as text) bound at each run: building the eight branches anew was
# half the timeline's time on the lead page.
@cache
def _sources() -> Any:
    lead_id, lead_key = bindparam("lead_id", type_=col(Lead.id).type), bindparam("lead_key", type_=String)
    text, flag, when = cast(null(), String), cast(null(), Boolean), cast(null(), col(LeadNote.at).type)
    request_ids = select(cast(RequestLead.request_id, String)).where(RequestLead.lead_id == lead_id)
    branches = [
        (LeadNote.at, LeadNote.kind, LeadNote.body, LeadNote.author, LeadNote.follow_up_on, flag, LeadNote.id,
         [LeadNote.lead_id == lead_id], []),
        (AuditEvent.at, AuditEvent.action, AuditEvent.details, AuditEvent.actor, when, flag, AuditEvent.id,
         [AuditEvent.record_type == "lead", AuditEvent.record_id == lead_key, col(AuditEvent.action).in_(AUDITED)],
         []),
        (ConsentRecord.at, ConsentRecord.purpose, ConsentRecord.evidence, ConsentRecord.recorded_by,
         ConsentRecord.superseded_at, ConsentRecord.granted, ConsentRecord.id, [ConsentRecord.lead_id == lead_id], []),
        (MarketingListMember.added_at, MarketingList.name, text, MarketingListMember.added_by, when, flag,
         MarketingListMember.id, [MarketingListMember.lead_id == lead_id],
         [(MarketingList, col(MarketingList.id) == MarketingListMember.list_id)]),
        (MarketingEmail.sent_at, MarketingEmail.subject, text, MarketingEmail.recorded_by, when, flag,
         MarketingEmail.id, [MarketingEmail.lead_id == lead_id], []),
        (InstallEvent.event_time, Installation.application_name, InstallEvent.event_type,
         InstallEvent.provisioning_state, when, flag, InstallEvent.id, [Installation.lead_id == lead_id],
         [(Installation, col(Installation.id) == InstallEvent.installation_id)]),
        (RequestLead.confirmed_at, cast(RequestLead.request_id, String), text, RequestLead.confirmed_by,
         when, flag, RequestLead.id, [RequestLead.lead_id == lead_id], []),
        (AuditEvent.at, AuditEvent.action, AuditEvent.record_id, AuditEvent.actor, when, flag, AuditEvent.id,
         [AuditEvent.record_type == "rights_request", col(AuditEvent.record_id).in_(request_ids)], []),
    ]  # fmt: skip
    parts = []
    for src, (at, t1, t2, t3, d, b, row_id, where, joins) in enumerate(branches):
        query = select(literal_column(str(src)).label("src"), col(at).label("at"), t1.label("t1"), t2.label("t2"),
                       t3.label("t3"), d.label("d"), b.label("b"), col(row_id).label("id"))  # fmt: skip
        for table, on in joins:
            query = query.join(table, on)
        query = query.where(*where)
        if src != _LINKS:
            query = query.order_by(col(at).desc()).limit(LIMIT)
        parts.append(select(query.subquery()))
    return union_all(*parts)


_LINKS = 6  # the rights request links: all of them, in the order stored, as before


def _staff_names(session: Session, staff: list[Any] | None) -> dict[str, str]:
    found = staff if staff is not None else session.exec(select(User))
    return {str(u.id): staff_label(u.email) for u in found}


def _notes(rows: list[Any], _names: dict[str, str]) -> list[Entry]:
    return [Entry(r.at, "note", _note_title(r.t1, r.d), r.t2, r.t3) for r in rows]


def _note_title(kind: str, follow_up_on: datetime | None) -> str:
    """The entry's kind, and for a follow-up when it is due."""
    kind = NOTE_KINDS.get(kind, kind)
    return f"{kind}: follow up, due {uktime.show(follow_up_on)}" if follow_up_on else kind


def _audited(rows: list[Any], names: dict[str, str]) -> list[Entry]:
    return [_change(r.at, r.t1, r.t2, r.t3, names) for r in rows]


def _change(at: datetime, action: str, details: str | None, actor: str, names: dict[str, str]) -> Entry:
    found = json.loads(details or "{}")
    kind = AUDITED[action]
    if kind == "follow_up_done":
        return Entry(at, "change", "Follow-up marked done", who=actor)
    before, after = found.get("before"), found.get("after")
    if kind == "owner":
        before, after = (names.get(str(v), "Nobody") if v else "Nobody" for v in (before, after))
    return Entry(at, "change", f"{kind.capitalize()} changed", f"{before} → {after}", actor)


def _consent(rows: list[Any], _names: dict[str, str]) -> list[Entry]:
    return [
        Entry(
            r.at,
            "consent",
            f"Consent {'given' if r.b else 'withdrawn'}: {_purpose(r.t1)}"
            + (" (entered in error, corrected)" if r.d else ""),
            r.t2,
            r.t3,
        )
        for r in rows
    ]


def _purpose(code: str) -> str:
    purpose = consent.PURPOSES.get(code)
    return purpose.label if purpose else code


def _lists(rows: list[Any], _names: dict[str, str]) -> list[Entry]:
    return [Entry(r.at, "list", f"Added to the list {r.t1}", who=r.t3) for r in rows]


def _emails(rows: list[Any], _names: dict[str, str]) -> list[Entry]:
    return [Entry(r.at, "email", "Marketing email sent", r.t1, r.t3) for r in rows]


def _installs(rows: list[Any], _names: dict[str, str]) -> list[Entry]:
    return [Entry(r.at, "install", f"{r.t1}: {lifecycle.plain_event(r.t2, r.t3)}") for r in rows]


def _links(rows: list[Any], _names: dict[str, str]) -> list[Entry]:
    return [Entry(r.at, "rights", f"Linked to rights request #{r.t1}", who=r.t3) for r in rows]


def _rights(rows: list[Any], _names: dict[str, str]) -> list[Entry]:
    found = []
    for r in rows:
        step = r.t1.removeprefix("rights.").replace("_", " ").replace(".", " ").replace("-", " ")
        found.append(Entry(r.at, "rights", f"Rights request #{r.t2}: {step}", who=r.t3))
    return found


_MAKERS = (_notes, _audited, _consent, _lists, _emails, _installs, _links, _rights)
