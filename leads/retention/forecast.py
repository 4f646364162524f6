"""What the retention schedule will destroy, and when: counts, the soonest records, weekly totals.

Fast at a million records: a record whose clock started before `as_of - longest possible period` is
certainly due, so it is counted in SQL; only the narrow band where calendar lengths differ (leap days,
month ends) is read and decided exactly by `retention.is_due`, the same rule the sweeper applies.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from leads.models import InstallEvent
from leads.retention import holds
from leads.retention.destroy import not_held
from leads.retention.sweeper import TARGETS, Due, Target, null_ip_fields, shortest_period
from leads.rules import schedule


def _longest(period: schedule.Period) -> timedelta:
    return timedelta(days=period.years * 366 + period.months * 31 + period.days)


def _held_filter(target: Target) -> tuple[Any, ...]:
    return (not_held(target.hold_type, target.model.id),) if target.hold_type else ()


def count_due_by(*, session: Session, target: Target, as_of: datetime, include_held: bool = True) -> int:
    """How many of `target`'s records are due at `as_of` (overdue included)."""
    period = schedule.SCHEDULE[target.kind].period
    assert period is not None  # nosec B101 # type narrowing; validate_schedule raises at import
    sure, maybe = as_of - _longest(period), as_of - shortest_period(period)
    extra = (*target.only, *(() if include_held else _held_filter(target)))
    certain = session.exec(
        select(func.count())
        .select_from(target.model)
        .where(col(target.start).is_not(None), target.start <= sure, *extra)
    ).one()
    band = session.exec(select(target.start).where(target.start > sure, target.start <= maybe, *extra)).all()
    return certain + sum(schedule.is_due(schedule.deadline(target.kind, start), as_of) for start in band)


def soonest(*, session: Session, target: Target, until: datetime, limit: int) -> list[Due]:
    """The first `limit` records due by `until`, soonest deadline first, each marked if on hold."""
    query = (
        select(target.model.id, target.start)
        .where(col(target.start).is_not(None), *target.only)
        .order_by(target.start, target.model.id)
        .limit(limit)
    )
    rows = [(i, s) for i, s in session.exec(query).all() if schedule.is_due(schedule.deadline(target.kind, s), until)]
    held = (
        holds.active_holds(session=session, record_type=target.hold_type, record_ids=[r[0] for r in rows])
        if target.hold_type
        else {}
    )
    return [Due(target.record_type, i, schedule.deadline(target.kind, s), i in held) for i, s in rows]


@dataclass(frozen=True)
class Upcoming:
    """What the schedule will destroy by `until`: counts per record type, the soonest records, the held ones."""

    until: datetime
    counts: Counter[str]
    soonest: dict[str, list[Due]]
    held: list[Due]
    ip_fields: int


def upcoming(*, session: Session, now: datetime, days: int = 30, show: int = 50) -> Upcoming:
    """Records due between now and now + `days` (and any overdue), by record type, soonest first."""
    until = now + timedelta(days=days)
    counts: Counter[str] = Counter()
    first: dict[str, list[Due]] = {}
    for target in TARGETS:
        counts[target.record_type] = count_due_by(session=session, target=target, as_of=until)
        first[target.record_type] = soonest(session=session, target=target, until=until, limit=show)
    held = [due for dues in first.values() for due in dues if due.held] + _held_beyond(session, until, first)
    return Upcoming(
        until=until, counts=counts, soonest=first, held=held, ip_fields=null_ip_fields(session, until, True)
    )


def _held_beyond(session: Session, until: datetime, shown: dict[str, list[Due]]) -> list[Due]:
    """Held records due by `until` that the soonest lists did not reach (holds are few; read them all)."""
    extra: list[Due] = []
    for target in (t for t in TARGETS if t.hold_type):
        seen = {due.record_id for due in shown[target.record_type]}
        active = holds.all_active(session=session, record_type=target.hold_type)
        if not active:
            continue
        rows = session.exec(select(target.model.id, target.start).where(col(target.model.id).in_(active))).all()
        extra += [
            Due(target.record_type, i, d, True)
            for i, s in rows
            if i not in seen and s is not None and schedule.is_due(d := schedule.deadline(target.kind, s), until)
        ]
    return extra


def weekly(*, session: Session, now: datetime, weeks: int = 12) -> list[tuple[datetime, int]]:
    """(week start, records due that week) for the next `weeks` weeks; week one also holds anything overdue."""
    edges = [now + timedelta(weeks=n) for n in range(weeks + 1)]
    totals = [
        sum(count_due_by(session=session, target=t, as_of=edge, include_held=False) for t in TARGETS)
        for edge in edges[1:]
    ]
    return [(edges[n], totals[n] - (totals[n - 1] if n else 0)) for n in range(weeks)]


def next_deadline(*, session: Session) -> datetime | None:
    """The soonest deadline of any record not on hold (the worker wakes for it, so nothing is swept late)."""
    deadlines = []
    for target in TARGETS:
        query = select(func.min(target.start)).where(
            col(target.start).is_not(None), *target.only, *_held_filter(target)
        )
        start = session.exec(query).one()
        if start is not None:
            deadlines.append(schedule.deadline(target.kind, start))
    ip_query = select(func.min(InstallEvent.received_at)).where(
        col(InstallEvent.caller_ip).is_not(None), not_held("installation", InstallEvent.installation_id)
    )
    ip_start = session.exec(ip_query).one()
    if ip_start is not None:
        deadlines.append(schedule.deadline("ip_address", ip_start))
    return min((d for d in deadlines if d is not None), default=None)
