"""The retention sweeper: destroys every record past its deadline (retention.SCHEDULE), here and at the source.

Guarantees, and how:
- never late, never early: a SQL pre-filter finds a superset of candidates, then `retention.is_due` decides
  each one with the same calendar arithmetic the countdowns show;
- nothing half-destroyed is visible: each batch (rows, dependants, tombstones, queued source deletions)
  is one transaction;
- nothing destroyed twice: rows are deleted with RETURNING and only the rows this transaction removed get
  a tombstone; a second sweeper cannot even start, because it cannot take the job's lock (leads/jobs/locks.py),
  which the database or kernel drops the moment its holder dies, so a killed sweeper's successor runs at once;
- the most overdue first: every kind of record's due batches are merged by deadline, oldest first;
- a crash at any point is resumed by the next run: committed batches are done, the rest is still due, and
  source-table deletions are queued in the database and retried until Azure confirms them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, func, tuple_, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel, col, select

from leads.jobs import locks, runs
from leads.models import (
    Installation,
    InstallEvent,
    Lead,
    Person,
    QuarantinedEntity,
    RightsRequest,
    SourceDeletion,
    SupportGrant,
)
from leads.people import held
from leads.retention import destroy, holds
from leads.retention.report import Due, Report, seconds
from leads.rules import datamap, schedule
from leads.staff import audit

BATCH_SIZE = 500
JOB_NAME = "sweep"  # its lock and its runs (leads/jobs)


class SourceTable(Protocol):
    """What the sweeper needs from the lead table (sources.LeadTable)."""

    def delete(self, partition_key: str, row_key: str) -> bool: ...


@dataclass(frozen=True)
class Target:
    """One kind of record the sweeper destroys."""

    record_type: str
    kind: str  # its row in retention.SCHEDULE
    model: Any
    start: Any  # the column the retention clock starts from
    hold_type: str | None
    destroy: Callable[[Session, list[int], datetime, str, str], int]
    only: tuple[Any, ...] = ()  # extra conditions: which rows the rule still applies to


TARGETS = (
    Target("lead", "lead", Lead, Lead.received_at, "lead", destroy.destroy_leads),
    Target(
        "quarantined_lead",
        "lead",
        QuarantinedEntity,
        QuarantinedEntity.clock_started_at,
        None,
        destroy.destroy_quarantined,
    ),
    Target(
        "installation",
        "install_notification",
        Installation,
        Installation.clock_started_at,
        "installation",
        destroy.destroy_due_deployments,
    ),
    Target(
        "support_grant",
        "support_grant",
        SupportGrant,
        SupportGrant.last_communication_at,
        None,
        destroy.lapse_grants,
        only=(col(SupportGrant.lapsed_at).is_(None),),
    ),
    Target(
        "rights_request",
        "rights_request",
        RightsRequest,
        RightsRequest.closed_at,
        None,
        destroy.outline_requests,
        only=(col(RightsRequest.outlined_at).is_(None),),
    ),
)


def shortest_period(period: schedule.Period) -> timedelta:
    """A lower bound on the period's length in any calendar (for the SQL pre-filter)."""
    return timedelta(days=period.years * 365 + period.months * 28 + period.days)


Cursor = tuple[datetime, int]  # (clock start, id) of the last record a batch scanned


def due_batch(
    *, session: Session, target: Target, as_of: datetime, after: Cursor | None, limit: int
) -> tuple[list[Due], Cursor | None]:
    """Records of `target` due at `as_of`, oldest first from after `after` (the start when None); also returns
    the last (start, id) scanned. Walking the start column's index, beginning at the cursor, reads `limit` rows
    a batch however many are due: ordered by id, PostgreSQL re-read every due row for each batch when its
    statistics had not yet seen them age (100,000 expired leads: 200 batches of up to 100,000 rows)."""
    period = schedule.SCHEDULE[target.kind].period
    assert period is not None  # nosec B101 # type narrowing; validate_schedule raises at import
    cutoff = as_of - shortest_period(period)
    keyset = [target.start >= after[0], tuple_(target.start, target.model.id) > after] if after else []
    query = (
        select(target.model.id, target.start)
        .where(col(target.start).is_not(None), target.start <= cutoff, *keyset, *target.only)
        .order_by(target.start, target.model.id)
        .limit(limit)
    )
    rows = session.exec(query).all()
    held = (
        holds.active_holds(session=session, record_type=target.hold_type, record_ids=[r[0] for r in rows])
        if target.hold_type
        else {}
    )
    due = [
        Due(target.record_type, record_id, deadline, record_id in held)
        for record_id, start in rows
        if schedule.is_due(deadline := schedule.deadline(target.kind, start), as_of)
    ]
    return due, ((rows[-1][1], rows[-1][0]) if rows else None)


