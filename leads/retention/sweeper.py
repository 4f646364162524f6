"""The retention sweeper: destroys every record past its deadline (retention.SCHEDULE), here and at the source.

Guarantees, and how:
- never late, never early: `due` says which records are due (the same rule the forecast counts by), and
  `schedule.is_due` decides each one again with the calendar arithmetic the countdowns show;
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
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import delete, func, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel, col, select

from leads.jobs import locks, runs
from leads.models import (
    Installation,
    InstallEvent,
    Person,
    SourceDeletion,
)
from leads.people import held
from leads.retention import destroy, due, exportcache
from leads.retention.report import Report, seconds
from leads.rules import datamap
from leads.staff import audit

BATCH_SIZE = 500
JOB_NAME = "sweep"  # its lock and its runs (leads/jobs)
# What other modules may use; the rest (destroyers, batches) is the sweeper's own (tests/retention/test_due.py).
__all__ = ["BATCH_SIZE", "JOB_NAME", "LockLost", "Report", "SourceTable", "erase_leads", "erase_person", "sweep"]


class SourceTable(Protocol):
    """What the sweeper needs from the lead table (sources.LeadTable)."""

    def delete(self, partition_key: str, row_key: str) -> bool: ...


# How each kind of record (due.KINDS) is destroyed once due.
DESTROY_BY_KIND: dict[str, Callable[[Session, list[int], datetime, str, str], int]] = {
    "lead": destroy.destroy_leads,
    "quarantined_lead": destroy.destroy_quarantined,
    "installation": destroy.destroy_due_deployments,
    "support_grant": destroy.lapse_grants,
    "rights_request": destroy.outline_requests,
}


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
    export_cache: Path | None = None,
) -> Report:
    """Destroy (or, dry run, list) everything due at `now`, oldest deadline first; each batch commits on its own.
    `export_cache`: the directory of prepared downloads, whose expired links and files go too (`exportcache`).
    `ran` is False if another live sweeper holds the job's lock (a dead one's lock died with it). `should_stop()`
    is asked between batches; once true, the rest waits for the next run. `clock`: when each batch is destroyed."""
    report = Report(as_of=now, dry_run=dry_run)
    sweeping = _Sweeping(session, report, now, tombstone_key, actor, batch_size, progress, clock or (lambda: now))
    if dry_run:
        return sweeping.dry_run(should_stop)
    with runs.exclusive(session=session, job=JOB_NAME, holder=holder, clock=sweeping.clock) as tracked:
        _sweep_locked(sweeping, tracked, source, should_stop, export_cache)
    return report


def _sweep_locked(
    sweeping: _Sweeping,
    tracked: runs.Tracked | None,
    source: SourceTable | None,
    should_stop: Callable[[], bool],
    export_cache: Path | None,
) -> None:
    """The sweep itself, once the job's lock is held (`tracked` None: another live sweeper holds it): batches, IP
    fields, the source queue, the audit entry, the job run's outcome. A failure is audited (for the
    needs-attention panel) and raised."""
    session, report, now, actor = sweeping.session, sweeping.report, sweeping.now, sweeping.actor
    if tracked is None:
        report.ran = False
        return
    try:
        sweeping.run(lock=tracked.lock, should_stop=should_stop)
        if not report.stopped:
            report.ip_fields = null_ip_fields(session, now, dry_run=False)
            if export_cache is not None and (links := exportcache.sweep(session=session, cache=export_cache, now=now)):
                report.destroyed["exportdelivery"] += links
            _flush_source(session, source, report)
        audit.record(session=session, at=now, actor=actor, action="retention.sweep", details=report.summary())
        session.commit()
    except Exception as error:
        record_failure(session=session, now=now, actor=actor, error=error)
        raise
    tracked.outcome, tracked.counts = ("stopped" if report.stopped else "succeeded"), report.summary()
    tracked.late, tracked.most_late_seconds = report.late, seconds(report.most_late)


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
    cursors: dict[str, due.Cursor | None] = field(default_factory=dict)

    def dry_run(self, should_stop: Callable[[], bool]) -> Report:
        """List what is due (no lock: nothing is destroyed), with the IP addresses due."""
        self.run(lock=None, should_stop=should_stop)
        self.report.ip_fields = null_ip_fields(self.session, self.now, dry_run=True)
        return self.report

    def run(self, *, lock: locks.JobLock | None, should_stop: Callable[[], bool]) -> None:
        pending = {kind.record_type: (kind, self._next(kind)) for kind in due.KINDS}
        while ready := [(t, batch) for t, batch in pending.values() if batch]:
            if should_stop():
                self.report.stopped = True
                return
            if lock is not None and not lock.held():
                raise LockLost("the sweeper's lock was lost; stopping before another sweeper starts")
            kind, batch = min(ready, key=lambda item: item[1][0].deadline)
            self._apply(kind, batch)
            pending[kind.record_type] = (kind, self._next(kind))

    def _next(self, kind: due.Kind) -> list[due.Due]:
        """The kind's next batch holding something due; [] once its candidates are exhausted."""
        while True:
            since, size = self.cursors.get(kind.record_type), self.batch_size
            found, after = due.batch(session=self.session, kind=kind, as_of=self.now, after=since, limit=size)
            self.cursors[kind.record_type] = after
            if after is None or found:
                return found

    def _apply(self, kind: due.Kind, batch: list[due.Due]) -> None:
        report = self.report
        if held := sum(d.held for d in batch):
            report.held[kind.record_type] += held
        if report.dry_run:
            report.due.extend(batch)
            return
        ids = [d.record_id for d in batch if not d.held]
        if ids:
            destroyed = DESTROY_BY_KIND[kind.record_type](self.session, ids, self.now, self.actor, self.key)
            report.destroyed[kind.record_type] += destroyed
            report.note_lateness(self.clock(), [d.deadline for d in batch if not d.held])
            self.progress(report)


