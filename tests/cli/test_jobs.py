"""`flask --app app jobs status`: the jobs as they stand, read from outside."""

from __future__ import annotations

from datetime import timedelta

from leads.jobs import locks
from tests.conftest import PINNED_NOW
from tests.crm.test_jobstatus import add_run


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
