"""/admin/jobs shows the jobs as they stand (a killed one as died), the queues and late destructions;
/healthz reports a job not started for over twice its interval."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.factories import PINNED_NOW, add_lead, add_run, sweep


def row(page: str, element_id: str) -> str:
    match = re.search(rf'<tr id="{element_id}">(.*?)</tr>', page, re.S)
    assert match, f"no row {element_id}"
    return match.group(1)


def test_the_page_shows_a_killed_sweeper_as_died_and_a_finished_sync_as_it_ended(client, auth, session):
    add_run(session, "sweep", "running")  # what a SIGKILLed sweeper leaves: no end, and its lock gone with it
    add_run(session, "sync", "failed", error_class="SourceError", counts='{"new": 7}')
    auth.login("admin")
    page = client.get("/admin/jobs").data.decode()
    sweep_row, sync_row = row(page, "job-sweep"), row(page, "job-sync")
    assert ">died<" in sweep_row and "no end recorded" in sweep_row and "free" in sweep_row and "host:42" in sweep_row
    assert ">failed<" in sync_row and "error: SourceError" in sync_row and "new: 7" in sync_row
    assert "source deletions" in page and "No record destroyed later than its deadline" in page


def test_the_page_says_which_records_were_destroyed_late_and_by_how_much(client, auth, session):
    add_lead(session, PINNED_NOW.replace(year=2023) - timedelta(hours=5), "overdue")  # worker down for 5 hours
    sweep(session, now=PINNED_NOW)
    auth.login("admin")
    page = client.get("/admin/jobs").data.decode()
    assert "destroyed 1 record after their deadline, the latest by 5:00:00" in page


def test_only_admins_see_the_jobs_page(client, auth):
    auth.login("sales")
    assert client.get("/admin/jobs").status_code == 403


def test_healthz_reports_a_job_not_started_for_over_twice_its_interval(client, session):
    assert client.get("/healthz").json == {"status": "ok"}  # never run: nothing to judge yet
    add_run(session, "sweep", "succeeded", started_at=PINNED_NOW - timedelta(hours=2))
    assert client.get("/healthz").json == {"status": "ok"}  # exactly twice its interval: not yet
    add_run(session, "sync", "succeeded", started_at=PINNED_NOW - timedelta(minutes=11))
    health = client.get("/healthz")
    assert health.status_code == 200  # the web itself is fine: a load balancer must keep it
    assert health.json == {"status": "jobs late"}  # which job, and since when, is for staff (issue #32)
