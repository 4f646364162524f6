"""The database engine and sessions: SQLite (WAL, busy timeout, foreign keys) or PostgreSQL (psycopg 3).

Views and CLI commands get a `Session` from `session()`; the service functions they call own the
transaction (they commit), so nothing here commits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import DateTime, create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 5000
_EXT_KEY = "radnac.engine"


class UTCDateTime(TypeDecorator):
    """An aware-UTC timestamp everywhere: refuses naive input, and re-attaches UTC on read.

    SQLite keeps no zone, so values are stored as naive UTC there; PostgreSQL stores timestamptz.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must be aware (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def normalise_url(url: str) -> str:
    """Map plain `postgresql://`/`postgres://` URLs to the psycopg 3 driver."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite connections get WAL, a busy timeout and enforced foreign keys; PostgreSQL
    statements are never prepared on the server."""
    url = normalise_url(url)
    # Errors and logs never carry the statement's values: they are personal data.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # psycopg prepares a statement on the server after its fifth run on a connection, and PostgreSQL may then
    # plan it once for every value: a filter on a rare value was planned as if common (96-150 ms against 16 at a
    # million leads, bench/NOTES.md). Never prepared, each statement is planned for its own values.
    return create_engine(url, pool_pre_ping=True, connect_args={"prepare_threshold": None}, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (the web pages) run while a writer (sync, sweeper) holds the lock.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app: Flask) -> None:
    """Create the app's engine (`close_session` ends each app context: see `leads.web.pipeline`)."""
    app.extensions[_EXT_KEY] = make_engine(app.config["DATABASE_URL"])


def engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions[_EXT_KEY]


def session() -> Session:
    """The session of the current app context (one per request or CLI command)."""
    if "db_session" not in g:
        g.db_session = Session(engine(), expire_on_commit=False)
    return g.db_session


def close_session(_exc: BaseException | None) -> None:
    """Close the app context's session, if it opened one."""
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


def now() -> datetime:
    """The app's clock (config CLOCK): aware UTC. Tests pin it."""
    value = current_app.config["CLOCK"]()
    if value.tzinfo is None:
        raise ValueError("CLOCK returned a naive datetime")
    return value.astimezone(UTC)


def ping() -> bool:
    """Whether the database answers a trivial query."""
    try:
        with engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
    return True
