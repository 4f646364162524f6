"""The background jobs, and their raw baselines, each run in a child process of its own.

`python -m bench job NAME ARG...` runs one and prints JSON ({"seconds": ..., ...}) on stdout; `spawn` starts
it through bench.launch, which adds the job's peak memory (`getrusage(RUSAGE_CHILDREN)`). Imports and set-up
count towards memory; only the work is timed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.generator import ANCHOR
from bench.load import ROOT
from bench.site import Bare, bench_app

# Stable across processes (the bench recomputes the hashes) and shaped like a real secret, which production
# settings require (leads.config.secret_weakness).
TOMBSTONE_KEY = hashlib.sha256(b"bench-tombstone-key").hexdigest()
JOBS: dict[str, Callable[..., dict[str, Any]]] = {}


def job(function: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Register a job under its function's name."""
    JOBS[function.__name__] = function
    return function


def spawn(name: str, *args: str, timeout: float = 3600) -> dict[str, Any]:
    """Run job `name` in a process of its own (through bench.launch); its JSON answer plus `peak_mb`."""
    command = [sys.executable, "-m", "bench.launch", name, *args]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True, timeout=timeout, cwd=ROOT)  # noqa: S603
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(name: str, *args: str) -> None:
    """The child's side: run the job, print its JSON."""
    print(json.dumps(JOBS[name](*args)))


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


@job
def sweep_app(url: str) -> dict[str, Any]:
    """The retention sweeper, as the worker runs it (no source table: its deletions stay queued)."""
    from sqlmodel import Session

    from leads.retention import sweeper

    app = bench_app(url, TOMBSTONE_KEY=TOMBSTONE_KEY)
    with Session(app.extensions["radnac.engine"], expire_on_commit=False) as session:
        seconds, report = _timed(
            lambda: sweeper.sweep(session=session, now=ANCHOR, source=None, tombstone_key=TOMBSTONE_KEY, holder="bench")
        )
    return {"seconds": seconds, "destroyed": report.destroyed["lead"], "summary": report.summary()}


@job
def sweep_raw(url: str, cutoff: str) -> dict[str, Any]:
    """The same destruction in bare SQL: 500 leads a transaction, deleted with RETURNING, a tombstone and a
    queued source deletion each (executemany), lifted holds forgotten; one audit summary at the end."""
    bare = Bare(url)
    seconds, destroyed = _timed(lambda: _sweep_raw(bare, cutoff))
    bare.close()
    return {"seconds": seconds, "destroyed": destroyed}


def _sweep_raw(bare: Bare, cutoff: str) -> int:
    sqlite = bare.url.startswith("sqlite")
    mark = "?" if sqlite else "%s"
    now = ANCHOR.replace(tzinfo=None).isoformat(" ", "microseconds") if sqlite else ANCHOR
    rule = "Marketplace lead: privacy notice lines 58-69"
    held = "SELECT 1 FROM legalhold h WHERE h.record_type = 'lead' AND h.record_id = lead.id AND h.lifted_at IS NULL"
    due = f"SELECT id FROM lead WHERE received_at <= {mark} AND NOT EXISTS ({held}) ORDER BY id LIMIT 500"
    destroyed, cursor = 0, bare.connection.cursor()
    while True:
        cursor.execute(
            f"DELETE FROM lead WHERE id IN ({due}) RETURNING id, source_partition_key, source_row_key", (cutoff,)
        )
        rows = cursor.fetchall()
        if not rows:
            break
        ids = ", ".join(str(row[0]) for row in rows)
        cursor.execute(f"DELETE FROM legalhold WHERE record_type = 'lead' AND record_id IN ({ids})")
        hashes = [_source_hash(pk, rk) for _id, pk, rk in rows]
        cursor.executemany(
            "INSERT INTO tombstone (kind, opaque_id, source_key_hash, rule, destroyed_at, actor) "
            f"VALUES ('lead', {mark}, {mark}, {mark}, {mark}, 'system:sweeper')",
            [(os.urandom(16).hex(), digest, rule, now) for digest in hashes],
        )
        cursor.executemany(
            "INSERT INTO sourcedeletion (partition_key, row_key, queued_at, attempts) "
            f"VALUES ({mark}, {mark}, {mark}, 0)",
            [(pk, rk, now) for _id, pk, rk in rows],
        )
        bare.connection.commit()
        destroyed += len(rows)
    details = json.dumps({"destroyed": {"lead": destroyed}})
    cursor.execute(
        "INSERT INTO auditevent (at, actor, action, details) "
        f"VALUES ({mark}, 'system:sweeper', 'retention.sweep', {mark})",
        (now, details),
    )
    bare.connection.commit()
    return destroyed


