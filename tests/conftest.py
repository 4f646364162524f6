"""Shared fixtures. Database tests run on SQLite always and on PostgreSQL when TEST_DATABASE_URL is set.

Each pytest run gets its own PostgreSQL database (created, migrated, dropped), so runs never collide;
each test starts from an empty, fully migrated schema on either backend, or from the demo data when it asks for
`demo_data`. Expensive set-up is done once per run and copied: the migrated schema and the demo data (a SQLite
file copied per test; on PostgreSQL the run's database emptied and the demo rows copied back in). Helpers that
tests share are in tests/factories.py, never in a test module.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel

from leads import create_app, db, demo
from leads.cli import alembic_config
from leads.models import User
from leads.staff.users import create_user
from tests import clock_shift
from tests.factories import AZURITE_KEY, PASSWORD, PINNED_NOW, AuthActions, Clock, Inbox, app_config, free_port

pytest_plugins = ["tests.browser", "tests.oidc"]
DEMO_DATA = "demo_data"  # the fixture that makes a test's database start with the demo data


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per run; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    command.upgrade(alembic_config(f"sqlite:///{path}"), "head")
    assert not Path(f"{path}-wal").exists(), "template must be checkpointed before copying"
    return path


@pytest.fixture(scope="session")
def sqlite_demo_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrated template with the demo data loaded (at PINNED_NOW), once per run; demo tests get a copy."""
    path = tmp_path_factory.mktemp("demo-template") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    engine = db.make_engine(f"sqlite:///{path}")
    _load_demo(engine)
    engine.dispose()
    assert not Path(f"{path}-wal").exists(), "template must be checkpointed before copying"
    return path


def _load_demo(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        assert demo.load(session=session, now=PINNED_NOW) == (demo.LEAD_COUNT, demo.INSTALL_COUNT)


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """This test's own SQLite file: a copy of the migrated template, or of the demo one if it asks for
    `demo_data`."""
    template = "sqlite_demo_template" if DEMO_DATA in request.fixturenames else "sqlite_template"
    path = tmp_path / "test.db"
    shutil.copyfile(request.getfixturevalue(template), path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, migrated to head; dropped at the end."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set: the PostgreSQL variant is skipped (CI sets it)")
    name = f"radnac_test_{uuid.uuid4().hex[:12]}"
    admin = db.make_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:  # set but unreachable: a failure, never a skip
        pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL is unreachable: {error}")
    url = make_url(db.normalise_url(base)).set(database=name).render_as_string(hide_password=False)
    command.upgrade(alembic_config(url), "head")
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# Every sequence of the schema back to its start, as TRUNCATE ... RESTART IDENTITY leaves the tables' own.
RESTART_SEQUENCES = (
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)"
    " FROM pg_sequences WHERE schemaname = current_schema()"
)


@dataclass(frozen=True)
class PostgresRows:
    """Every table's rows (COPY's binary format) and every used sequence's last value: a database's content."""

    tables: dict[str, bytes]
    sequences: dict[str, int]


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str) -> Iterator[Engine]:
    """One engine on the run's database for emptying and refilling it between tests."""
    engine = db.make_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_demo(postgres_engine: Engine) -> PostgresRows:
    """The demo data loaded once into the run's database and read back out, for each demo test to copy in."""
    _refill(postgres_engine, None)
    _load_demo(postgres_engine)
    with postgres_engine.connect() as connection, connection.connection.driver_connection.cursor() as cursor:
        tables = {}
        for table in SQLModel.metadata.sorted_tables:
            with cursor.copy(f'COPY "{table.name}" TO STDOUT (FORMAT binary)') as copy:
                tables[table.name] = b"".join(bytes(chunk) for chunk in copy)
        cursor.execute(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value FROM pg_sequences"
            " WHERE schemaname = current_schema() AND last_value IS NOT NULL"
        )
        sequences = dict(cursor.fetchall())
    return PostgresRows(tables, sequences)


def _refill(engine: Engine, rows: PostgresRows | None) -> None:
    """Empty every table and restart its ids, then copy `rows` in (sequences where they were), in one
    transaction.

    DELETE, not TRUNCATE ... RESTART IDENTITY: TRUNCATE gives each of the ~35 tables a new file, ~0.45 s a test
    on this machine, where deleting a test's few rows and restarting the sequences takes ~30 ms."""
    with engine.begin() as connection:
        # The audit trail refuses DELETE (migration 0006); triggers do not fire in replica mode, which only a
        # superuser (the test role) may set, so tests clean up while the guard stays whole. Nor do the
        # foreign-key triggers, so neither the order of the deletes nor the copied rows need checking.
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())
        connection.execute(text(RESTART_SEQUENCES))
        if rows is not None:
            with connection.connection.driver_connection.cursor() as cursor:
                for name, data in rows.tables.items():
                    with cursor.copy(f'COPY "{name}" FROM STDIN (FORMAT binary)') as copy:
                        copy.write(data)
                for sequence, value in rows.sequences.items():
                    cursor.execute("SELECT setval(%s::regclass, %s)", (sequence, value))
        _new_viewer_version(connection)