def sweep(
    *,
    session: Session,
    now: datetime,
    source: SourceTable | None,
    tombstone_key: str,
    holder: str,
    actor: str = "system:sweeper",
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[Report], None] = lambda _r: None,
    clock: Callable[[], datetime] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> Report:
    """Destroy (or, dry run, list) everything due at `now`, oldest deadline first across all kinds of record.
    Each batch commits on its own. `ran` is False if another live sweeper holds the job's lock (a dead one
    does not: the lock dies with its process). `should_stop()` is asked between batches: once true, the
    sweep ends after the batch in hand, leaving the rest for the next run. `clock` tells when each batch
    is destroyed, for the lateness the report gives (default: `now`)."""
    report = Report(as_of=now, dry_run=dry_run)
    sweeping = _Sweeping(session, report, now, tombstone_key, actor, batch_size, progress, clock or (lambda: now))
    if dry_run:
        sweeping.run(lock=None, should_stop=should_stop)
        report.ip_fields = null_ip_fields(session, now, dry_run=True)
        return report
    with runs.exclusive(session=session, job=JOB_NAME, holder=holder, clock=sweeping.clock) as tracked:
        if tracked is None:
            report.ran = False
            return report
        try:
            sweeping.run(lock=tracked.lock, should_stop=should_stop)
            if not report.stopped:
                report.ip_fields = null_ip_fields(session, now, dry_run=False)
                _flush_source(session, source, report)
            audit.record(session=session, at=now, actor=actor, action="retention.sweep", details=report.summary())
            session.commit()
        except Exception as error:
            record_failure(session=session, now=now, actor=actor, error=error)  # for the needs-attention panel
            raise
        tracked.outcome, tracked.counts = ("stopped" if report.stopped else "succeeded"), report.summary()
        tracked.late, tracked.most_late_seconds = report.late, seconds(report.most_late)
    return report


def record_failure(*, session: Session, now: datetime, actor: str, error: BaseException) -> None:
    """Audit that a sweep failed (the dashboard shows it to admins): the error's class only, never its message,
    which may quote personal data. Commits; a database too broken to take it is left to the worker's log. (The
    job's run record says `failed` too: `runs.exclusive`.)"""
    session.rollback()
    audit.record(
        session=session, at=now, actor=actor, action="retention.sweep_failed", details={"error": type(error).__name__}
    )
    try:
        session.commit()
    except SQLAlchemyError:
        session.rollback()


class LockLost(RuntimeError):
    """The sweeper's lock went (its database connection dropped): stop before another sweeper starts."""


@dataclass
class _Sweeping:
    """One sweep's walk: every target's due records as a stream of batches, merged so the batch with the
    oldest deadline always goes next (after downtime, the most overdue records are destroyed first)."""

    session: Session
    report: Report
    now: datetime
    key: str
    actor: str
    batch_size: int
    progress: Callable[[Report], None]
    clock: Callable[[], datetime]
    cursors: dict[str, Cursor | None] = field(default_factory=dict)

    def run(self, *, lock: locks.JobLock | None, should_stop: Callable[[], bool]) -> None:
        pending = {target.record_type: (target, self._next(target)) for target in TARGETS}
        while ready := [(t, batch) for t, batch in pending.values() if batch]:
            if should_stop():
                self.report.stopped = True
                return
            if lock is not None and not lock.held():
                raise LockLost("the sweeper's lock was lost; stopping before another sweeper starts")
            target, batch = min(ready, key=lambda item: item[1][0].deadline)
            self._apply(target, batch)
            pending[target.record_type] = (target, self._next(target))

    def _next(self, target: Target) -> list[Due]:
        """The target's next batch holding something due; [] once its candidates are exhausted."""
        while True:
            since = self.cursors.get(target.record_type)
            size = self.batch_size
            due, after = due_batch(session=self.session, target=target, as_of=self.now, after=since, limit=size)
            self.cursors[target.record_type] = after
            if after is None or due:
                return due

    def _apply(self, target: Target, batch: list[Due]) -> None:
        report = self.report
        if held := sum(d.held for d in batch):
            report.held[target.record_type] += held
        if report.dry_run:
            report.due.extend(batch)
            return
        ids = [d.record_id for d in batch if not d.held]
        if ids:
            report.destroyed[target.record_type] += target.destroy(self.session, ids, self.now, self.actor, self.key)
            report.note_lateness(self.clock(), [d.deadline for d in batch if not d.held])
            self.progress(report)


