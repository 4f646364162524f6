"""Running a single-runner job: take its lock, record the run, end the record however the run ends.

The lock decides who runs (leads/jobs/locks.py); the `JobRun` rows only tell. Whoever holds the lock
knows that any run of the same job still marked `running` belongs to a process that died (it would
otherwise still hold the lock), and marks it `died`.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from leads.jobs import locks
from leads.models import JobRun


def holder() -> str:
    """This process's name in a job run: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


@dataclass
class Tracked:
    """The run in hand: the job's body fills in how it went; `exclusive` writes it when the body ends."""

    run: JobRun
    lock: locks.JobLock
    outcome: str = "succeeded"
    counts: dict[str, Any] = field(default_factory=dict)
    late: int = 0
    most_late_seconds: int | None = None


@contextmanager
def exclusive(*, session: Session, job: str, holder: str, clock: Callable[[], datetime]) -> Iterator[Tracked | None]:
    """Run the body as the only live runner of `job`, or yield None (and record nothing) if another holds it.

    The run is recorded `running` before the body starts and finished after it: with the body's outcome, or
    `failed` and the error's class if it raised (the error is re-raised). The lock is released last, always.
    """
    lock = locks.try_acquire(engine=session.get_bind(), name=job)  # type: ignore[arg-type]
    if lock is None:
        yield None
        return
    try:
        tracked = Tracked(_start(session, job, holder, clock()), lock)
        try:
            yield tracked
        except BaseException as error:
            session.rollback()
            tracked.outcome, tracked.run.error_class = "failed", type(error).__name__[:100]
            _finish(session, tracked, clock())
            raise
        _finish(session, tracked, clock())
    finally:
        lock.release()


def _start(session: Session, job: str, holder: str, now: datetime) -> JobRun:
    dead = update(JobRun).where(col(JobRun.job) == job, col(JobRun.outcome) == "running").values(outcome="died")
    session.exec(dead)  # type: ignore[call-overload]
    run = JobRun(job=job, holder=holder, started_at=now, outcome="running")
    session.add(run)
    session.commit()
    return run


def _finish(session: Session, tracked: Tracked, now: datetime) -> None:
    run = tracked.run
    run.finished_at, run.outcome = now, tracked.outcome
    run.counts = json.dumps(tracked.counts, sort_keys=True, default=str)
    run.late, run.most_late_seconds = tracked.late, tracked.most_late_seconds
    session.add(run)
    session.commit()


def latest(*, session: Session) -> dict[str, JobRun]:
    """Each job's most recent run, by job name."""
    newest = select(JobRun.job, func.max(JobRun.id).label("id")).group_by(JobRun.job).subquery()
    query = select(JobRun).join(newest, col(JobRun.id) == newest.c.id)
    return {run.job: run for run in session.exec(query)}


def last_started(*, session: Session) -> dict[str, datetime]:
    """When each job last started (one indexed aggregate: cheap enough for /healthz)."""
    query = select(JobRun.job, func.max(JobRun.started_at)).group_by(JobRun.job)
    return {job: started for job, started in session.exec(query) if started is not None}


def recent(*, session: Session, job: str, limit: int = 10) -> list[JobRun]:
    """A job's latest runs, newest first."""
    query = select(JobRun).where(col(JobRun.job) == job).order_by(col(JobRun.id).desc()).limit(limit)
    return list(session.exec(query))