def null_ip_fields(session: Session, now: datetime, dry_run: bool) -> int:
    """Destroy caller IP addresses older than their period (the notification itself stays). Commits."""
    if dry_run:
        return due.ip_fields_due(session=session, as_of=now)
    result = session.exec(update(InstallEvent).where(*due.ip_fields(now)).values(caller_ip=None))  # type: ignore[call-overload]
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
    *,
    session: Session,
    person: Person,
    now: datetime,
    actor: str,
    tombstone_key: str,
    source: SourceTable | None,
    request_id: int | None = None,
) -> Report:
    """The right to erasure, driven by the personal-data map: every table the map finds the person in is
    destroyed (through the retention machinery: tombstones, source deletions), goes with its parent, or is
    deleted, as the map says; request records are kept as the map's outline rule says. Then the map is walked
    again, and anything left that should have gone is an error (RuntimeError). Audited with counts only, against
    the rights request it answers (`request_id`) when there is one."""
    report = Report(as_of=now, dry_run=False)
    found = held.held(session=session, person=person)
    _erase_found(session, found, report, now, actor, tombstone_key)
    session.exec(delete(Person).where(col(Person.id) == person.id))  # type: ignore[call-overload]
    session.commit()
    _flush_source(session, source, report)
    left = _left(session, found, held.held(session=session, person=person))
    answered = ("rights_request", request_id) if request_id is not None else (None, None)
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="rights.erasure",
        record_type=answered[0],
        record_id=answered[1],
        details=report.summary(),
    )
    session.commit()
    if left:
        raise RuntimeError(f"erasure left records the data map says must go: {left}")
    return report


def _left(session: Session, before: dict[str, list[dict]], after: dict[str, list[dict]]) -> dict[str, int]:
    """What is still there that erasure should have removed, by table: every row found before (a row found only
    through a lead, e.g. by its source key, cannot be found again once the lead is gone) and any found now."""
    left = {}
    for name in before:
        if datamap.MAP[name].erasure == "outline":
            continue
        table = SQLModel.metadata.tables[name]
        ids = sorted({row["id"] for row in before[name] + after.get(name, [])})
        count = session.exec(select(func.count()).select_from(table).where(table.c.id.in_(ids))).one() if ids else 0  # type: ignore[call-overload]
        if count:
            left[name] = count
    return left


def _erase_found(
    session: Session, found: dict[str, list[dict]], report: Report, now: datetime, actor: str, key: str
) -> None:
    """Destroy or delete each table's rows of the person, as the data map says (the person row is left to the
    caller); installations first, since they point at their leads. The caller commits."""
    order = ("installation", "lead", "quarantinedentity")
    for name in sorted(found, key=lambda n: order.index(n) if n in order else len(order)):
        entry, ids = datamap.MAP[name], [row["id"] for row in found[name]]
        if entry.erasure == "destroy" and ids:
            report.destroyed[name] += destroy.DESTROYERS[name](session, ids, now, actor, key)
        elif entry.erasure == "delete" and ids and name != "person":
            table = SQLModel.metadata.tables[name]
            session.exec(delete(table).where(table.c.id.in_(ids)))  # type: ignore[call-overload]
