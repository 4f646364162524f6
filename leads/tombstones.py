"""Tombstones: what remains of a destroyed record, and the one place that writes them.

A tombstone holds no personal data: kind, opaque id, rule, time, actor and, where a source could send the
record again, a keyed hash of its source identity (HMAC with TOMBSTONE_KEY) so that a re-sync or a
redelivered notification cannot bring it back. Every destroyer (the sweeper, erasure, grant lapse) writes
through `write`, one batch per transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, func, insert, inspect
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from leads.config import ConfigError
from leads.models import KeyFingerprint, Tombstone

KEY_NAME = "TOMBSTONE_KEY"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    """One destroyed record: its keyed source hash (if a source can send it again) and, for install
    notifications, the event time up to which that source's notifications were destroyed."""

    source_key_hash: str | None = None
    covers_until: datetime | None = None


def source_key_hash(key: str, partition_key: str, row_key: str) -> str:
    """HMAC-SHA256 of a lead's source key: stable for sync to match, useless for finding the person."""
    return _hmac(key, f"{partition_key}\x1f{row_key}")


def installation_hash(key: str, application_id: str) -> str:
    """HMAC-SHA256 of a managed application's resource id (case-insensitive, as Azure compares them)."""
    return _hmac(key, "installation\x1f" + application_id.strip().strip("/").lower())


def _hmac(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def write(*, session: Session, kind: str, rule: str, now: datetime, actor: str, entries: Iterable[Entry]) -> int:
    """One tombstone per entry, as one batch, with no ORM object per row (building those would be a large
    part of a big sweep). The caller commits. Returns how many were written."""
    rows = [
        {"kind": kind, "opaque_id": uuid.uuid4().hex, "rule": rule[:200], "destroyed_at": now, "actor": actor}
        | {"source_key_hash": entry.source_key_hash, "covers_until": entry.covers_until}
        for entry in entries
    ]
    if rows:
        session.exec(insert(Tombstone), params=rows)  # type: ignore[call-overload]
    return len(rows)


def tombstoned(*, session: Session, hashes: Iterable[str]) -> set[str]:
    """Which of `hashes` belong to destroyed records."""
    wanted = list(set(hashes))
    if not wanted:
        return set()
    query = select(Tombstone.source_key_hash).where(col(Tombstone.source_key_hash).in_(wanted))
    return {value for value in session.exec(query) if value}


def destroyed_until(*, session: Session, source_key_hash: str) -> datetime | None:
    """The latest event time up to which this source's notifications were destroyed, or None."""
    return session.exec(destroyed_until_query(source_key_hash=source_key_hash)).one()


def destroyed_until_query(*, source_key_hash: str) -> SelectOfScalar[datetime | None]:
    """The query `destroyed_until` runs, for a caller that asks it within a statement of its own."""
    return select(func.max(Tombstone.covers_until)).where(Tombstone.source_key_hash == source_key_hash)


def exist(*, session: Session) -> bool:
    """Whether any tombstone carries a keyed hash (then TOMBSTONE_KEY must never change)."""
    query = select(Tombstone.id).where(col(Tombstone.source_key_hash).is_not(None)).limit(1)
    return session.exec(query).first() is not None


def fingerprint(key: str) -> str:
    """An HMAC of a fixed text under `key`: equal for equal keys, and no help in finding the key."""
    return _hmac(key, "radnac-leads tombstone key fingerprint")


def key_problem(*, session: Session, key: str) -> str | None:
    """Why `key` cannot be trusted to match the stored tombstones, or None (also None before any is stored)."""
    row = session.get(KeyFingerprint, KEY_NAME)
    if row is None or row.fingerprint == fingerprint(key) or not exist(session=session):
        return None
    return (
        f"TOMBSTONE_KEY is not the key the tombstones were made with (recorded {row.recorded_at:%d %b %Y}): with "
        "it, sync and webhooks cannot recognise destroyed records and would bring them back. Restore the "
        "previous TOMBSTONE_KEY (in development and testing it is SECRET_KEY unless set on its own)."
    )


def check_key(*, session: Session, key: str, now: datetime) -> None:
    """Record `key`'s fingerprint, or raise ConfigError if it differs from the recorded one while tombstones
    with keyed hashes exist (a key may change freely before anything was destroyed). Commits."""
    problem = key_problem(session=session, key=key)
    if problem:
        raise ConfigError(problem)
    row = session.get(KeyFingerprint, KEY_NAME)
    if row is None or row.fingerprint != fingerprint(key):
        session.merge(KeyFingerprint(name=KEY_NAME, fingerprint=fingerprint(key), recorded_at=now))
        try:
            session.commit()
        except IntegrityError:  # another process recorded it at the same moment: check against theirs
            session.rollback()
            check_key(session=session, key=key, now=now)


def check_key_at_startup(*, engine: Engine, key: str, now: datetime) -> None:
    """`check_key` when the app starts; skipped before the schema has its table (`flask db upgrade` itself, on
    a SQLite file that does not exist yet too), and, with a warning, while the database is unreachable (the
    dashboard's attention panel checks again)."""
    if _sqlite_file_missing(engine):
        return  # a first run: nothing was destroyed with any key, and the migration creates the file
    try:
        if not inspect(engine).has_table(KeyFingerprint.__tablename__):
            return
        with Session(engine) as session:
            check_key(session=session, key=key, now=now)
    except OperationalError:
        log.warning("database unreachable at start-up: TOMBSTONE_KEY's fingerprint was not checked")


def _sqlite_file_missing(engine: Engine) -> bool:
    """True for a SQLite file database whose file (or folder) does not exist yet."""
    database = engine.url.database
    return (
        engine.url.get_backend_name() == "sqlite"
        and database not in (None, "", ":memory:")
        and not (Path(database).exists())
    )