def null_ip_fields(session: Session, now: datetime, dry_run: bool) -> int:
    """Destroy caller IP addresses older than their period (the notification itself stays). Commits."""
    period = schedule.SCHEDULE["ip_address"].period
    # exact days, so the SQL cutoff is exact; validate_schedule raises at import otherwise
    assert period is not None and not (period.years or period.months)  # nosec B101 # type narrowing
    condition = (
        col(InstallEvent.caller_ip).is_not(None),
        InstallEvent.received_at <= now - timedelta(days=period.days),
        destroy.not_held("installation", InstallEvent.installation_id),
    )
    if dry_run:
        return session.exec(select(func.count()).select_from(InstallEvent).where(*condition)).one()
    result = session.exec(update(InstallEvent).where(*condition).values(caller_ip=None))  # type: ignore[call-overload]
    session.commit()
    return result.rowcount


def _flush_source(session: Session, source: SourceTable | None, report: Report) -> None:
    """Delete queued rows from the source table, oldest first; stop at the first failure (the service is
    probably down) and leave the rest queued for the next run. Commits per row."""
    while source is not None:
        batch = session.exec(select(SourceDeletion).order_by(col(SourceDeletion.id)).limit(BATCH_SIZE)).all()
        if not batch or not _delete_at_source(session, source, batch, report):
            break
    report.source_pending = session.exec(select(func.count()).select_from(SourceDeletion)).one()


def _delete_at_source(session: Session, source: SourceTable, batch: list[SourceDeletion], report: Report) -> bool:
    """Delete each queued row at the source; False at the first failure (recorded on the row)."""
    for pending in batch:
        try:
            source.delete(pending.partition_key, pending.row_key)
        except Exception as error:  # noqa: BLE001 - any failure: keep it queued and say why
            pending.attempts, pending.last_error = pending.attempts + 1, str(error)[:1000]
            report.source_errors.append(str(error)[:200])
            session.add(pending)
            session.commit()
            return False
        session.delete(pending)
        session.commit()
        report.source_deleted += 1
    return True


def erase_leads(
    *, session: Session, lead_ids: list[int], now: datetime, actor: str, tombstone_key: str, source: SourceTable | None
) -> Report:
    """The right to erasure for leads without a person (kept for callers that have only ids): destroy these
    leads and their linked installations now. Records on hold are kept."""
    report = Report(as_of=now, dry_run=False)
    linked = list(session.exec(select(Installation.id).where(col(Installation.lead_id).in_(lead_ids))))
    if linked:
        report.destroyed["installation"] += destroy.destroy_installations(session, linked, now, actor, tombstone_key)
    report.destroyed["lead"] += destroy.destroy_leads(session, lead_ids, now, actor, tombstone_key)
    _flush_source(session, source, report)
    audit.record(session=session, at=now, actor=actor, action="rights.erasure", details=report.summary())
    session.commit()
    return report


def erase_person(
    *, session: Session, person: Person, now: datetime, actor: str, tombstone_key: str, source: SourceTable | None
) -> Report:
    """The right to erasure, driven by the personal-data map: every table the map finds the person in is
    destroyed (through the retention machinery: tombstones, source deletions), goes with its parent, or is
    deleted, as the map says; request records are kept as the map's outline rule says. Then the map is walked
    again, and anything left that should have gone is an error (RuntimeError). Audited with counts only."""
    report = Report(as_of=now, dry_run=False)
    found = held.held(session=session, person=person)
    order = ("installation", "lead", "quarantinedentity")  # installations first: they point at their leads
    for name in sorted(found, key=lambda n: order.index(n) if n in order else len(order)):
        entry, ids = datamap.MAP[name], [row["id"] for row in found[name]]
        if entry.erasure == "destroy" and ids:
            report.destroyed[name] += destroy.DESTROYERS[name](session, ids, now, actor, tombstone_key)
        elif entry.erasure == "delete" and ids and name != "person":
            session.exec(delete(SQLModel.metadata.tables[name]).where(SQLModel.metadata.tables[name].c.id.in_(ids)))  # type: ignore[call-overload]
    session.exec(delete(Person).where(col(Person.id) == person.id))  # type: ignore[call-overload]
    session.commit()
    _flush_source(session, source, report)
    left = {
        n: len(r)
        for n, r in held.held(session=session, person=person).items()
        if r and datamap.MAP[n].erasure != "outline"
    }
    audit.record(session=session, at=now, actor=actor, action="rights.erasure", details=report.summary())
    session.commit()
    if left:
        raise RuntimeError(f"erasure left records the data map says must go: {left}")
    return report
