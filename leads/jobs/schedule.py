"""How often each job is meant to run (the worker runs them so; /healthz and the status page judge by it),
and the shape of a queue of work waiting for a job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# A job not started for longer than twice its interval is reported late (/healthz, `jobs status`).
EVERY: dict[str, timedelta] = {
    "sync": timedelta(minutes=5),
    "sweep": timedelta(hours=1),  # and at each deadline (the worker wakes for it)
    "grants": timedelta(hours=1),  # and at each grant's lapse (the worker wakes for it)
    "mail": timedelta(minutes=1),  # queued marketing email; skipped while MAIL_URL is unset
}


@dataclass(frozen=True)
class Queue:
    """Work waiting for a job: how much, since when, and the worst retry count so far."""

    label: str
    count: int
    oldest: datetime | None = None
    most_attempts: int = 0
