"""`flask --app app retention sweep`, `worker` and `jobs status`: the scheduled jobs, by hand, forever, seen."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from leads import db
from leads.cli import worker
from leads.cli.options import per_transaction
from leads.ingest import sources
from leads.jobs import runs
from leads.retention import sweeper
from leads.retention.report import LATE_AFTER
from leads.workspace import jobstatus


@click.group("retention", cls=AppGroup)
def retention_cli() -> None:
    """The retention schedule: destroy what has expired."""


@retention_cli.command("sweep")
@click.option("--dry-run", is_flag=True, help="List what would be destroyed; change nothing.")
@click.option("--as-of", "as_of", help="With --dry-run only: the date (YYYY-MM-DD, UTC midnight) or time to judge.")
@per_transaction("--batch-size", most=10_000, default=sweeper.BATCH_SIZE, help="Records destroyed per transaction.")
def retention_sweep(dry_run: bool, as_of: str | None, batch_size: int) -> None:
    """Destroy every record past its retention deadline, here and in the source lead table."""
    if as_of and not dry_run:
        raise click.UsageError("--as-of is allowed only with --dry-run: real destruction always uses the real time")
    now = _parse_as_of(as_of) if as_of else db.now()
    table = sources.lead_table(current_app.config) if not dry_run else None
    if not dry_run and table is None:
        click.echo("warning: AZURE_TABLES_CONNECTION_STRING is not set; source rows stay queued for deletion", err=True)

    try:
        report = _sweep(now=now, table=table, dry_run=dry_run, batch_size=batch_size)
    finally:
        if table is not None:
            table.close()
    _print_report(report)


def _sweep(*, now: datetime, table: sources.LeadTable | None, dry_run: bool, batch_size: int) -> sweeper.Report:
    """One sweep as the command runs it: Ctrl-C or SIGTERM lets the batch in hand finish first; progress to stderr."""
    with worker.stopping_on_signals():
        return sweeper.sweep(
            session=db.session(),
            now=now,
            source=table,
            holder=runs.holder(),
            tombstone_key=current_app.config["TOMBSTONE_KEY"],
            dry_run=dry_run,
            batch_size=batch_size,
            progress=_progress,
            clock=db.now,
            should_stop=worker.STOP.is_set,
            export_cache=Path(current_app.config["EXPORT_CACHE"]),
        )


def _progress(report: sweeper.Report) -> None:
    click.echo(f"  destroyed so far: {dict(report.destroyed)}", err=True)


def _parse_as_of(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD) or ISO date-time") from error
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _print_report(report: sweeper.Report) -> None:
    if not report.ran:
        click.echo("Another sweeper is running; nothing done.")
        return
    if report.dry_run:
        click.echo(f"Dry run as of {report.as_of.isoformat()}: would destroy")
        for due in report.due:
            state = "ON HOLD, kept" if due.held else "destroy"
            click.echo(f"  {due.record_type} #{due.record_id}  deadline {due.deadline.isoformat()}  {state}")
        click.echo(f"  and null {report.ip_fields} IP address fields")
        return
    click.echo(
        f"Sweep done: destroyed {dict(report.destroyed) or 'nothing'}; kept on hold {dict(report.held) or 'none'}; "
        f"IP fields nulled {report.ip_fields}; source rows deleted {report.source_deleted}, "
        f"still queued {report.source_pending}."
    )
    if report.most_late is not None:
        click.echo(f"  {report.late} destroyed more than {LATE_AFTER} late; the latest by {report.most_late}.")
    if report.stopped:
        click.echo("  Stopped when asked, after a whole batch; the next sweep does the rest.")
    for error in report.source_errors:
        click.echo(f"  source deletion failed (will retry): {error}", err=True)


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Run the due jobs once and exit.")
@per_transaction(
    "--sweep-batch-size",
    most=10_000,
    default=sweeper.BATCH_SIZE,
    help="Records the sweeper destroys per transaction (a stop waits for at most one).",
)
def worker_command(once: bool, sweep_batch_size: int) -> None:
    """Run the lead sync (every 5 minutes) and the retention sweeper (hourly) until SIGTERM or Ctrl-C, which
    finish the batch in hand, commit, release the job's lock and exit."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    app.config["SWEEP_BATCH_SIZE"] = sweep_batch_size
    with worker.stopping_on_signals():
        worker.loop(app, sleep=worker.STOP.wait, iterations=1 if once else None)
    if worker.STOP.is_set():
        click.echo("Worker stopped cleanly.", err=True)


@click.group("jobs", cls=AppGroup)
def jobs_cli() -> None:
    """The scheduled jobs (sync, sweep): how they stand."""


@jobs_cli.command("status")
def jobs_status() -> None:
    """Each job's last run, its lock, its next run; the queues; records destroyed late."""
    report = jobstatus.overview(session=db.session(), now=db.now())
    click.echo(f"As of {_when(report.as_of)}")
    for job in report.jobs:
        click.echo(f"{job.name}: {job.state}{'  LATE: not run for over twice its interval' if job.late else ''}")
        for line in _job_lines(job):
            click.echo(f"  {line}")
    for queue in report.queues:
        oldest = f", oldest queued {_when(queue.oldest)}, up to {queue.most_attempts} attempts" if queue.count else ""
        click.echo(f"queue {queue.label}: {queue.count}{oldest}")
    for late in report.late_destructions:
        swept = _when(late.swept_at)
        click.echo(f"late destruction: sweep of {swept} destroyed {late.records} late, by up to {late.most_late}")


def _job_lines(job: jobstatus.JobStatus) -> list[str]:
    lines = [f"every {job.every}"]
    if job.last is not None:
        last = job.last
        end = _when(last.finished_at) if last.finished_at else "no end recorded"
        error = f", error {last.error_class}" if last.error_class else ""
        lines.append(f"last run: {last.outcome} by {last.holder}, started {_when(last.started_at)}, ended {end}{error}")
        lines.append(f"counts: {json.dumps(job.counts, sort_keys=True)}")
    pid = f" (server pid {job.lock_pid})" if job.lock_pid else ""
    lines.append(f"lock: held by a live process{pid}" if job.lock_held else "lock: free")
    lines.append("next run: " + (_when(job.next_run) if job.next_run else "at the worker's next check"))
    return lines


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"
