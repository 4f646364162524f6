"""Crashes: the real `leads sync` and `retention sweep` commands SIGKILLed mid-run, then run again.

Nothing may be lost, duplicated or half-done: every lead lands exactly once; every expired lead is
destroyed exactly once, with exactly one tombstone, and at no moment does a lead exist beside its tombstone.
"""

from __future__ import annotations

import signal
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, text, update

from leads import db
from leads.ingest import tombstones
from leads.models import JobLease, Lead
from tests.lead_samples import customer_info, entity
from tests.processes import ROOT, TEST_SECRET_KEY, app_env, flask, scalar, start, wait_for

pytestmark = pytest.mark.stress
LEADS = 3000


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


def insert_expired_leads(engine, count: int) -> list[tuple[str, str]]:
    """`count` leads received four years ago (the subprocess judges by the real clock); their source keys."""
    received = datetime.now(UTC) - timedelta(days=4 * 365)
    keys = [(f"2022-11-{n // 100:03d}", f"row-{n:05d}") for n in range(count)]
    rows = [
        {"source_partition_key": pk, "source_row_key": rk, "email": f"old{n}@contoso.example"}
        | {"first_seen_at": received, "received_at": received, "is_dnc": False, "is_test": False}
        | {"nurture_status": "new"}
        for n, (pk, rk) in enumerate(keys)
    ]
    with engine.begin() as connection:
        connection.execute(insert(Lead), rows)
    return keys


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


def test_a_killed_sweep_resumes_and_destroys_each_lead_exactly_once(database_url, engine, tmp_path):
    keys = insert_expired_leads(engine, LEADS)
    expected = {tombstones.source_key_hash(TEST_SECRET_KEY, pk, rk): (pk, rk) for pk, rk in keys}
    env = app_env(database_url)

    first = start(flask("retention", "sweep", "--batch-size", "10"), env, tmp_path / "first-sweep.log")
    wait_for(
        lambda: scalar(engine, "SELECT count(*) FROM tombstone") >= LEADS // 3, timeout=60, what="a third destroyed"
    )
    kill(first)
    present, buried = destruction_state(engine, expected)
    assert present and buried, "the sweep finished before it could be killed"
    print(f"sweep SIGKILLed with {len(buried)} of {LEADS} leads destroyed")  # figures for SECURITY.md (pytest -s)

    assert "Another sweeper is running" in run(flask("retention", "sweep"), env)  # the dead sweeper's lease holds
    with engine.begin() as connection:  # ... until it expires (LEASE_TTL later): jump there
        connection.execute(update(JobLease).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    output = run(flask("retention", "sweep"), env)
    assert f"destroyed {{'lead': {len(present)}}}" in output
    present, buried = destruction_state(engine, expected)
    assert present == set() and buried == set(expected)
    assert scalar(engine, "SELECT count(*) FROM auditevent WHERE action = 'retention.sweep'") == 1
