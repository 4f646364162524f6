"""The lead sync as a job: assembled here once for `leads sync` and the worker alike.

The configured lead table, the sync settings, the `sync` job's lock (one sync at a time: two would read the
same pages twice for nothing) and its run record (leads/jobs/runs.py), then `sync.run`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from leads.ingest import corrections, sources, sync
from leads.jobs import runs
from leads.models import SyncRun

JOB_NAME = "sync"


def run(
    *,
    session: Session,
    config: Mapping[str, Any],
    clock: Callable[[], datetime],
    holder: str,
    page_size: int = sources.PAGE_SIZE,
    progress: Callable[[SyncRun], None] = lambda _run: None,
    should_stop: Callable[[], bool] = lambda: False,
    corrected: Callable[[corrections.Flushed], None] = lambda _flushed: None,
) -> SyncRun | None:
    """One sync of the configured lead table; None if another live sync holds the job's lock.

    Raises `sources.SourceError` when the table is not configured or cannot be read, and re-raises whatever
    else ended the run (recorded as failed, both in `SyncRun` and in the job's run record).
    """
    table = sources.LeadTable(config["AZURE_TABLES_CONNECTION_STRING"], config["LEADS_TABLE_NAME"], page_size=page_size)
    try:
        with runs.exclusive(session=session, job=JOB_NAME, holder=holder, clock=clock) as tracked:
            if tracked is None:
                return None
            return _sync(session, config, clock, table, tracked, progress, should_stop, corrected)
    finally:
        table.close()


def _sync(
    session: Session,
    config: Mapping[str, Any],
    clock: Callable[[], datetime],
    table: sources.LeadTable,
    tracked: runs.Tracked,
    progress: Callable[[SyncRun], None],
    should_stop: Callable[[], bool],
    corrected: Callable[[corrections.Flushed], None],
) -> SyncRun:
    """Under the job's lock: rectifications to the source first (so the sync's re-read confirms them), then the sync."""
    flushed = corrections.flush(session=session, source=table)
    corrected(flushed)
    done = sync.run(
        session=session,
        source=table,
        clock=clock,
        tombstone_key=config["TOMBSTONE_KEY"],
        overlap=timedelta(minutes=config["SYNC_OVERLAP_MINUTES"]),
        progress=progress,
        should_stop=should_stop,
    )
    tracked.outcome = "stopped" if done.status == "stopped" else "succeeded"
    tracked.counts = {**counts(done), "corrections_written": flushed.written, "corrections_queued": flushed.pending}
    return done


def counts(sync_run: SyncRun) -> dict[str, int]:
    """What a sync run did, as numbers."""
    fields = ("pages", "new", "updated", "unchanged", "quarantined", "skipped")
    return {field: getattr(sync_run, field) for field in fields}
