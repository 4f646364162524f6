"""Crashes and deploys: the real `leads sync` and `retention sweep` SIGKILLed mid-run, then run again; the
real worker SIGTERMed mid-sweep.

Nothing may be lost, duplicated or half-done: every lead lands exactly once; every expired lead is
destroyed exactly once, with exactly one tombstone, and at no moment does a lead exist beside its tombstone.
A killed sweeper holds up nothing: the next one runs at once (its lock died with it).
"""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, text

from leads import db, tombstones
from leads.models import Lead
from tests.lead_samples import customer_info, entity
from tests.processes import ROOT, TEST_SECRET_KEY, app_env, flask, scalar, start, wait_for

pytestmark = pytest.mark.stress
LEADS = 3000
SWEPT, KEPT = 600, 300  # the sweeper-with-Azurite test (each source row is one HTTP delete)


@pytest.fixture
def engine(database_url):
    engine = db.make_engine(database_url)
    yield engine
    engine.dispose()


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL


def run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def write_leads(connection_string: str, table_name: str, count: int) -> None:
    """`count` lead entities in Azurite, 100 to a partition, each partition one batch transaction."""
    from azure.data.tables import TableClient

    with TableClient.from_connection_string(connection_string, table_name) as client:
        for first in range(0, count, 100):
            client.submit_transaction(
                [
                    (
                        "upsert",
                        entity(
                            f"row-{n:05d}",
                            PartitionKey=f"2026-11-{first // 100:03d}",
                            info=customer_info(Email=f"lead{n}@contoso.example"),
                        ),
                    )
                    for n in range(first, min(first + 100, count))
                ]
            )


