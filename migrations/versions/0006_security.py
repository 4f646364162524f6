"""security: the audit trail is append-only in the database itself

The app only ever inserts audit events (leads/audit.py; tests/test_audit.py greps leads/ to keep it so).
These triggers make the database refuse UPDATE and DELETE of `auditevent` too, whoever asks: a bug, a
mistaken script, a staff member with a SQL console. On PostgreSQL TRUNCATE is refused as well. A superuser
can still drop the triggers: this guards against mistakes and the app's own role, not against the DBA.

Test cleanup TRUNCATEs every table between PostgreSQL tests; it does so with
`SET LOCAL session_replication_role = replica` (superuser only), under which ordinary triggers do not fire,
so the guard stays whole in production (tests/conftest.py, `_truncate_all`).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRESQL_UP = (
    """
    CREATE FUNCTION auditevent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'auditevent is append-only: % refused', TG_OP;
    END;
    $$
    """,
    """
    CREATE TRIGGER auditevent_no_update_or_delete BEFORE UPDATE OR DELETE ON auditevent
    FOR EACH ROW EXECUTE FUNCTION auditevent_append_only()
    """,
    """
    CREATE TRIGGER auditevent_no_truncate BEFORE TRUNCATE ON auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION auditevent_append_only()
    """,
)
POSTGRESQL_DOWN = (
    "DROP TRIGGER IF EXISTS auditevent_no_truncate ON auditevent",
    "DROP TRIGGER IF EXISTS auditevent_no_update_or_delete ON auditevent",
    "DROP FUNCTION IF EXISTS auditevent_append_only()",
)
# SQLite has no TRUNCATE; a bare DELETE FROM auditevent fires the DELETE trigger (triggers disable the
# truncate optimisation).
SQLITE_UP = (
    """
    CREATE TRIGGER auditevent_no_update BEFORE UPDATE ON auditevent
    BEGIN SELECT RAISE(ABORT, 'auditevent is append-only: UPDATE refused'); END
    """,
    """
    CREATE TRIGGER auditevent_no_delete BEFORE DELETE ON auditevent
    BEGIN SELECT RAISE(ABORT, 'auditevent is append-only: DELETE refused'); END
    """,
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS auditevent_no_update",
    "DROP TRIGGER IF EXISTS auditevent_no_delete",
)


def _statements(up: bool) -> tuple[str, ...]:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        return POSTGRESQL_UP if up else POSTGRESQL_DOWN
    if dialect == "sqlite":
        return SQLITE_UP if up else SQLITE_DOWN
    raise NotImplementedError(f"no append-only guard for {dialect}")


def upgrade() -> None:
    for statement in _statements(up=True):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(up=False):
        op.execute(statement)
