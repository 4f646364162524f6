"""The worker: runs due jobs on their intervals and survives a failing run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leads import worker

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