def _source_hash(partition_key: str, row_key: str) -> str:
    return hmac.new(TOMBSTONE_KEY.encode(), f"{partition_key}\x1f{row_key}".encode(), hashlib.sha256).hexdigest()


@job
def sync_app(url: str, connection_string: str, table: str) -> dict[str, Any]:
    """The lead sync into an empty database, as `flask --app app leads sync` runs it; with each page's storing
    time (store_page and its commit, in this process) and reading time (the SDK's fetch and parsing of it, in
    the reader process), so the report can say which side limits the sync."""
    import tempfile
    from datetime import timedelta

    from leads import db
    from leads.ingest import sources, sync

    app = bench_app(url, TOMBSTONE_KEY=TOMBSTONE_KEY)
    storing: list[float] = []
    with app.app_context(), tempfile.NamedTemporaryFile("r") as reads:
        source = _TimedReads(sources.LeadTable(connection_string, table), reads.name)
        overlap = timedelta(minutes=app.config["SYNC_OVERLAP_MINUTES"])
        stored = _timed_stores(sync, storing)
        seconds, run = _timed(
            lambda: sync.run(
                session=db.session(),
                source=source,
                clock=db.now,
                tombstone_key=TOMBSTONE_KEY,
                overlap=overlap,
                progress=stored,
            )
        )
        source.close()
        reading = [float(line) for line in reads.read().split()]
    return {
        "seconds": seconds,
        "new": run.new,
        "quarantined": run.quarantined,
        "status": run.status,
        "store_seconds": storing,  # a page each, in order
        "read_seconds": reading,
    }


class _TimedReads:
    """A lead table whose reader notes how long each page took to read, a line each in `path` (the reader is a
    child process: a file is what survives it)."""

    read_in_process = True

    def __init__(self, table: Any, path: str) -> None:
        self._table, self._path = table, path

    def pages(self, *, since: Any) -> Any:
        pages = self._table.pages(since=since)
        with open(self._path, "a") as out:
            while True:
                started = time.perf_counter()
                page = next(pages, None)
                if page is None:
                    return
                out.write(f"{time.perf_counter() - started}\n")
                out.flush()
                yield page

    def close(self) -> None:
        self._table.close()


def _timed_stores(sync: Any, storing: list[float]) -> Callable[[Any], None]:
    """Time each page from the start of `store_page` to the run's progress call after its commit: wraps the
    module's `store_page` (the sync looks it up when the run starts); returns the progress callback."""
    store_page, started = sync.store_page, [0.0]

    def timed(**kwargs: Any) -> Any:
        started[0] = time.perf_counter()
        return store_page(**kwargs)

    sync.store_page = timed

    def progress(_run: Any) -> None:
        storing.append(time.perf_counter() - started[0])

    return progress


@job
def sync_raw(connection_string: str, table: str) -> dict[str, Any]:
    """The same entities read with the SDK alone: the same query and page size, every entity touched."""
    from azure.data.tables import TableClient

    from leads.ingest.sources import PAGE_SIZE

    client = TableClient.from_connection_string(connection_string, table)

    def read() -> int:
        count = 0
        for page in client.query_entities("PartitionKey ne ''", results_per_page=PAGE_SIZE).by_page():
            count += sum(1 for _entity in page)
        return count

    seconds, count = _timed(read)
    client.close()
    return {"seconds": seconds, "entities": count}


@job
def bundle_app(url: str, request_id: str) -> dict[str, Any]:
    """One person's portability bundle, built and streamed to the end (as the download does)."""
    from bench.generator.people import ADMIN_EMAIL
    from leads import db
    from leads.rights import actions, register
    from leads.staff import users

    app = bench_app(url)
    with app.app_context():
        session = db.session()
        request = register.get(session=session, request_id=int(request_id))
        actor = users.get_by_email(session=session, email=ADMIN_EMAIL)

        def build() -> int:
            chunks = actions.export(session=session, request=request, kind="portability", actor=actor, now=ANCHOR)
            return sum(len(chunk) for chunk in chunks)

        seconds, size = _timed(build)
    return {"seconds": seconds, "bytes": size}
