"""Databases for the benchmarks: the generated one for each backend, and throwaway copies of it.

SQLite copies are files under a run's scratch directory; PostgreSQL copies are `CREATE DATABASE ... TEMPLATE`
on the server BENCH_DATABASE_URL names, each called radnac_bench_<run>_<name> and dropped at the end.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from bench.generator import Plan
from bench.load import CACHE, cached_facts, cached_sqlite, conninfo, load, migrate


@dataclass
class Backend:
    """One database server (or SQLite), its generated database, and the copies made from it."""

    kind: str  # "sqlite" or "postgresql"
    scratch: Path
    server: str = ""  # BENCH_DATABASE_URL, for PostgreSQL
    cache: Path = CACHE  # where generated SQLite databases are kept
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    made: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.scratch.mkdir(parents=True, exist_ok=True)

    def generated(self, plan: Plan, log: Callable[[str], None] = print) -> dict[str, Any]:
        """The generated database: {"url", "seconds" (to load), "rows" (per table), "cached"}. SQLite's is the
        cached file itself: copy it before writing."""
        if self.kind == "sqlite":
            path, seconds = cached_sqlite(plan, self.cache, log)
            facts = cached_facts(path)
            return {
                "url": f"sqlite:///{path}",
                "seconds": facts.get("seconds"),
                "rows": facts.get("rows", {}),
                "cached": seconds is None,
            }
        url = self.create(f"data_{plan.leads}")
        started = time.perf_counter()
        rows = load(url, plan)
        seconds = time.perf_counter() - started
        log(f"loaded PostgreSQL with {plan.leads:,} leads in {seconds:.0f} s")
        return {"url": url, "seconds": seconds, "rows": rows, "cached": False}

    def copy(self, source: str, name: str) -> str:
        """A private copy of the database at `source`."""
        if self.kind == "sqlite":
            target = self.scratch / f"{name}.db"
            shutil.copyfile(make_url(source).database or "", target)
            return f"sqlite:///{target}"
        return self.create(name, template=make_url(source).database)

    def empty(self, name: str) -> str:
        """A new, migrated, empty database."""
        url = f"sqlite:///{self.scratch / f'{name}.db'}" if self.kind == "sqlite" else self.create(name)
        migrate(url)
        return url

    def create(self, name: str, template: str | None = None) -> str:
        """CREATE DATABASE radnac_bench_<run>_<name> on the PostgreSQL server."""
        database = f"radnac_bench_{self.run}_{name}"
        with psycopg.connect(conninfo(self.server), autocommit=True) as admin:
            suffix = f' TEMPLATE "{template}"' if template else ""
            admin.execute(f'CREATE DATABASE "{database}"{suffix}')
        self.made.append(database)
        return make_url(conninfo(self.server)).set(database=database).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        """Remove one copy."""
        if self.kind == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{make_url(url).database}{suffix}").unlink(missing_ok=True)
            return
        database = make_url(url).database
        with psycopg.connect(conninfo(self.server), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        self.made.remove(database)  # type: ignore[arg-type]

    def close(self) -> None:
        """Drop every database this run made (PostgreSQL) or its scratch files (SQLite)."""
        if self.kind == "sqlite":
            shutil.rmtree(self.scratch, ignore_errors=True)
            return
        with psycopg.connect(conninfo(self.server), autocommit=True) as admin:
            for database in self.made:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        self.made.clear()
