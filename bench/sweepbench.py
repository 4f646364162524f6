"""The retention sweeper destroying expired leads at a million, beside the same destruction in raw SQL.

Each repetition gets two fresh, identical copies of the generated database in which the oldest `count` leads
were made expired (moved back past three years); the sweeper runs on one, the raw SQL on the other, each in a
child process (so its peak memory is measured too), alternating which goes first.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bench.dbs import Backend
from bench.generator import ANCHOR
from bench.jobs import spawn
from bench.site import Bare
from bench.stats import Figure, Result
from leads.rules import schedule

MIN_SHARE = 0.5  # the sweeper must destroy at least half as fast as raw SQL


def expire(url: str, count: int) -> None:
    """Move the oldest `count` leads back so that every one of them is past its three years (by a week)."""
    bare = Bare(url)
    sqlite = url.startswith("sqlite")
    with bare.cursor() as cursor:
        cursor.execute(f"SELECT received_at FROM lead WHERE id = {int(count)}")
        (newest,) = cursor.fetchone()
    newest_at = _parse(newest) if sqlite else newest
    days = (schedule.latest_start("lead", ANCHOR) - newest_at).days - 7  # negative: how far back to move
    cursor = bare.connection.cursor()
    if sqlite:
        moved = "datetime({0}, '{1} days') || substr({0}, 20)"  # keeps SQLAlchemy's microseconds
        cursor.execute(
            f"UPDATE lead SET received_at = {moved.format('received_at', days)}, "
            f"created_at_ms = {moved.format('created_at_ms', days)} WHERE id <= {int(count)}"
        )
    else:
        cursor.execute(
            f"UPDATE lead SET received_at = received_at + interval '{days} days', "
            f"created_at_ms = created_at_ms + interval '{days} days' WHERE id <= {int(count)}"
        )
    bare.connection.commit()
    bare.close()


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def cutoff(sqlite: bool) -> str:
    """The raw job's cutoff: the latest received_at already three calendar years old at the anchor."""
    moment = schedule.latest_start("lead", ANCHOR)
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds") if sqlite else moment.isoformat()


def run(backend: Backend, source: str, count: int, repeat: int, log: object = print) -> tuple[Result, dict]:
    """Sweeper vs raw SQL on `count` expired leads, `repeat` times; the result and the peak memory of each."""
    template = backend.copy(source, f"sweep_{count}")
    expire(template, count)
    app, raw, peaks, destroyed = [], [], {"app": 0.0, "raw": 0.0}, set()
    for n in range(repeat):
        order = ("app", "raw") if n % 2 == 0 else ("raw", "app")
        for side in order:
            url = backend.copy(template, f"sweep_{count}_{side}_{n}")
            if side == "app":
                answer = spawn("sweep_app", url)
                app.append(answer["seconds"])
            else:
                answer = spawn("sweep_raw", url, cutoff(url.startswith("sqlite")))
                raw.append(answer["seconds"])
            destroyed.add(answer["destroyed"])
            if len(destroyed) > 1:
                raise RuntimeError(f"the sweeper and raw SQL destroyed different numbers of leads: {destroyed}")
            peaks[side] = max(peaks[side], answer["peak_mb"])
            backend.drop(url)
        log(f"  sweep {count}: app {app[-1]:.1f} s, raw {raw[-1]:.1f} s")  # type: ignore[operator]
    backend.drop(template)
    destroyed_count = destroyed.pop()
    result = Result(
        group="sweeper",
        name=f"sweeper destroying {count:,} expired leads, with tombstones and audit",
        unit="leads/s",
        app=Figure.of([destroyed_count / seconds for seconds in app], higher_is_better=True),
        baseline=Figure.of([destroyed_count / seconds for seconds in raw], higher_is_better=True),
        baseline_name="DELETE … RETURNING, executemany INSERT of tombstones and queued source deletions, one audit row",
        min_ratio=MIN_SHARE,
        extra={"destroyed": destroyed_count, "held": count - destroyed_count, "seconds": app, "raw_seconds": raw},
    )
    return result, peaks
