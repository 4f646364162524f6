"""The statements a service sends, and what SQLite plans to do with them: for tests that pin a query to its
index or a write to one batch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlmodel import Session


def statements(session: Session, call: Callable[[], Any], *, containing: str) -> list[tuple[str, Any, bool]]:
    """Run `call`; every (statement, parameters, executemany) it sent whose text contains `containing`."""
    sent: list[tuple[str, Any, bool]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        if containing in statement:
            sent.append((statement, parameters, many))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return sent


def plans(session: Session, call: Callable[[], Any], *, containing: str) -> list[str]:
    """Run `call`, then SQLite's EXPLAIN QUERY PLAN (the detail lines, joined) of every statement it sent whose
    text contains `containing`."""
    sent = statements(session, call, containing=containing)
    raw = session.connection().connection.dbapi_connection
    return [" / ".join(row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {s}", p)) for s, p, _many in sent]
