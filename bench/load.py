"""Loading generated data by the fastest path each database offers, and copying databases for jobs that destroy.

SQLite: one transaction of `executemany` with journal and sync off, secondary indexes dropped during the load
and rebuilt after (a sort per index instead of a million random B-tree inserts). PostgreSQL: `COPY` through
psycopg 3 with foreign-key triggers off (the data is consistent by construction), indexes rebuilt after,
sequences moved past the loaded ids, then VACUUM ANALYZE (what autovacuum would soon do anyway).
Either way the schema is created by the app's own Alembic migrations first.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import psycopg
from alembic import command
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from bench.generator import Plan, Table, tables
from leads import db
from leads.cli import MIGRATIONS_DIR, alembic_config

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / "data"  # generated SQLite databases, by size (BENCH_DATA moves it)
CHUNK = 20_000


def migrate(url: str) -> None:
    """Create the schema with the app's migrations (what `flask --app app db upgrade` runs)."""
    command.upgrade(alembic_config(url), "head")


def schema(url: str) -> dict[str, dict[str, str]]:
    """{table: {column: SQL type}} of the database at `url`."""
    engine = create_engine(db.normalise_url(url))
    try:
        found = inspect(engine)
        return {t: {c["name"]: str(c["type"]) for c in found.get_columns(t)} for t in found.get_table_names()}
    finally:
        engine.dispose()


def _chunks(rows: Iterable[tuple], size: int = CHUNK) -> Iterator[list[tuple]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _insert_sql(table: Table, mark: str) -> str:
    columns = ", ".join(f'"{c}"' for c in table.columns)
    return f'INSERT INTO "{table.name}" ({columns}) VALUES ({", ".join(mark for _ in table.columns)})'


def load(url: str, plan: Plan) -> dict[str, int]:
    """Migrate the empty database at `url` and fill it; returns rows per table."""
    migrate(url)
    found = schema(url)
    if url.startswith("sqlite"):
        return _load_sqlite(Path(make_url(url).database or ""), tables(plan, found))
    return _load_postgres(url, tables(plan, found))


def _load_sqlite(path: Path, data: Iterable[Table]) -> dict[str, int]:
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1000000", "temp_store=MEMORY"):
        connection.execute(f"PRAGMA {pragma}")
    indexes = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    ).fetchall()
    for name, _sql in indexes:
        connection.execute(f'DROP INDEX "{name}"')
    counts: dict[str, int] = {}
    connection.execute("BEGIN")
    for table in data:
        statement = _insert_sql(table, "?")
        for chunk in _chunks(table.rows):
            connection.executemany(statement, chunk)
            counts[table.name] = counts.get(table.name, 0) + len(chunk)
    connection.execute("COMMIT")
    for _name, sql in indexes:
        connection.execute(sql)
    connection.execute("PRAGMA journal_mode=WAL")  # what the app sets; leaves no -wal file once closed
    connection.close()
    return counts


def conninfo(url: str) -> str:
    """A libpq URL (no SQLAlchemy driver suffix) for psycopg."""
    return make_url(db.normalise_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)


def _load_postgres(url: str, data: Iterable[Table]) -> dict[str, int]:
    counts: dict[str, int] = {}
    with psycopg.connect(conninfo(url)) as connection:
        for setting in ("TIME ZONE 'UTC'", "synchronous_commit = off", "session_replication_role = replica"):
            connection.execute(f"SET {setting}")
        connection.execute("SET maintenance_work_mem = '1GB'")
        indexes = connection.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        ).fetchall()
        for name, _sql in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        for table in data:
            columns = ", ".join(f'"{c}"' for c in table.columns)
            with connection.cursor().copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                for row in table.rows:
                    copy.write_row(row)
                    counts[table.name] = counts.get(table.name, 0) + 1
        for _name, sql in indexes:
            connection.execute(sql)
        _move_sequences(connection)
    with psycopg.connect(conninfo(url), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    return counts


def _move_sequences(connection: psycopg.Connection) -> None:
    rows = connection.execute(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND column_name = 'id' AND column_default LIKE 'nextval%'"
    ).fetchall()
    for (table,) in rows:
        connection.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'(SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"), false)'
        )


def fingerprint() -> str:
    """Changes whenever the generator or the migrations change, so a stale cached database is never reused."""
    sources = sorted([*(ROOT / "bench" / "generator").glob("*.py"), *(MIGRATIONS_DIR / "versions").glob("*.py")])
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.name.encode() + source.read_bytes())
    return digest.hexdigest()[:12]


def cached_sqlite(plan: Plan, cache: Path = CACHE, log: Callable[[str], None] = print) -> tuple[Path, float | None]:
    """The generated SQLite database for `plan`, from `cache` or built now; (path, load seconds or None)."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"leads-{plan.leads}-seed{plan.seed}-{fingerprint()}.db"
    if path.exists():
        return path, None
    building = path.with_suffix(f".{uuid.uuid4().hex[:6]}.tmp")
    started = time.perf_counter()
    counts = load(f"sqlite:///{building}", plan)
    seconds = time.perf_counter() - started
    path.with_suffix(".json").write_text(json.dumps({"seconds": seconds, "rows": counts}))
    building.rename(path)
    log(f"generated {path.name} in {seconds:.0f} s: {counts}")
    return path, seconds


def cached_facts(path: Path) -> dict:
    """How the cached database at `path` was made: {"seconds": ..., "rows": {table: count}}."""
    facts = path.with_suffix(".json")
    return json.loads(facts.read_text()) if facts.exists() else {}


def copy_sqlite(source: Path, target: Path) -> str:
    """A private copy of a SQLite database; returns its URL."""
    shutil.copyfile(source, target)
    return f"sqlite:///{target}"
