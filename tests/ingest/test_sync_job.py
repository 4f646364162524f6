"""The lead sync as a job, assembled once for `leads sync` and the worker: its lock and its run record."""

from __future__ import annotations

import pytest
from azure.data.tables import TableClient
from sqlmodel import select

from leads.cli import worker
from leads.ingest import sync_job
from leads.jobs import locks
from leads.models import JobRun
from tests.factories import AZURITE_KEY
from tests.lead_samples import entity

UNREACHABLE = (
    f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};"
    "TableEndpoint=http://127.0.0.1:9/devstoreaccount1;"
)


def test_a_second_sync_while_one_holds_the_lock_does_nothing(app, session, clock):
    app.config["AZURE_TABLES_CONNECTION_STRING"] = UNREACHABLE  # never read: the lock is asked first
    held = locks.try_acquire(engine=session.get_bind(), name=sync_job.JOB_NAME)
    try:
        assert sync_job.run(session=session, config=app.config, clock=clock, holder="second") is None
        with app.app_context():
            assert worker.run_sync() == "another sync is running"
        result = app.test_cli_runner().invoke(args=["leads", "sync"])
        assert result.exit_code != 0 and "another sync is running" in result.output
    finally:
        held.release()
    assert session.exec(select(JobRun)).all() == []


@pytest.mark.azurite
def test_the_command_and_the_worker_run_the_same_sync_and_record_it(app, session, lead_table, clock):
    connection, name = lead_table
    app.config.update(AZURE_TABLES_CONNECTION_STRING=connection, LEADS_TABLE_NAME=name)
    with TableClient.from_connection_string(connection, name) as table:
        table.upsert_entity(entity("lead1"))
    assert app.test_cli_runner().invoke(args=["leads", "sync"]).exit_code == 0
    with app.app_context():
        assert worker.run_sync() == "succeeded: 0 new, 0 updated, 0 quarantined, 0 skipped"
    first, second = session.exec(select(JobRun).order_by(JobRun.id)).all()
    assert (first.job, first.outcome, second.outcome) == ("sync", "succeeded", "succeeded")
    assert '"new": 1' in first.counts and '"unchanged": 1' in second.counts
