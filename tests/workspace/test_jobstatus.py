"""The jobs seen from outside: each job's state from its last run and its lock, next run, queues, lateness."""

from __future__ import annotations

from datetime import timedelta

from leads.jobs import locks
from leads.models import SourceDeletion
from leads.workspace import jobstatus
from tests.factories import PINNED_NOW as NOW
from tests.factories import add_lead, add_run


def job(report, name: str) -> jobstatus.JobStatus:
    return next(j for j in report.jobs if j.name == name)


def test_a_job_never_run_is_due_at_the_workers_next_check(session):
    sweep = job(jobstatus.overview(session=session, now=NOW), "sweep")
    assert (sweep.state, sweep.last, sweep.lock_held, sweep.next_run, sweep.late) == (
        "never run",
        None,
        False,
        None,
        False,
    )


def test_a_run_left_running_with_its_lock_free_was_killed_and_shows_as_died(session):
    add_run(session, "sweep", "running")
    sweep = job(jobstatus.overview(session=session, now=NOW), "sweep")
    assert sweep.state == "died" and not sweep.lock_held and sweep.last.finished_at is None


def test_a_run_whose_lock_is_held_is_running(session):
    add_run(session, "sweep", "running")
    lock = locks.try_acquire(engine=session.get_bind(), name="sweep")
    try:
        sweep = job(jobstatus.overview(session=session, now=NOW), "sweep")
    finally:
        lock.release()
    assert sweep.state == "running" and sweep.lock_held
    if session.get_bind().dialect.name == "postgresql":
        assert sweep.lock_pid  # the server process holding it


def test_the_last_run_gives_counts_error_class_and_the_next_run(session):
    add_run(session, "sync", "failed", error_class="SourceError", counts='{"new": 3}')
    sync = job(jobstatus.overview(session=session, now=NOW), "sync")
    assert (sync.state, sync.last.error_class, sync.counts) == ("failed", "SourceError", {"new": 3})
    assert sync.next_run == NOW - timedelta(minutes=10) + timedelta(minutes=5)


def test_the_sweep_runs_next_at_the_soonest_deadline_if_before_its_interval(session):
    add_run(session, "sweep", "succeeded")
    lead = add_lead(session, NOW - timedelta(days=3 * 365), "soon")  # falls due within days, not before the hour
    assert job(jobstatus.overview(session=session, now=NOW), "sweep").next_run == NOW + timedelta(minutes=50)
    lead.received_at = NOW - timedelta(days=3 * 366)  # overdue: the worker wakes for it at once
    session.add(lead)
    session.commit()
    assert job(jobstatus.overview(session=session, now=NOW), "sweep").next_run < NOW


def test_a_job_not_started_for_over_twice_its_interval_is_late(session):
    add_run(session, "sweep", "succeeded", started_at=NOW - timedelta(hours=2, seconds=1))
    add_run(session, "sync", "succeeded", started_at=NOW - timedelta(minutes=10))
    report = jobstatus.overview(session=session, now=NOW)
    assert job(report, "sweep").late and not job(report, "sync").late


def test_the_queue_of_source_deletions_and_late_destructions(session):
    session.add(SourceDeletion(partition_key="p", row_key="r", queued_at=NOW - timedelta(hours=3), attempts=2))
    add_run(session, "sweep", "succeeded", late=12, most_late_seconds=7200)
    add_run(session, "sweep", "succeeded", started_at=NOW - timedelta(days=31), late=1, most_late_seconds=60)
    report = jobstatus.overview(session=session, now=NOW)
    (queue,) = report.queues
    assert (queue.label, queue.count, queue.oldest, queue.most_attempts) == (
        "source deletions",
        1,
        NOW - timedelta(hours=3),
        2,
    )
    (late,) = report.late_destructions  # a month on, it no longer needs attention
    assert (late.records, late.most_late) == (12, timedelta(hours=2))
