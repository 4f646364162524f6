"""Job locks that the database or the kernel releases when the holding process dies.

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) held on a connection of the job's own;
the server drops it when that connection closes, and a killed process's connection closes with it.
SQLite: `flock` on a file beside the database (`<db>.<job>.lock`); the kernel drops it when the process's
last descriptor of that file closes, which death does. `flock`, not POSIX `fcntl` record locks: those
belong to the process, so a second descriptor in the same process would see the lock as free and, closed,
would silently release it.

Nothing here expires: a live holder keeps its lock however long it runs, a dead one never keeps it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

# A status probe (`is_held`) holds a shared flock for microseconds; a few quick retries keep a job that
# tries at that instant from taking the probe for a running holder.
FLOCK_TRIES, FLOCK_PAUSE = 3, 0.005
_HELD_BY = text(
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    " AND classid::bigint = :high AND objid::bigint = :low"
)


def advisory_key(name: str) -> int:
    """The job's PostgreSQL advisory lock key: 63 bits of its name's SHA-256 (positive, so it splits
    into pg_locks' classid and objid without sign trouble)."""
    return int.from_bytes(hashlib.sha256(f"radnac-job:{name}".encode()).digest()[:8], "big") >> 1


def lock_file(engine: Engine, name: str) -> Path:
    """The SQLite lock file of job `name`: beside the database file (a temporary directory for :memory:)."""
    database = engine.url.database
    if not database or database == ":memory:":
        return Path(tempfile.gettempdir()) / f"radnac-memory-{os.getpid()}.{name}.lock"
    return Path(f"{database}.{name}.lock")


@dataclass
class JobLock:
    """A held lock; `release()` gives it back (idempotent). `held()` says whether it is still ours."""

    name: str
    connection: Connection | None = None  # PostgreSQL
    fd: int | None = None  # SQLite

    def held(self) -> bool:
        """Still ours? On PostgreSQL, asks the server (a dropped connection loses the lock)."""
        if self.connection is None:
            return self.fd is not None
        try:
            key = advisory_key(self.name)
            mine = text(f"{_HELD_BY.text} AND pid = pg_backend_pid()")
            return self.connection.execute(mine, {"high": key >> 32, "low": key & 0xFFFFFFFF}).first() is not None
        except Exception:  # noqa: BLE001 - any failure: the connection, and so the lock, is gone
            return False

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
        if self.connection is not None:
            connection, self.connection = self.connection, None
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": advisory_key(self.name)})
                connection.close()
            except Exception:  # noqa: BLE001 - never hand a connection that may still hold it back to the pool
                connection.invalidate()


def try_acquire(*, engine: Engine, name: str) -> JobLock | None:
    """Take job `name`'s lock without waiting; None if a live process holds it."""
    if engine.dialect.name == "postgresql":
        return _try_advisory(engine, name)
    return _try_flock(lock_file(engine, name), name)


def _try_advisory(engine: Engine, name: str) -> JobLock | None:
    # AUTOCOMMIT: the lock lives on the session, and an idle-in-transaction connection could be cut off
    # by idle_in_transaction_session_timeout, taking the lock with it.
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": advisory_key(name)}).scalar()
    except BaseException:
        connection.invalidate()
        raise
    if not taken:
        connection.close()
        return None
    return JobLock(name, connection=connection)


def _try_flock(path: Path, name: str) -> JobLock | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)  # not inherited by child processes (PEP 446)
    for attempt in range(FLOCK_TRIES):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if attempt + 1 < FLOCK_TRIES:
                time.sleep(FLOCK_PAUSE)
            continue
        return JobLock(name, fd=fd)
    os.close(fd)
    return None


def holder_pid(*, engine: Engine, name: str) -> int | None:
    """PostgreSQL: the server process id holding job `name`'s lock (None when free). Reads pg_locks only."""
    key = advisory_key(name)
    with engine.connect() as connection:
        return connection.execute(_HELD_BY, {"high": key >> 32, "low": key & 0xFFFFFFFF}).scalar()


def is_held(*, engine: Engine, name: str) -> bool:
    """Whether a live process holds job `name`'s lock. On PostgreSQL it only reads pg_locks; on SQLite it
    tries a shared lock for an instant (`try_acquire` retries briefly, so it never mistakes that for a holder)."""
    if engine.dialect.name == "postgresql":
        return holder_pid(engine=engine, name=name) is not None
    path = lock_file(engine, name)
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    return False
