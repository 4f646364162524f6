"""The lead sync from Azurite into an empty database, beside the same entities read with the SDK alone.

The table is filled once; each repetition syncs into a fresh, migrated, empty database in a child process
(peak memory measured too) and, alternately before or after, reads the table with the bare SDK.
"""

from __future__ import annotations

from bench import azurite
from bench.dbs import Backend
from bench.jobs import spawn
from bench.stats import Figure, Result

MIN_SHARE = 0.8  # the sync must reach 80% of the raw read rate


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
    ), peaks


def fill(connection_string: str, count: int, log: object = print) -> str:
    """A lead table holding `count` entities; returns its name."""
    table = f"BenchLeads{count}"
    seconds = azurite.fill(connection_string, table, count)
    log(f"  filled Azurite table {table} with {count:,} entities in {seconds:.0f} s")  # type: ignore[operator]
    return table
