"""`flask --app app jobs status`: the jobs as they stand, read from outside."""

from __future__ import annotations

from datetime import timedelta

from leads.jobs import locks
from tests.factories import PINNED_NOW, add_lead, add_run


def status(app) -> str:
    result = app.test_cli_runner().invoke(args=["jobs", "status"])
    assert result.exit_code == 0, result.output
    return result.output


def test_status_shows_a_live_holder_as_running_and_then_a_killed_one_as_died(app, session):
    add_run(session, "sweep", "running", counts=None)
    lock = locks.try_acquire(engine=session.get_bind(), name="sweep")
    try:
        live = status(app)
    finally:
        lock.release()  # as the kernel or the server does when the holder is killed
    assert "sweep: running" in live and "lock: held by a live process" in live and "by host:42" in live
    dead = status(app)
    assert "sweep: died" in dead and "ended no end recorded" in dead and "lock: free" in dead


def test_status_gives_counts_errors_next_runs_queues_and_late_destructions(app, session):
    add_run(session, "sync", "failed", error_class="SourceError", counts='{"new": 7}')
    add_run(session, "sweep", "succeeded", started_at=PINNED_NOW - timedelta(hours=3), late=4, most_late_seconds=90)
    out = status(app)
    assert "sync: failed" in out and "error SourceError" in out and '"new": 7' in out
    assert "next run: 2026-11-25 09:25:00 UTC" in out  # ten minutes ago + every 5 minutes: due
    assert "sweep: succeeded  LATE: not run for over twice its interval" in out
    assert "queue source deletions: 0" in out
    assert "destroyed 4 late, by up to 0:01:30" in out
    assert "sync: never run" not in out
    fresh = status(app)
    assert fresh == out  # reading changes nothing


def test_a_sweep_after_downtime_says_how_late_the_latest_destruction_was(app, session):
    add_lead(session, PINNED_NOW.replace(year=2023) - timedelta(days=1, hours=2), "a-day-late")
    add_lead(session, PINNED_NOW.replace(year=2023) - timedelta(minutes=30), "half-an-hour-late")
    result = app.test_cli_runner().invoke(args=["retention", "sweep"])
    assert result.exit_code == 0, result.output
    assert "destroyed {'lead': 2}" in result.output
    assert "2 destroyed more than 0:01:00 late; the latest by 1 day, 2:00:00." in result.output
    assert "destroyed 2 late, by up to 1 day, 2:00:00" in status(app)


def test_the_per_transaction_options_keep_their_range_and_show_their_default(app):
    runner = app.test_cli_runner()
    for args, default in ((["leads", "sync"], "--page-size"), (["retention", "sweep"], "--batch-size")):
        assert "[default: " in runner.invoke(args=[*args, "--help"]).output
        refused = runner.invoke(args=[*args, default, "0"])
        assert refused.exit_code == 2 and "is not in the range" in refused.output
    assert "1<=x<=10000" in runner.invoke(args=["worker", "--sweep-batch-size", "10001"]).output
