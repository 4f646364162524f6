"""What the retention schedule will destroy, and when: counts, the soonest records by name, weekly totals.

One function counts: `due_counts`. The dashboard's tiles and chart and the /retention page all read it, so they
cannot disagree. Fast at a million records without counters or caches: a record is due by a moment exactly when
its clock started by `schedule.latest_start(rule, moment)`, so each window's count is a range count on the
clock column's index (no rows read, no arithmetic per row), all windows and kinds in one statement; legal
holds are few, so the held records' deadlines are read and decided one by one (docs/retention.md, "Retention
counts").
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, false
from sqlmodel import Session, col, func, select

from leads.grants.lapse import lapse_due
from leads.models import Installation, InstallEvent, Lead, QuarantinedEntity, RightsRequest, SupportGrant
from leads.retention import due, holds
from leads.retention.due import Due
from leads.rules import rights, schedule
from leads.rules.vocabulary import lead_name

TILE_DAYS = (7, 30)  # the dashboard's "due in 7 days" and "due in 30 days" tiles (and /retention's totals)


@dataclass(frozen=True)
class DueCounts:
    """Records due by `now + d` days for each `d` asked (overdue included), per record type, and how many of
    those are on legal hold (kept until the hold is lifted)."""

    now: datetime
    due: dict[str, dict[int, int]]  # record type -> days -> count, held included
    held: dict[str, dict[int, int]]  # record type -> days -> held count

    def total(self, days: int) -> int:
        """Every record due within `days` days, on hold or not."""
        return sum(counts[days] for counts in self.due.values())

    def held_total(self, days: int) -> int:
        """The records due within `days` days that a legal hold keeps back."""
        return sum(counts[days] for counts in self.held.values())


def due_counts(*, session: Session, now: datetime, days: Iterable[int]) -> DueCounts:
    """How many records of each kind are due within each of `days` days of `now`: one statement of index range
    counts (each window counted once, then summed), plus the few held records decided one by one."""
    horizons = sorted(set(days))
    cuts = {
        kind.record_type: [due.cutoffs(kind.rule, now + timedelta(days=d))[0] for d in horizons] for kind in due.KINDS
    }
    params = {f"{t}_{n}": cut for t, found in cuts.items() for n, cut in enumerate(found)}
    row, found = session.exec(_windows(len(horizons)), params=params).one(), {}  # type: ignore[call-overload]
    for n, kind in enumerate(due.KINDS):
        certain = row[n * len(horizons) : (n + 1) * len(horizons)]
        found[kind.record_type] = {
            d: sum(certain[: i + 1]) + _band_due(session, kind, now + timedelta(days=d)) for i, d in enumerate(horizons)
        }
    deadlines = {kind.record_type: _held_deadlines(session, kind) for kind in due.KINDS}
    held = {
        t: {d: sum(x <= now + timedelta(days=d) for x in found) for d in horizons} for t, found in deadlines.items()
    }
    return DueCounts(now=now, due=found, held=held)


@functools.cache
def _windows(horizons: int) -> Any:
    """The counting statement for `horizons` windows of every kind, built once: window n of a kind counts the
    records certainly due by its cutoff `<type>_<n>` and not by the one before (the first: the overdue too)."""
    windows = []
    for kind in due.KINDS:
        cut = [bindparam(f"{kind.record_type}_{n}", type_=kind.start.type) for n in range(horizons)]
        for n in range(horizons):
            after = (kind.start > cut[n - 1],) if n else ()
            where = (col(kind.start).is_not(None), kind.start <= cut[n], *after, *kind.only)
            windows.append(select(func.count()).select_from(kind.model).where(*where).scalar_subquery())
    return select(*windows)


def _band_due(session: Session, kind: due.Kind, as_of: datetime) -> int:
    """How many of the records a month end makes uncertain at `as_of` are due (none, most days)."""
    band = kind.band(as_of)
    if band is None:
        return 0
    starts = session.exec(select(kind.start).where(*band)).all()
    return sum(schedule.is_due(schedule.deadline(kind.rule, start), as_of) for start in starts)


def _held_deadlines(session: Session, kind: due.Kind) -> list[datetime]:
    """The deadlines of `kind`'s records under an active legal hold whose clock has started."""
    held = due.held_ids(session=session, kind=kind)
    if not held:
        return []
    query = select(kind.start).where(col(kind.model.id).in_(held), col(kind.start).is_not(None), *kind.only)
    return [d for start in session.exec(query) if (d := schedule.deadline(kind.rule, start)) is not None]


def weekly(*, session: Session, now: datetime, weeks: int = 12) -> list[tuple[datetime, int]]:
    """(week start, records due that week, not on hold) for the next `weeks` weeks; week one also holds anything
    overdue."""
    return weekly_from(due_counts(session=session, now=now, days=[7 * (n + 1) for n in range(weeks)]), weeks)


def weekly_from(counts: DueCounts, weeks: int) -> list[tuple[datetime, int]]:
    """The chart's weeks from `counts` (which must hold every 7th day up to `weeks` weeks)."""
    kept = [counts.total(7 * n) - counts.held_total(7 * n) if n else 0 for n in range(weeks + 1)]
    return [(counts.now + timedelta(weeks=n), kept[n + 1] - kept[n]) for n in range(weeks)]


@dataclass(frozen=True)
class Named(Due):
    """A record due within the window, as staff know it: its name (a lead's person and company, an
    installation's application, a grant's application) and a note (the support request, the kind of request)."""

    name: str = ""
    note: str = ""


