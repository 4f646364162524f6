"""`make bench`: every benchmark on SQLite and, when BENCH_DATABASE_URL is set, on PostgreSQL; then the report.

Sizes and repetitions come from the environment (defaults are the issue's: a million leads, 100,000 expired),
so the smoke test can run the same code on a tiny data set:

| variable | default | meaning |
|---|---|---|
| BENCH_LEADS | 1000000 | leads in the generated database (installations as many, events ~3x) |
| BENCH_SMALL_LEADS | BENCH_LEADS / 10 | the smaller database, for "memory flat as data grows" |
| BENCH_REPEAT | 200 | requests per page benchmark (each beside its bare SQL) |
| BENCH_SWEEP | 100000 | expired leads the sweeper destroys; BENCH_SWEEP_SMALL (a fifth) for memory |
| BENCH_SWEEP_REPEAT | 3 | sweeper runs (and raw runs), each on fresh copies |
| BENCH_SYNC | 50000 | entities synced from Azurite; BENCH_SYNC_SMALL (a fifth) for memory |
| BENCH_SYNC_REPEAT | 3 | sync runs (and raw SDK reads) |
| BENCH_HOOK_ROUNDS | 3 | webhook load rounds of 2,000 requests (and raw rounds) |
| BENCH_DATABASE_URL | unset | a PostgreSQL server (any database on it): the run creates radnac_bench_* and drops them |
| BENCH_OUTPUT | BENCHMARKS.md | where the report goes |
| BENCH_RESULTS | bench/results/ | where each run's figures are kept as JSON (git-ignored) |
| BENCH_DATA | bench/data/ | where generated SQLite databases are cached, by size (git-ignored) |
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import azurite, hookbench, latency, pages, report, sweepbench, syncbench
from bench.dbs import Backend
from bench.generator import Plan
from bench.jobs import spawn
from bench.load import CACHE, ROOT
from bench.site import query
from bench.stats import Figure, Result


@dataclass(frozen=True)
class Settings:
    """Sizes and repetitions (see the module docstring)."""

    leads: int
    small_leads: int
    repeat: int
    sweep: int
    sweep_small: int
    sweep_repeat: int
    sync: int
    sync_small: int
    sync_repeat: int
    hook_rounds: int
    postgresql: str
    output: Path
    results: Path
    data: Path

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Settings:
        def number(name: str, default: int) -> int:
            return int(env.get(name) or default)

        leads, sweep, sync = (
            number("BENCH_LEADS", 1_000_000),
            number("BENCH_SWEEP", 100_000),
            number("BENCH_SYNC", 50_000),
        )
        return cls(
            leads=leads,
            small_leads=number("BENCH_SMALL_LEADS", max(leads // 10, 1000)),
            repeat=number("BENCH_REPEAT", 200),
            sweep=min(sweep, leads // 2),
            sweep_small=number("BENCH_SWEEP_SMALL", max(min(sweep, leads // 2) // 5, 1)),
            sweep_repeat=number("BENCH_SWEEP_REPEAT", 3),
            sync=sync,
            sync_small=number("BENCH_SYNC_SMALL", max(sync // 5, 1)),
            sync_repeat=number("BENCH_SYNC_REPEAT", 3),
            hook_rounds=number("BENCH_HOOK_ROUNDS", 3),
            postgresql=env.get("BENCH_DATABASE_URL", ""),
            output=Path(env.get("BENCH_OUTPUT") or ROOT / "BENCHMARKS.md"),
            results=Path(env.get("BENCH_RESULTS") or ROOT / "bench" / "results"),
            data=Path(env.get("BENCH_DATA") or CACHE),
        )


def log(message: str) -> None:
    """Progress on stderr (stdout stays clean)."""
    print(message, file=sys.stderr, flush=True)


def run(env: dict[str, str] | None = None) -> int:
    """Run everything, write the report; 0 even when targets are missed (the report says which and why)."""
    env = dict(os.environ if env is None else env)
    settings, started = Settings.from_env(env), time.monotonic()
    kinds = ["sqlite", *(["postgresql"] if settings.postgresql else [])]
    runs: dict[str, dict[str, Any]] = {}
    with azurite.running() as connection_string:
        tables = {n: syncbench.fill(connection_string, n, log) for n in sorted({settings.sync, settings.sync_small})}
        for kind in kinds:
            with tempfile.TemporaryDirectory(prefix="radnac-bench-") as scratch:
                backend = Backend(kind, Path(scratch), server=settings.postgresql, cache=settings.data)
                try:
                    runs[kind] = run_backend(backend, settings, connection_string, tables)
                finally:
                    backend.close()
    facts = {
        "command": _command(env),
        "seconds": time.monotonic() - started,
        "at": datetime.now(UTC),
        "settings": settings,
    }
    report.write(settings.output, runs, facts)
    _keep_json(settings.results, runs, facts)
    log(f"wrote {settings.output} in {facts['seconds'] / 60:.0f} min")
    return 0


def run_backend(backend: Backend, settings: Settings, connection_string: str, tables: dict[int, str]) -> dict[str, Any]:
    """Every benchmark on one backend."""
    log(f"== {backend.kind}: data")
    data = backend.generated(Plan(leads=settings.leads), log)
    small = backend.generated(Plan(leads=settings.small_leads), log)
    work, raw_work = backend.copy(data["url"], "pages"), backend.copy(data["url"], "hook_raw")
    log(f"== {backend.kind}: pages ({settings.repeat} requests each)")
    results = pages.run_all(work, settings.repeat, log)
    log(f"== {backend.kind}: sweeper")
    sweep, sweep_peaks = sweepbench.run(backend, data["url"], settings.sweep, settings.sweep_repeat, log)
    _, sweep_small_peaks = sweepbench.run(backend, data["url"], settings.sweep_small, 1, log)
    log(f"== {backend.kind}: sync")
    sync, sync_peaks = syncbench.run(
        backend, connection_string, tables[settings.sync], settings.sync, settings.sync_repeat, log
    )
    _, sync_small_peaks = syncbench.run(
        backend, connection_string, tables[settings.sync_small], settings.sync_small, 1, log
    )
    with latency.delayed(connection_string) as far:  # as far from the table as Azure is
        sync_far, _ = syncbench.run(
            backend, far, tables[settings.sync], settings.sync, settings.sync_repeat, log, through=latency.LABEL
        )
    log(f"== {backend.kind}: bundle memory, webhook")
    bundles = {size: _bundle(url) for size, url in ((settings.small_leads, small["url"]), (settings.leads, work))}
    hook = hookbench.run(work, raw_work, settings.hook_rounds, log)
    memory = [
        _memory("sync", settings.sync_small, sync_small_peaks, settings.sync, sync_peaks, "entities"),
        _memory("sweeper", settings.sweep_small, sweep_small_peaks, settings.sweep, sweep_peaks, "expired leads"),
        _memory(
            "bundle",
            settings.small_leads,
            {"app": bundles[settings.small_leads]},
            settings.leads,
            {"app": bundles[settings.leads]},
            "leads in the database",
        ),
    ]
    splits = [row for row in (syncbench.split(sync), syncbench.split(sync_far)) if row is not None]
    return {"data": data, "small": small, "results": [*results, sweep, sync, sync_far, *splits, hook, *memory]}


def _bundle(url: str) -> float:
    """Peak memory (MB) of building one person's bundle in its own process, on the database at `url`."""
    sql = "SELECT request_id FROM requestlead GROUP BY request_id ORDER BY count(*) DESC, request_id LIMIT 1"
    (request,) = query(url, sql)[0]
    return spawn("bundle_app", url, str(request))["peak_mb"]


