"""Job locks: one live holder at a time, and a killed holder's lock is free the instant it dies."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from leads import db
from leads.jobs import locks
from tests.processes import ROOT, wait_for

HOLD_FOREVER = """
import sys, time
from leads import db
from leads.jobs import locks
lock = locks.try_acquire(engine=db.make_engine(sys.argv[1]), name="job")
print("locked" if lock else "refused", flush=True)
time.sleep(600)
"""


@pytest.fixture
def engine(database_url):
    engine = db.make_engine(database_url)
    yield engine
    engine.dispose()


def test_one_holder_at_a_time_until_released(engine):
    first = locks.try_acquire(engine=engine, name="job")
    assert first is not None and first.held()
    assert locks.try_acquire(engine=engine, name="job") is None  # a second connection / descriptor: refused
    assert locks.is_held(engine=engine, name="job")
    assert locks.try_acquire(engine=engine, name="job") is None  # the probe did not take or free it
    first.release()
    first.release()  # idempotent
    assert not first.held() and not locks.is_held(engine=engine, name="job")
    again = locks.try_acquire(engine=engine, name="job")
    assert again is not None
    again.release()


def test_locks_are_independent_by_name(engine):
    one, two = locks.try_acquire(engine=engine, name="one"), locks.try_acquire(engine=engine, name="two")
    assert one is not None and two is not None
    one.release()
    two.release()


@pytest.mark.stress
def test_a_killed_holders_lock_is_free_at_once(database_url, engine):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_FOREVER, database_url], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert locks.try_acquire(engine=engine, name="job") is None
        assert locks.is_held(engine=engine, name="job")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        holder.stdout.close()
    if engine.dialect.name == "postgresql":  # the server notices the closed socket as it happens, not before
        wait_for(lambda: not locks.is_held(engine=engine, name="job"), timeout=5, what="the server to drop it")
    lock = locks.try_acquire(engine=engine, name="job")
    assert lock is not None, "a dead process's lock must not keep the next holder out"
    lock.release()


def test_sqlite_locks_live_in_a_file_beside_the_database(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    assert locks.lock_file(engine, "sweep") == tmp_path / "app.db.sweep.lock"
    engine.dispose()


def test_the_advisory_key_is_stable_and_fits_a_positive_bigint():
    assert locks.advisory_key("sweep") == locks.advisory_key("sweep") != locks.advisory_key("sync")
    assert 0 < locks.advisory_key("sweep") < 2**63
