"""Leases: at most one holder of a named job at a time, on SQLite and PostgreSQL alike.

A lease is a row whose holder and expiry change only through a conditional UPDATE, so of two workers
racing for it exactly one sees its update take effect. An expired lease (a crashed holder) is free.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from leads.models import JobLease

_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def acquire(*, session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease `name` for `holder` until now + ttl; False if someone else holds it. Commits."""
    _ensure_row(session, name)
    statement = (
        update(JobLease)
        .where(col(JobLease.name) == name, or_(col(JobLease.expires_at) <= now, col(JobLease.holder) == holder))
        .values(holder=holder, expires_at=now + ttl)
    )
    taken = session.exec(statement).rowcount == 1  # type: ignore[call-overload]
    session.commit()
    return taken


def release(*, session: Session, name: str, holder: str) -> None:
    """Give the lease back (only if `holder` still has it). Commits."""
    statement = (
        update(JobLease)
        .where(col(JobLease.name) == name, col(JobLease.holder) == holder)
        .values(holder="", expires_at=_NEVER)
    )
    session.exec(statement)  # type: ignore[call-overload]
    session.commit()


def _ensure_row(session: Session, name: str) -> None:
    if session.get(JobLease, name) is not None:
        return
    session.add(JobLease(name=name, holder="", expires_at=_NEVER))
    try:
        session.commit()
    except IntegrityError:  # another worker created it first: fine
        session.rollback()


def holder() -> str:
    """This process's name in a job lease: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"