@pytest.mark.azurite
def test_a_killed_sync_resumes_and_every_lead_lands_exactly_once(database_url, engine, lead_table, tmp_path):
    connection_string, table_name = lead_table
    write_leads(connection_string, table_name, LEADS)
    env = app_env(database_url, AZURE_TABLES_CONNECTION_STRING=connection_string, LEADS_TABLE_NAME=table_name)

    first = start(flask("leads", "sync", "--page-size", "25"), env, tmp_path / "first-sync.log")
    wait_for(lambda: scalar(engine, "SELECT count(*) FROM lead") >= LEADS // 3, timeout=60, what="a third of the leads")
    kill(first)
    landed = scalar(engine, "SELECT count(*) FROM lead")
    assert 0 < landed < LEADS, "the sync finished before it could be killed"
    print(f"sync SIGKILLed with {landed} of {LEADS} leads committed")  # figures for SECURITY.md (pytest -s)
    assert scalar(engine, "SELECT count(*) FROM syncrun WHERE status = 'running'") == 1  # it died mid-run

    output = run(flask("leads", "sync"), env)
    assert f"{LEADS - landed} new, 0 updated, {landed} unchanged, 0 quarantined, 0 skipped" in output
    assert scalar(engine, "SELECT count(*) FROM lead") == LEADS
    assert scalar(engine, "SELECT count(DISTINCT email) FROM lead") == LEADS
    assert scalar(engine, "SELECT count(*) FROM syncrun WHERE status = 'succeeded'") == 1
    assert "0 new, 0 updated, 3000 unchanged" in run(flask("leads", "sync"), env)  # and a re-run changes nothing


def insert_leads(engine, count: int, *, age: timedelta, partition: str) -> list[tuple[str, str]]:
    """`count` leads received `age` ago (the subprocess judges by the real clock); their source keys."""
    received = datetime.now(UTC) - age
    keys = [(f"{partition}-{n // 100:03d}", f"row-{n:05d}") for n in range(count)]
    rows = [
        {"source_partition_key": pk, "source_row_key": rk, "email": f"{partition}.{n}@contoso.example"}
        | {"first_seen_at": received, "received_at": received, "is_dnc": False, "is_test": False}
        | {"nurture_status": "new"}
        for n, (pk, rk) in enumerate(keys)
    ]
    with engine.begin() as connection:
        connection.execute(insert(Lead), rows)
    return keys


def insert_expired_leads(engine, count: int) -> list[tuple[str, str]]:
    """`count` leads received four years ago; their source keys."""
    return insert_leads(engine, count, age=timedelta(days=4 * 365), partition="2022-11")


def write_source_rows(connection_string: str, table_name: str, keys: list[tuple[str, str]]) -> None:
    """The leads' rows in the Azurite lead table, a batch transaction per partition."""
    from azure.data.tables import TableClient

    by_partition: dict[str, list[str]] = {}
    for pk, rk in keys:
        by_partition.setdefault(pk, []).append(rk)
    with TableClient.from_connection_string(connection_string, table_name) as client:
        for pk, row_keys in by_partition.items():
            client.submit_transaction([("upsert", entity(rk, PartitionKey=pk)) for rk in row_keys])


def source_rows(connection_string: str, table_name: str) -> set[tuple[str, str]]:
    from azure.data.tables import TableClient

    with TableClient.from_connection_string(connection_string, table_name) as client:
        return {(e["PartitionKey"], e["RowKey"]) for e in client.list_entities(select=["PartitionKey", "RowKey"])}


def destruction_state(engine, expected: dict[str, tuple[str, str]]) -> tuple[set[str], set[str]]:
    """(hashes of leads still present, hashes of lead tombstones); asserts nothing is half-destroyed."""
    with engine.connect() as connection:
        present = {
            tombstones.source_key_hash(TEST_SECRET_KEY, pk, rk)
            for pk, rk in connection.execute(text("SELECT source_partition_key, source_row_key FROM lead"))
        }
        buried = list(connection.execute(text("SELECT source_key_hash FROM tombstone WHERE kind = 'lead'")).scalars())
        queued = connection.execute(text("SELECT count(*) FROM sourcedeletion")).scalar_one()
    assert len(buried) == len(set(buried)), "a lead was tombstoned twice"
    assert set(buried) <= set(expected), "a tombstone for no lead we had"
    assert not present & set(buried), "a lead exists beside its tombstone"
    assert present | set(buried) == set(expected), "a lead vanished without a tombstone"
    assert queued == len(buried), "every destroyed lead's source row is queued for deletion, once"
    return present, set(buried)


def hashes(keys: list[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    return {tombstones.source_key_hash(TEST_SECRET_KEY, pk, rk): (pk, rk) for pk, rk in keys}


@pytest.mark.azurite
def test_a_killed_sweeper_is_followed_at_once_by_one_that_finishes_here_and_at_the_source(
    database_url, engine, lead_table, tmp_path
):
    connection_string, table_name = lead_table
    expired = insert_expired_leads(engine, SWEPT)
    kept = insert_leads(engine, KEPT, age=timedelta(days=365), partition="2025-11")
    write_source_rows(connection_string, table_name, expired + kept)
    everything = hashes(expired + kept)
    env = app_env(database_url, AZURE_TABLES_CONNECTION_STRING=connection_string, LEADS_TABLE_NAME=table_name)

    first = start(flask("retention", "sweep", "--batch-size", "5"), env, tmp_path / "first-sweep.log")
    wait_for(
        lambda: scalar(engine, "SELECT count(*) FROM tombstone") >= SWEPT // 3, timeout=60, what="a third destroyed"
    )
    kill(first)  # mid-batch, its lock held
    present, buried = destruction_state(engine, everything)
    assert len(present) > KEPT and buried, "the sweep finished before it could be killed"
    assert scalar(engine, "SELECT count(*) FROM jobrun WHERE outcome = 'running'") == 1  # it died mid-run
    status = run(flask("jobs", "status"), env)  # seen from outside, the killed sweeper is what it is
    assert "sweep: died" in status and "ended no end recorded" in status and "lock: free" in status, status

    output = run(flask("retention", "sweep"), env)  # at once: the dead sweeper's lock died with it
    assert f"destroyed {{'lead': {len(present) - KEPT}}}" in output, output
    assert f"source rows deleted {SWEPT}, still queued 0" in output, output
    with engine.connect() as connection:
        left = {tuple(row) for row in connection.execute(text("SELECT source_partition_key, source_row_key FROM lead"))}
        buried = list(connection.execute(text("SELECT source_key_hash FROM tombstone WHERE kind = 'lead'")).scalars())
    assert left == set(kept), "every unexpired lead kept, every expired one gone"
    assert sorted(buried) == sorted(hashes(expired)), "every expired lead tombstoned exactly once"
    assert scalar(engine, "SELECT count(*) FROM sourcedeletion") == 0
    assert source_rows(connection_string, table_name) == set(kept), "and the same at the source"
    outcomes = scalar(engine, "SELECT count(*) FROM jobrun WHERE job = 'sweep' AND outcome = 'died'")
    assert outcomes == 1, "the killed run is on record as died"


def test_sigterm_ends_the_worker_within_its_batch_with_nothing_half_done(database_url, engine, tmp_path):
    keys = insert_expired_leads(engine, LEADS)
    expected = hashes(keys)
    env = app_env(database_url)
    worker = start(flask("worker", "--sweep-batch-size", "5"), env, tmp_path / "worker.log")
    wait_for(
        lambda: scalar(engine, "SELECT count(*) FROM tombstone") >= LEADS // 3, timeout=60, what="a third destroyed"
    )
    worker.send_signal(signal.SIGTERM)  # what a deploy sends
    asked = time.monotonic()
    worker.wait(timeout=10)
    took = time.monotonic() - asked
    log = (tmp_path / "worker.log").read_text()
    assert worker.returncode == 0, log
    assert took < 5, f"took {took:.1f} s to stop"
    assert "SIGTERM received: stopping after the batch in hand" in log and "Worker stopped cleanly." in log
    present, buried = destruction_state(engine, expected)  # nothing half-destroyed, nothing lost
    assert present and buried, "the sweep finished before the worker was stopped"
    with engine.connect() as connection:
        record = connection.execute(text("SELECT outcome, finished_at, counts FROM jobrun WHERE job = 'sweep'")).one()
    assert record.outcome == "stopped" and record.finished_at is not None
    assert f'"lead": {len(buried)}' in record.counts  # it committed what it did and says so
    output = run(flask("retention", "sweep"), env)  # its lock was released
    assert f"destroyed {{'lead': {len(present)}}}" in output, output
    assert destruction_state(engine, expected)[0] == set()


def test_sigterm_wakes_an_idle_worker_and_it_exits_at_once(database_url, engine, tmp_path):
    worker = start(flask("worker"), app_env(database_url), tmp_path / "worker.log")
    wait_for(
        lambda: scalar(engine, "SELECT count(*) FROM jobrun WHERE outcome = 'succeeded'") >= 1,
        timeout=60,
        what="the worker's first pass",
    )
    worker.send_signal(signal.SIGTERM)  # it is asleep until its next check, 30 s away
    asked = time.monotonic()
    worker.wait(timeout=10)
    assert worker.returncode == 0 and time.monotonic() - asked < 5