def _lead_label(row: Any) -> tuple[str, str]:
    return lead_name(row.first_name, row.last_name), row.company or ""


# Per record type: the columns that name a record (beside its id and clock start), and how they read.
LABELS: dict[str, tuple[tuple[Any, ...], Callable[[Any], tuple[str, str]]]] = {
    "lead": ((Lead.first_name, Lead.last_name, Lead.company), _lead_label),
    "quarantined_lead": ((QuarantinedEntity.id.label("ref"),), lambda row: (f"Quarantined entity #{row.ref}", "")),  # type: ignore[attr-defined]
    "installation": ((Installation.application_name,), lambda row: (row.application_name, "")),
    "support_grant": (
        (Installation.application_name, SupportGrant.support_request_ref),
        lambda row: (f"Support access to {row.application_name}", row.support_request_ref),
    ),
    "rights_request": (
        (RightsRequest.kind.label("request_kind"),),
        lambda row: (f"Data-protection request #{row.record_id}", rights.KINDS.get(row.request_kind, row.request_kind)),
    ),  # type: ignore[attr-defined]
}


def _named(session: Session, kind: due.Kind, until: datetime, *where: Any, limit: int | None = None) -> list[Named]:
    """`kind`'s records due by `until` (and matching `where`), soonest first, named, each marked if on hold: the
    hold read with the rows (a correlated EXISTS on ix_legalhold_record), never cached."""
    columns, label = LABELS[kind.record_type]
    on_hold = holds.is_held(kind.hold_type, kind.model.id) if kind.hold_type else false()
    query = select(
        kind.model.id.label("record_id"), kind.start.label("start"), *columns, on_hold.label("on_hold")
    ).where(*kind.candidates(until), *where)
    if kind.record_type == "support_grant":
        query = query.join(Installation, col(Installation.id) == col(SupportGrant.installation_id))
    found = session.exec(query.order_by(kind.start, kind.model.id).limit(limit)).all()
    rows = [row for row in found if schedule.is_due(schedule.deadline(kind.rule, row.start), until)]
    return [
        Named(kind.record_type, row.record_id, schedule.deadline(kind.rule, row.start), bool(row.on_hold), *label(row))  # type: ignore[arg-type]
        for row in rows
    ]


@dataclass(frozen=True)
class Upcoming:
    """What the schedule will destroy by `until`: counts per record type, the soonest records by name, the
    held ones, and the totals the dashboard's tiles show (`totals`, for 7 and 30 days and this window)."""

    until: datetime
    days: int
    counts: Counter[str]
    totals: DueCounts
    soonest: dict[str, list[Named]]
    held: list[Named]
    ip_fields: int


def upcoming(*, session: Session, now: datetime, days: int = 30, show: int = 20) -> Upcoming:
    """Records due between now and now + `days` (and any overdue), by record type, soonest first. Grants past
    their window are lapsed first (reading a grant lapses it: `leads.grants.lapse`). Commits if any lapse."""
    until = now + timedelta(days=days)
    lapse_due(session=session, now=now)  # grants past their window lapse when read, as on the dashboard
    totals = due_counts(session=session, now=now, days=(*TILE_DAYS, days))
    first = {kind.record_type: _named(session, kind, until, limit=show) for kind in due.KINDS}
    held = [d for dues in first.values() for d in dues if d.held] + _held_beyond(session, until, first)
    return Upcoming(
        until=until,
        days=days,
        counts=Counter({record_type: counts[days] for record_type, counts in totals.due.items()}),
        totals=totals,
        soonest=first,
        held=held,
        ip_fields=due.ip_fields_due(session=session, as_of=until),
    )


def _held_beyond(session: Session, until: datetime, shown: dict[str, list[Named]]) -> list[Named]:
    """Held records due by `until` that the soonest lists did not reach (holds are few; read them all)."""
    extra: list[Named] = []
    for kind in (k for k in due.KINDS if k.hold_type):
        beyond = due.held_ids(session=session, kind=kind) - {d.record_id for d in shown[kind.record_type]}
        if beyond:
            extra += _named(session, kind, until, col(kind.model.id).in_(beyond))
    return extra


def next_deadline(*, session: Session) -> datetime | None:
    """The soonest deadline of any record not on hold (the worker wakes for it, so nothing is swept late).

    Each start is the first row in index order, not min(): PostgreSQL turns min() over an anti-join (the
    NOT EXISTS hold check) into a full scan of the table; ORDER BY ... LIMIT 1
    walks the index and stops at the first record not on hold (holds are few)."""
    deadlines = []
    for kind in due.KINDS:
        unheld = (due.not_held(kind.hold_type, kind.model.id),) if kind.hold_type else ()
        query = select(kind.start).where(col(kind.start).is_not(None), *kind.only, *unheld)
        start = session.exec(query.order_by(kind.start).limit(1)).first()
        if start is not None:
            deadlines.append(schedule.deadline(kind.rule, start))
    ip_query = select(InstallEvent.received_at).where(
        col(InstallEvent.caller_ip).is_not(None), due.not_held("installation", InstallEvent.installation_id)
    )
    ip_start = session.exec(ip_query.order_by(col(InstallEvent.received_at)).limit(1)).first()
    if ip_start is not None:
        deadlines.append(schedule.deadline("ip_address", ip_start))
    return min((d for d in deadlines if d is not None), default=None)