def _new_viewer_version(connection: Connection) -> None:
    """A fresh random viewer version, as migration 0031 seeds one: the refill wrote the staff, lists and saved
    views with triggers off, so the stamp must move by hand (a cached menu from an earlier test on this URL can
    never match), and a row must exist for the app to cache anything."""
    connection.execute(text("DELETE FROM viewerversion"))
    connection.execute(
        text("INSERT INTO viewerversion (id, stamp) VALUES (1, :stamp)"), {"stamp": secrets.randbelow(2**62)}
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated database on each backend: empty, or holding the demo data if the test asks for `demo_data`."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    url = request.getfixturevalue("postgres_url")
    demo_rows = request.getfixturevalue("postgres_demo") if DEMO_DATA in request.fixturenames else None
    _refill(request.getfixturevalue("postgres_engine"), demo_rows)
    return url


@pytest.fixture
def demo_data(database_url: str) -> None:
    """The demo data (`leads.demo`, loaded at PINNED_NOW) is in this test's database before it starts: a copy
    of one load per run and backend (see `database_url`), exactly what loading it here would leave."""


@pytest.fixture
def clock() -> Clock:
    """The app's clock, pinned to PINNED_NOW; set `clock.now` to move it."""
    return Clock(PINNED_NOW)


@pytest.fixture
def app(database_url: str, clock: Clock, tmp_path: Path) -> Iterator[Flask]:
    """The app in testing mode on the parametrised database, CSRF off (one test turns it on)."""
    app = create_app(app_config(database_url, clock, str(tmp_path / "export-cache")))
    yield app
    app.extensions["radnac.engine"].dispose()


@pytest.fixture
def _push_request_context() -> None:
    """Override pytest-flask's autouse request context: each test-client request must get its own app
    context (and so its own database session and login state), exactly as in production."""


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A database session on the test's database, outside any request."""
    with Session(app.extensions["radnac.engine"], expire_on_commit=False) as db_session:
        yield db_session


@pytest.fixture
def make_user(app: Flask, session: Session, clock: Clock):
    """Factory: make_user(role, email=None) -> User with password PASSWORD (hashed as the testing config says:
    one round of PBKDF2, not scrypt; see leads/config.py)."""

    def factory(role: str, email: str | None = None) -> User:
        return create_user(
            session=session,
            email=email or f"{role}-{uuid.uuid4().hex[:6]}@radnac.example",
            password=PASSWORD,
            role=role,
            now=clock.now,
            actor="system:test",
            hash_method=app.config["PASSWORD_HASH_METHOD"],
        )

    return factory


@pytest.fixture
def smtp_server() -> Iterator[Inbox]:
    """A real SMTP server (aiosmtpd) on a loopback port for this test; its `Inbox` holds what it received, and
    `inbox.url` is the MAIL_URL that reaches it."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{controller.port}"
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def auth(client, make_user) -> AuthActions:
    """`auth.login(role)` creates a user of that role and logs the client in."""
    return AuthActions(client, make_user)


# --- Azurite: the real Azure Table emulator (npm `azurite`, pinned in package.json) -----------------

AZURITE_BIN = Path(__file__).resolve().parent.parent / "node_modules" / ".bin" / "azurite-table"


@pytest.fixture(scope="session")
def azurite() -> Iterator[str]:
    """Azurite's table service on a free loopback port, in memory; yields its connection string."""
    if not AZURITE_BIN.exists():
        pytest.fail("Azurite is not installed: run `npm ci` (make test does)")
    port = free_port()
    process = clock_shift.start(
        clock_shift.node_command(
            [
                str(AZURITE_BIN),
                "--tableHost",
                "127.0.0.1",
                "--tablePort",
                str(port),
                "--inMemoryPersistence",
                "--skipApiVersionCheck",
                "--disableTelemetry",
                "--silent",
            ]
        ),
        env=clock_shift.node_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            break
        time.sleep(0.1)
    else:
        clock_shift.stop(process)
        pytest.fail("Azurite did not start within 30 seconds")
    yield (
        f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};"
        f"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
    )
    clock_shift.stop(process)


@pytest.fixture
def lead_table(azurite: str) -> Iterator[tuple[str, str]]:
    """A fresh, empty lead table in Azurite: (connection string, table name)."""
    from azure.data.tables import TableServiceClient

    name = f"Leads{uuid.uuid4().hex[:12]}"
    service = TableServiceClient.from_connection_string(azurite)
    service.create_table(name)
    yield azurite, name
    service.delete_table(name)
