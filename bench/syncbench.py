"""The lead sync from Azurite into an empty database, beside the same entities read with the SDK alone.

The table is filled once; each repetition syncs into a fresh, migrated, empty database in a child process
(peak memory measured too) and, alternately before or after, reads the table with the bare SDK.
"""

from __future__ import annotations

import statistics

from bench import azurite
from bench.dbs import Backend
from bench.jobs import spawn
from bench.stats import Figure, Result
from leads.ingest.sources import PAGE_SIZE

MIN_SHARE = 0.8  # the sync must reach 80% of the raw read rate
MAX_STORING = 0.25  # storing a page must cost at most a quarter of reading it (issue #33)


def run(
    backend: Backend,
    connection_string: str,
    table: str,
    count: int,
    repeat: int,
    log: object = print,
    *,
    through: str = "",
) -> tuple[Result, dict]:
    """Sync vs SDK read of the `count` entities in `table`, `repeat` times; the result and peak memory of each.

    `through` names what stands between both sides and Azurite (the latency proxy), for the report.
    """
    app, raw, peaks = [], [], {"app": 0.0, "raw": 0.0}
    storing, reading = [], []  # seconds a page, every page of every run
    for n in range(repeat):
        for side in ("app", "raw") if n % 2 == 0 else ("raw", "app"):
            if side == "raw":
                answer = spawn("sync_raw", connection_string, table)
                if answer["entities"] != count:
                    raise RuntimeError(f"the SDK read {answer['entities']} entities, not {count}")
                raw.append(count / answer["seconds"])
            else:
                url = backend.empty(f"sync_{count}_{n}")
                answer = spawn("sync_app", url, connection_string, table)
                if answer["status"] != "succeeded" or answer["new"] + answer["quarantined"] != count:
                    raise RuntimeError(f"the sync did not store every entity: {answer}")
                app.append(count / answer["seconds"])
                storing += answer["store_seconds"]
                reading += answer["read_seconds"]
                backend.drop(url)
            peaks[side] = max(peaks[side], answer["peak_mb"])
        share = app[-1] / raw[-1]
        log(f"  sync {count}{through}: app {app[-1]:.0f} leads/s, raw {raw[-1]:.0f} entities/s ({share:.2f}x)")  # type: ignore[operator]
    return Result(
        group="sync",
        name=f"lead sync of {count:,} entities from Azurite{through} into an empty database",
        unit="leads/s",
        app=Figure.of(app, higher_is_better=True),
        baseline=Figure.of(raw, higher_is_better=True),
        baseline_name="TableClient.query_entities, same query and page size, every entity touched",
        min_ratio=MIN_SHARE,
        extra=_split(storing, reading),
    ), peaks


def _split(storing: list[float], reading: list[float]) -> dict:
    """Medians of what a page cost each side of the sync (storing: store_page and its commit; reading: the
    SDK's fetch and parsing, in the reader process), in ms, with every sample for `split`."""
    if not storing or not reading:
        return {}
    store, read = statistics.median(storing) * 1000, statistics.median(reading) * 1000
    return {
        "store_ms_per_page": store,
        "read_ms_per_page": read,
        "storing_share_of_reading": store / read,
        "store_ms": [seconds * 1000 for seconds in storing],
        "read_ms": [seconds * 1000 for seconds in reading],
    }


def split(sync: Result) -> Result | None:
    """The report's row for a sync result: storing a page against reading it (at most a quarter)."""
    if "store_ms" not in sync.extra:
        return None
    through = sync.name.split(" from Azurite", 1)[1].split(" into ", 1)[0]
    return Result(
        group="sync",
        name=f"storing a page (up to {PAGE_SIZE:,} entities) of the sync vs reading it from Azurite{through}",
        unit="ms",
        app=Figure.of(sync.extra["store_ms"]),
        baseline=Figure.of(sync.extra["read_ms"]),
        baseline_name="the sync's reader: the SDK's fetch and parsing of the page, in its own process",
        max_ratio=MAX_STORING,
    )


def fill(connection_string: str, count: int, log: object = print) -> str:
    """A lead table holding `count` entities; returns its name."""
    table = f"BenchLeads{count}"
    seconds = azurite.fill(connection_string, table, count)
    log(f"  filled Azurite table {table} with {count:,} entities in {seconds:.0f} s")  # type: ignore[operator]
    return table
