"""The record of scheduled-job runs (sync, sweep): who ran, when, what it did, how it ended."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from leads.models.base import text_column, utc_column

RUN_OUTCOMES = ("running", "succeeded", "failed", "stopped", "died")


class JobRun(SQLModel, table=True):
    """One run of a job. `running` while it works; `died` once a later holder of the job's lock finds it
    still `running` (so its process was killed: it has no end time); `stopped` when SIGTERM ended it
    between batches. No personal data: counts as JSON, the error's class only."""

    __table_args__ = (Index("ix_jobrun_job_started", "job", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=50)
    holder: str = Field(max_length=100)  # host:pid
    started_at: datetime = utc_column()
    finished_at: datetime | None = utc_column(nullable=True)
    outcome: str = Field(max_length=16)  # RUN_OUTCOMES
    counts: str | None = text_column()  # JSON
    error_class: str | None = Field(default=None, max_length=100)
    late: int = 0  # records destroyed later than their deadline (sweep)
    most_late_seconds: int | None = None  # by how much the latest of them was