def _memory(job: str, small: int, small_peaks: dict, large: int, large_peaks: dict, what: str) -> Result:
    """Peak memory of a job at two sizes: the app's figure is the larger run; flatness is in `extra`."""
    peak = large_peaks["app"]
    return Result(
        group="memory",
        name=f"peak memory of the {job}: {small:,} vs {large:,} {what}",
        unit="MB",
        app=Figure(peak, peak, 1),
        baseline=Figure(large_peaks["raw"], large_peaks["raw"], 1) if "raw" in large_peaks else None,
        baseline_name="the raw job in its own process" if "raw" in large_peaks else "",
        extra={"peak_mb": peak, "small_mb": small_peaks["app"], "large_mb": peak, "small": small, "large": large},
    )


def _command(env: dict[str, str]) -> str:
    """The command that produced this run, with the settings it was given (the Makefile names itself)."""
    given = [f"{k}={shlex.quote(v)}" for k, v in sorted(env.items()) if k.startswith("BENCH_") and k != "BENCH_COMMAND"]
    return " ".join([*given, env.get("BENCH_COMMAND") or "python -m bench run"])


def rewrite(kept: Path | None = None, env: dict[str, str] | None = None) -> Path:
    """Write the report again from a kept run (`kept`, default the newest in BENCH_RESULTS), with today's
    bench/NOTES.md: the analysis can be corrected without measuring again. The settings are the run's own,
    read back from the command it recorded (its BENCH_* assignments); returns the report's path."""
    found = Settings.from_env(dict(os.environ if env is None else env))
    kept = kept or max(found.results.glob("*.json"))
    payload = json.loads(kept.read_text())
    facts = dict(payload["facts"])
    given = dict(word.split("=", 1) for word in shlex.split(facts["command"]) if word.startswith("BENCH_"))
    settings = Settings.from_env({**given, "BENCH_OUTPUT": str(found.output)})
    facts.update(at=datetime.fromisoformat(facts["at"]), settings=settings)
    runs = {
        kind: {**run, "results": [Result.from_dict(r) for r in run["results"]]} for kind, run in payload["runs"].items()
    }
    report.write(settings.output, runs, facts)
    return settings.output


def _keep_json(folder: Path, runs: dict[str, dict[str, Any]], facts: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    payload = {kind: {**run, "results": [r.as_dict() for r in run["results"]]} for kind, run in runs.items()}
    stamp = facts["at"].strftime("%Y%m%dT%H%M%SZ")
    (folder / f"{stamp}.json").write_text(json.dumps({"facts": facts, "runs": payload}, default=str, indent=1))
