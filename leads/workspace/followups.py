"""Follow-ups as a queue: each member of staff's own, overdue, due and done, marked done with one click.

A follow-up is a log entry with a `follow_up_on` time; it belongs to its author (who planned it). Open is every
one not done, overdue first (the queue opens on it); overdue means its time has passed and it is not done; due
means it is still ahead; done is newest-done first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from leads.models import Lead, LeadNote, User
from leads.staff import audit
from leads.workspace import pager

SHOWS = {"open": "Open", "overdue": "Overdue", "due": "Due", "done": "Done"}
SOON = timedelta(days=1)  # the dashboard tile counts what is overdue or due by this time tomorrow


class FollowUpError(ValueError):
    """The follow-up cannot be marked done; the message says why."""


@dataclass(frozen=True)
class QueueQuery:
    """Which part of one's queue, and the pager's cursor."""

    show: str = "open"
    after: str = ""
    before: str = ""
    start: int = 1

    def args(self, **changes: object) -> dict[str, object]:
        values = {"show": self.show, "after": self.after, "before": self.before, "start": self.start, **changes}
        return {k: v for k, v in values.items() if v not in ("", None) and not (k == "start" and v == 1)}


def parse(args: Mapping[str, str]) -> QueueQuery:
    """A QueueQuery from request arguments; unknown values fall back to everything open."""
    show = args.get("show", "") if args.get("show") in SHOWS else "open"
    cursors = {f: args.get(f, "").strip()[:200] for f in ("after", "before")}
    return QueueQuery(show=show, **cursors, start=pager.start_arg(args.get("start")))


def _conditions(author: str, show: str, now: datetime) -> list[Any]:
    mine = [LeadNote.author == author, col(LeadNote.follow_up_on).is_not(None)]
    if show == "done":
        return [*mine, col(LeadNote.follow_up_done_at).is_not(None)]
    open_ = [*mine, col(LeadNote.follow_up_done_at).is_(None)]
    if show == "open":
        return open_
    return [*open_, col(LeadNote.follow_up_on) < now] if show == "overdue" else [*open_, LeadNote.follow_up_on >= now]


def queue(*, session: Session, author: str, query: QueueQuery, now: datetime, per_page: int) -> pager.Window[Any]:
    """One page of `author`'s follow-ups: open and overdue oldest first, due soonest first, done latest first."""
    column = LeadNote.follow_up_done_at if query.show == "done" else LeadNote.follow_up_on
    asked = pager.Request(after=query.after, before=query.before, ascending=query.show != "done", start=query.start)
    return pager.page(
        session=session,
        model=LeadNote,
        column=column,
        conditions=_conditions(author, query.show, now),
        asked=asked,
        per_page=per_page,
    )


def counts(*, session: Session, author: str, now: datetime) -> dict[str, int]:
    """How many of `author`'s follow-ups each tab holds (capped as the pager caps), and how many are due by this
    time tomorrow (the dashboard tile)."""
    due = [*_conditions(author, "due", now), col(LeadNote.follow_up_on) <= now + SOON]
    tabs = {show: pager.capped_count(session, LeadNote, _conditions(author, show, now)) for show in SHOWS}
    return {**tabs, "due_soon": session.exec(select(func.count()).select_from(LeadNote).where(*due)).one()}


def leads_for(*, session: Session, notes: list[LeadNote]) -> dict[int, Lead]:
    """The leads a page of follow-ups belongs to, by id."""
    ids = {note.lead_id for note in notes}
    return {lead.id: lead for lead in session.exec(select(Lead).where(col(Lead.id).in_(ids)))} if ids else {}


def mark_done(*, session: Session, note_id: int, actor: User, now: datetime) -> LeadNote:
    """Mark one of the actor's follow-ups done (once; doing it again changes nothing). Audited. Commits."""
    note = session.get(LeadNote, note_id)
    if note is None or note.follow_up_on is None:
        raise FollowUpError("There is no such follow-up.")
    if note.author != actor.email:
        raise FollowUpError("Only who planned a follow-up marks it done.")
    if note.follow_up_done_at is None:
        note.follow_up_done_at, note.follow_up_done_by = now, actor.email
        session.add(note)
        done = {"note_id": note.id}
        audit.commit(
            session=session, at=now, actor=actor, action="lead.follow_up.done", on=("lead", note.lead_id), details=done
        )
    return note


def reopen(*, session: Session, note: LeadNote, actor: User, now: datetime, undoes: int) -> None:
    """Put a follow-up marked done back in the queue, undoing audit event `undoes`. Audited. Commits."""
    note.follow_up_done_at, note.follow_up_done_by = None, None
    session.add(note)
    details = {"note_id": note.id, "undoes": undoes}
    audit.commit(
        session=session, at=now, actor=actor, action="lead.follow_up.reopen", on=("lead", note.lead_id), details=details
    )
