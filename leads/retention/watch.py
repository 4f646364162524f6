"""What the sweeper leaves for people to watch: records destroyed later than their deadline, and the queue
of source-table deletions still to send. Read by the jobs page and the dashboard's "needs attention"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from leads.jobs.schedule import Queue
from leads.models import JobRun, SourceDeletion
from leads.retention.report import LATE_AFTER
from leads.retention.sweeper import JOB_NAME

LATE_SHOWN_FOR = timedelta(days=30)  # a late destruction needs attention for a month after the sweep


@dataclass(frozen=True)
class LateDestruction:
    """One sweep that destroyed records more than LATE_AFTER past their deadline (after downtime, say)."""

    swept_at: datetime
    records: int
    most_late: timedelta  # how late the latest of them was


def late_destructions(*, session: Session, now: datetime) -> list[LateDestruction]:
    """Sweeps in the last LATE_SHOWN_FOR that destroyed anything late, newest first, with by how much."""
    query = (
        select(JobRun)
        .where(col(JobRun.job) == JOB_NAME, col(JobRun.late) > 0, col(JobRun.started_at) >= now - LATE_SHOWN_FOR)
        .order_by(col(JobRun.started_at).desc())
    )
    return [
        LateDestruction(run.started_at, run.late, timedelta(seconds=run.most_late_seconds or 0))
        for run in session.exec(query)
    ]


def source_deletions(*, session: Session) -> Queue:
    """Destroyed leads' rows still to delete from the source Azure Table (sent by the sweeper, retried)."""
    count, oldest, attempts = session.exec(
        select(func.count(), func.min(SourceDeletion.queued_at), func.max(SourceDeletion.attempts))
    ).one()
    return Queue("source deletions", count, oldest, attempts or 0)


__all__ = ["LATE_AFTER", "LateDestruction", "late_destructions", "source_deletions"]
