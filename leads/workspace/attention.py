"""What needs an admin's attention: work that is stuck, so a promise of the notice may be slipping.

Each check is a function (session, now, settings) -> items; `CHECKS` lists them, so another check (e.g.
"destroyed later than its deadline") plugs in by adding one function. An item says what is wrong, the facts
behind it, and what to do. Settings is the app's config mapping (the checks read only what they name).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from leads import tombstones
from leads.models import AuditEvent, SourceDeletion, SyncRun

STUCK_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Item:
    """One thing that needs attention: a title, the facts, and what to do about it."""

    title: str
    detail: str
    what_to_do: str


Check = Callable[[Session, datetime, Mapping[str, Any]], list[Item]]


def source_deletions(session: Session, now: datetime, settings: Mapping[str, Any]) -> list[Item]:
    """Destroyed leads whose row in the Azure lead table has waited more than a day to be deleted."""
    stuck = select(func.count(), func.min(SourceDeletion.queued_at)).where(
        SourceDeletion.queued_at <= now - STUCK_AFTER
    )
    count, oldest = session.exec(stuck).one()
    if not count:
        return []
    detail = (
        f"{count} destroyed leads are still in the Azure lead table, the oldest queued {oldest:%d %b %Y %H:%M} UTC."
    )
    if not settings.get("AZURE_TABLES_CONNECTION_STRING"):
        todo = (
            "Set AZURE_TABLES_CONNECTION_STRING (with delete permission on the lead table); "
            "the next sweep sends the queue."
        )
        return [Item("Source deletions are stuck", detail, todo)]
    todo = (
        "Check that the connection string may delete from the lead table (not read-only); "
        "the sweeper retries every run."
    )
    return [Item("Source deletions are stuck", detail + _last_source_error(session), todo)]


def _last_source_error(session: Session) -> str:
    """ " Last error: ..." of the newest queued deletion that failed, or ""."""
    last_error = session.exec(
        select(SourceDeletion.last_error)
        .where(col(SourceDeletion.last_error).is_not(None))
        .order_by(col(SourceDeletion.id).desc())
    ).first()
    return f" Last error: {last_error}" if last_error else ""


def failed_sync(session: Session, now: datetime, settings: Mapping[str, Any]) -> list[Item]:
    """The latest lead sync failed."""
    latest = session.exec(select(SyncRun).order_by(col(SyncRun.id).desc()).limit(1)).first()
    if latest is None or latest.status != "failed":
        return []
    detail = f"The sync of {latest.started_at:%d %b %Y %H:%M} UTC failed: {latest.error}"
    todo = "Check AZURE_TABLES_CONNECTION_STRING and LEADS_TABLE_NAME and the worker's log; the next run resumes."
    return [Item("The lead sync failed", detail, todo)]


def failed_sweep(session: Session, now: datetime, settings: Mapping[str, Any]) -> list[Item]:
    """The latest retention sweep failed: records may outlive their deadline."""
    actions = ("retention.sweep", "retention.sweep_failed")
    latest = session.exec(
        select(AuditEvent).where(col(AuditEvent.action).in_(actions)).order_by(col(AuditEvent.id).desc()).limit(1)
    ).first()
    if latest is None or latest.action != "retention.sweep_failed":
        return []
    detail = (
        f"The retention sweep of {latest.at:%d %b %Y %H:%M} UTC failed ({latest.details}); "
        "records past their deadline may still be held."
    )
    todo = "Read the worker's log for the traceback, fix the cause, then run `flask retention sweep` (or wait)."
    return [Item("The retention sweep failed", detail, todo)]


def tombstone_key(session: Session, now: datetime, settings: Mapping[str, Any]) -> list[Item]:
    """TOMBSTONE_KEY trouble: a key that does not match the tombstones. (A key derived from SECRET_KEY happens
    only in development and testing, where it is expected: production refuses to start without its own.)"""
    problem = tombstones.key_problem(session=session, key=settings["TOMBSTONE_KEY"])
    if problem:
        return [
            Item(
                "TOMBSTONE_KEY does not match the tombstones",
                problem,
                "Restore the previous TOMBSTONE_KEY and restart.",
            )
        ]
    return []


CHECKS: tuple[Check, ...] = (source_deletions, failed_sync, failed_sweep, tombstone_key)


def items(
    *, session: Session, now: datetime, settings: Mapping[str, Any], checks: tuple[Check, ...] = CHECKS
) -> list[Item]:
    """Everything that needs attention at `now`, in the order of `checks`."""
    return [item for check in checks for item in check(session, now, settings)]
