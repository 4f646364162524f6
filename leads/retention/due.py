"""What the retention schedule destroys, and what is due by when: the record kinds and the exact due rule.

The one public surface of the schedule's record kinds. The sweeper destroys by it; the forecast (the
dashboard's tiles and chart, the /retention page) counts and lists by it; the sweeper's own machinery (its
destroyers, batches and lock) stays private to `sweeper`. A record is due at `as_of` when its clock started by a
cutoff that calendar arithmetic gives, so
"how many are due" is one range count on the clock's index (plus, across a clamped month end, a few
records decided one by one: `cutoffs`); the sweeper decides each record with `schedule.is_due`, the arithmetic
the countdowns show.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import exists, tuple_
from sqlmodel import Session, col, func, select

from leads.models import Installation, InstallEvent, Lead, LegalHold, QuarantinedEntity, RightsRequest, SupportGrant
from leads.rules import schedule
from leads.rules.months import add_months


@dataclass(frozen=True)
class Kind:
    """One kind of record the schedule destroys: its table, the column its clock starts from, the rows covered."""

    record_type: str
    rule: str  # its row in schedule.SCHEDULE
    model: Any
    start: Any
    hold_type: str | None  # the LegalHold.record_type that pauses it, if holds apply
    only: tuple[Any, ...] = ()  # extra conditions: which rows the rule still applies to

    def candidates(self, as_of: datetime) -> tuple[Any, ...]:
        """SQL conditions every record due at `as_of` meets (holds aside); decide each with `schedule.is_due`."""
        certain, band = cutoffs(self.rule, as_of)
        return (col(self.start).is_not(None), self.start <= (band[1] if band else certain), *self.only)

    def certain(self, as_of: datetime, after: datetime | None = None) -> tuple[Any, ...]:
        """SQL conditions of records certainly due at `as_of` (clock started by the first cutoff), after `after`."""
        later = (self.start > after,) if after is not None else ()
        return (col(self.start).is_not(None), self.start <= cutoffs(self.rule, as_of)[0], *later, *self.only)

    def band(self, as_of: datetime) -> tuple[Any, ...] | None:
        """SQL conditions of the few records that may be due at `as_of` beyond the certain ones, or None."""
        found = cutoffs(self.rule, as_of)[1]
        return None if found is None else (self.start > found[0], self.start <= found[1], *self.only)


def cutoffs(rule: str, as_of: datetime) -> tuple[datetime, tuple[datetime, datetime] | None]:
    """Which clock starts make a record of `rule` due at `as_of`: every start at or before the first value, and
    some of those in the band (an interval, or None), to be decided one by one. Deadlines do not grow with their
    starts across a month end (29 Feb 2024 + 3 years is 28 Feb 2027, before 28 Feb 2024 noon + 3 years), so
    the band holds the days a shorter target month clamps: a February 29th, at most three days a year."""
    period = schedule.SCHEDULE[rule].period
    assert period is not None  # nosec B101 # type narrowing; validate_schedule raises at import
    target, months = as_of.astimezone(UTC) - timedelta(days=period.days), period.years * 12 + period.months
    back = add_months(target, -months)
    if not months:
        return back, None
    month_end = back.replace(day=calendar.monthrange(back.year, back.month)[1], hour=23, minute=59, second=59)
    if back.day != target.day:  # the day does not exist back then: all of that month maps before the target
        return month_end.replace(microsecond=999999), None
    if target.day == calendar.monthrange(target.year, target.month)[1] and month_end.day > target.day:
        last_day = back.replace(hour=23, minute=59, second=59, microsecond=999999)
        return back, (last_day, month_end.replace(microsecond=999999))  # clamped onto the target's last day
    return back, None


KINDS = (
    Kind("lead", "lead", Lead, Lead.received_at, "lead"),
    Kind("quarantined_lead", "lead", QuarantinedEntity, QuarantinedEntity.clock_started_at, None),
    Kind("installation", "install_notification", Installation, Installation.clock_started_at, "installation"),
    Kind(
        "support_grant",
        "support_grant",
        SupportGrant,
        SupportGrant.last_communication_at,
        None,
        only=(col(SupportGrant.lapsed_at).is_(None),),
    ),
    Kind(
        "rights_request",
        "rights_request",
        RightsRequest,
        RightsRequest.closed_at,
        None,
        only=(col(RightsRequest.outlined_at).is_(None),),
    ),
)


@dataclass(frozen=True)
class Due:
    """One record whose deadline has come (as of a sweep's `now`) or comes within a forecast's window."""

    record_type: str
    record_id: int
    deadline: datetime
    held: bool


Cursor = tuple[datetime, int]  # (clock start, id) of the last record a batch scanned


def batch(
    *, session: Session, kind: Kind, as_of: datetime, after: Cursor | None, limit: int
) -> tuple[list[Due], Cursor | None]:
    """Records of `kind` due at `as_of`, oldest first from after `after` (the start when None), each decided
    again by `schedule.is_due`; also returns the last (start, id) scanned. Walking the start column's index from
    the cursor reads `limit` rows a batch however many are due (ordered by id, PostgreSQL re-read every due
    row for each batch when its statistics had not yet seen them age)."""
    keyset = [kind.start >= after[0], tuple_(kind.start, kind.model.id) > after] if after else []
    query = (
        select(kind.model.id, kind.start)
        .where(*kind.candidates(as_of), *keyset)
        .order_by(kind.start, kind.model.id)
        .limit(limit)
    )
    rows = session.exec(query).all()
    held = held_ids(session=session, kind=kind, ids=[r[0] for r in rows])
    due = [
        Due(kind.record_type, record_id, deadline, record_id in held)
        for record_id, start in rows
        if schedule.is_due(deadline := schedule.deadline(kind.rule, start), as_of)
    ]
    return due, ((rows[-1][1], rows[-1][0]) if rows else None)


def held_ids(*, session: Session, kind: Kind, ids: list[int] | None = None) -> set[int]:
    """Which of `ids` (all, when None) of `kind` are under an active legal hold (holds are few)."""
    if kind.hold_type is None or ids == []:
        return set()
    active = (LegalHold.record_type == kind.hold_type, col(LegalHold.lifted_at).is_(None))
    query = select(LegalHold.record_id).where(*active)
    return set(session.exec(query if ids is None else query.where(col(LegalHold.record_id).in_(ids))))


def ip_fields(as_of: datetime) -> tuple[Any, ...]:
    """The SQL conditions of "caller IP address due at `as_of`" (the notification itself stays)."""
    period = schedule.SCHEDULE["ip_address"].period
    # exact days, so the SQL cutoff is exact; validate_schedule raises at import otherwise
    assert period is not None and not (period.years or period.months)  # nosec B101 # type narrowing
    return (
        col(InstallEvent.caller_ip).is_not(None),
        InstallEvent.received_at <= as_of - timedelta(days=period.days),
        not_held("installation", InstallEvent.installation_id),
    )


def ip_fields_due(*, session: Session, as_of: datetime) -> int:
    """How many caller IP addresses are due at `as_of` (those of held installations are kept): all that are due,
    counted on the index of addresses still held, less the held installations' few."""
    every = ip_fields(as_of)[:2]
    found = session.exec(select(func.count()).select_from(InstallEvent).where(*every)).one()
    held = held_ids(session=session, kind=KINDS[2])
    if not held:
        return found
    kept = select(func.count()).select_from(InstallEvent).where(*every, col(InstallEvent.installation_id).in_(held))
    return found - session.exec(kept).one()


def not_held(record_type: str, id_column: Any) -> Any:
    """SQL: the record in `id_column` is under no active legal hold of `record_type`."""
    return ~exists().where(
        LegalHold.record_type == record_type, LegalHold.record_id == id_column, col(LegalHold.lifted_at).is_(None)
    )
