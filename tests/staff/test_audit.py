"""The audit trail is append-only: the database refuses UPDATE, DELETE (and TRUNCATE), and no code tries."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DatabaseError
from sqlmodel import select

from leads.models import AuditEvent
from leads.staff import audit

LEADS = Path(__file__).resolve().parents[2] / "leads"
REFUSED = re.compile(r"append-only")


@pytest.fixture
def recorded(session, clock):
    event = audit.record(session=session, at=clock.now, actor="system:test", action="test.event", details={"n": 1})
    session.commit()
    return event.id


def assert_untouched(session, event_id):
    session.rollback()
    stored = session.exec(select(AuditEvent)).all()
    assert [(e.id, e.action, e.details) for e in stored] == [(event_id, "test.event", '{"n": 1}')]


def test_new_events_can_still_be_recorded(session, clock, recorded):
    audit.record(session=session, at=clock.now, actor="system:test", action="test.other")
    session.commit()
    assert len(session.exec(select(AuditEvent)).all()) == 2


@pytest.mark.parametrize(
    "statement",
    [
        update(AuditEvent).values(action="rewritten"),
        delete(AuditEvent).where(AuditEvent.action == "test.event"),
        text("UPDATE auditevent SET actor = 'someone else'"),
        text("DELETE FROM auditevent"),  # on SQLite the truncate shortcut, which triggers disable
    ],
    ids=["orm update", "orm delete", "sql update", "sql delete all"],
)
def test_the_database_refuses_to_change_or_remove_an_event(session, recorded, statement):
    with pytest.raises(DatabaseError, match=REFUSED):
        session.exec(statement)
        session.commit()
    assert_untouched(session, recorded)


def test_the_orm_cannot_delete_or_edit_a_loaded_event(session, recorded):
    event = session.get(AuditEvent, recorded)
    session.delete(event)
    with pytest.raises(DatabaseError, match=REFUSED):
        session.commit()
    assert_untouched(session, recorded)
    event = session.get(AuditEvent, recorded)
    event.details = '{"n": 2}'
    with pytest.raises(DatabaseError, match=REFUSED):
        session.commit()
    assert_untouched(session, recorded)


def test_postgresql_refuses_truncate(session, recorded):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; its DELETE FROM is refused above")
    with pytest.raises(DatabaseError, match=REFUSED):
        session.exec(text("TRUNCATE auditevent"))
        session.commit()
    assert_untouched(session, recorded)


# --- No code path in the app even tries ---------------------------------------------------------------

FORBIDDEN_TEXT = [
    re.compile(r"\b(?:delete|update)\(\s*AuditEvent\b"),  # SQLAlchemy delete(AuditEvent) / update(AuditEvent)
    re.compile(r"AuditEvent\.__table__\.(?:delete|update)\("),
    re.compile(r"(?i)\b(?:update|delete\s+from|truncate(?:\s+table)?)\s+\"?auditevent\b"),  # raw SQL
    re.compile(r"(?i)\bdrop\s+trigger\b.*auditevent"),
]


def _deletes_an_audit_event(node: ast.AST) -> bool:
    """`<session>.delete(x)` where x is named like an audit event, or a query on AuditEvent ending .delete()."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    if node.func.attr == "delete" and node.args:
        return "audit" in ast.unparse(node.args[0]).lower()
    if node.func.attr in ("delete", "update") and not node.args:
        return "AuditEvent" in ast.unparse(node.func.value)
    return False


def offences(source: str) -> list[str]:
    """The lines of `source` that would update or delete an audit event."""
    found = [match.group(0) for pattern in FORBIDDEN_TEXT for match in pattern.finditer(source)]
    found += [ast.unparse(node) for node in ast.walk(ast.parse(source)) if _deletes_an_audit_event(node)]
    return found


@pytest.mark.parametrize(
    "snippet",
    [
        "session.exec(delete(AuditEvent).where(AuditEvent.id == 1))",
        "session.exec(update( AuditEvent ).values(actor='x'))",
        "session.delete(audit_event)",
        "session.delete(self.audit)",
        "session.query(AuditEvent).filter_by(id=1).delete()",
        "connection.execute(AuditEvent.__table__.delete())",
        "connection.execute(text('DELETE FROM auditevent WHERE id = 1'))",
        "connection.execute(text('truncate table auditevent'))",
    ],
)
def test_the_scan_recognises_each_way_of_erasing_history(snippet):
    assert offences(snippet)


@pytest.mark.parametrize("module", sorted(LEADS.rglob("*.py")), ids=lambda p: p.name)
def test_no_app_code_updates_or_deletes_audit_events(module):
    assert offences(module.read_text()) == []


def test_audit_then_commit_keeps_the_event_with_the_change_it_proves(session, clock):
    event = audit.commit(session=session, at=clock.now, actor="system:test", action="test.commit", on=("lead", 7))
    session.rollback()  # nothing left to roll back: the event was committed
    stored = session.exec(select(AuditEvent).where(AuditEvent.action == "test.commit")).one()
    assert (
        stored.id == event.id
        and stored.record_type == "lead"
        and stored.record_id == "7"
        and stored.actor == "system:test"
    )
