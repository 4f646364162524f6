"""The worker: runs due jobs on their intervals and survives a failing run."""

from __future__ import annotations

import signal
from datetime import UTC, datetime, timedelta

import pytest

from leads.cli import worker

NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)


def jobs(calls: list[str], fail: str | None = None) -> tuple[worker.Job, ...]:
    def make(name: str):
        def run() -> str:
            calls.append(name)
            if name == fail:
                raise RuntimeError(f"{name} exploded")
            return "ok"

        return run

    return (
        worker.Job("sync", timedelta(minutes=5), make("sync")),
        worker.Job("sweep", timedelta(hours=1), make("sweep")),
    )


def test_due_jobs_follow_their_intervals():
    schedule = jobs([])
    assert [j.name for j in worker.due(schedule, {}, NOW)] == ["sync", "sweep"]
    last = {"sync": NOW, "sweep": NOW}
    assert worker.due(schedule, last, NOW + timedelta(minutes=4)) == []
    assert [j.name for j in worker.due(schedule, last, NOW + timedelta(minutes=5))] == ["sync"]
    assert [j.name for j in worker.due(schedule, last, NOW + timedelta(hours=1))] == ["sync", "sweep"]


def test_a_failing_job_is_logged_and_the_others_still_run(app, clock, caplog):
    calls: list[str] = []
    last: dict[str, datetime] = {}
    worker.run_due(app, last, jobs(calls, fail="sync"))
    assert calls == ["sync", "sweep"]
    assert "sync failed" in caplog.text and "sync exploded" in caplog.text
    clock.now += timedelta(minutes=5)
    worker.run_due(app, last, jobs(calls, fail="sync"))
    assert calls == ["sync", "sweep", "sync"]  # it keeps running on schedule


def test_the_real_jobs_run_without_azure_configured(app, clock):
    with app.app_context():
        assert worker.run_sync().startswith("skipped")
        assert "destroyed" in worker.run_sweep()


def test_loop_sleeps_between_checks(app):
    slept: list[float] = []
    worker.loop(app, sleep=slept.append, iterations=3, tick=30)
    assert slept == [30, 30]  # between the three checks, not after the last


def test_worker_command_runs_once(app):
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output


def test_a_job_wakes_for_a_deadline_before_its_interval():
    calls: list[str] = []
    deadline = NOW + timedelta(minutes=7)
    job = worker.Job("sweep", timedelta(hours=1), lambda: calls.append("sweep") or "ok", wake_at=lambda: deadline)
    last = {"sweep": NOW}
    assert worker.due((job,), last, deadline - timedelta(seconds=1)) == []
    assert worker.due((job,), last, deadline) == [job]


def test_next_deadline_is_the_soonest_record_not_on_hold(session, make_user):
    from leads.retention import forecast, holds
    from leads.rules import schedule
    from tests.factories import add_installation, add_lead

    assert forecast.next_deadline(session=session) is None
    admin = make_user("admin")
    soonest = add_lead(session, NOW - timedelta(days=1000), "a")
    add_lead(session, NOW - timedelta(days=900), "b")
    assert forecast.next_deadline(session=session) == schedule.deadline("lead", soonest.received_at)
    holds.place(session=session, record_type="lead", record_id=soonest.id, reason="claim", actor=admin, now=NOW)
    add_installation(session, None, "ip", ip_at=NOW - timedelta(days=2))
    assert forecast.next_deadline(session=session) == NOW + timedelta(days=8)  # the IP address, now the soonest


def test_jobs_that_keep_deadlines_go_first_so_downtime_is_caught_up_before_syncing():
    sync = worker.Job("sync", timedelta(minutes=5), lambda: "ok")
    sweep = worker.Job("sweep", timedelta(hours=1), lambda: "ok", wake_at=lambda: None)
    assert worker.due((sync, sweep), {}, NOW) == [sweep, sync]


def test_once_asked_to_stop_no_further_job_starts_and_the_loop_ends(app):
    calls: list[str] = []
    stopping = worker.Job("sync", timedelta(minutes=5), lambda: calls.append("sync") or worker.STOP.set() or "ok")
    later = worker.Job("sweep", timedelta(hours=1), lambda: calls.append("sweep") or "ok")
    try:
        worker.run_due(app, {}, (stopping, later))
        assert calls == ["sync"]
        slept: list[float] = []
        worker.loop(app, sleep=slept.append, iterations=3)
        assert slept == []  # it does not even start
    finally:
        worker.STOP.clear()


def test_the_first_signal_asks_to_stop_and_a_second_stops_at_once():
    try:
        worker.request_stop(signal.SIGTERM, None)
        assert worker.STOP.is_set()
        with pytest.raises(KeyboardInterrupt):
            worker.request_stop(signal.SIGINT, None)
    finally:
        worker.STOP.clear()
