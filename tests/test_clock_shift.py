"""The outside servers a test run starts (Azurite, the OIDC provider) are gone when it ends, even when a wrapper
started them: under `make test-any-date` faketime runs each as its child and waits, and stopping faketime alone
left the servers running after the run (found as stray Node processes on a shared machine)."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from tests import clock_shift


def _running(marker: str) -> list[int]:
    """The processes whose command line contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if marker in line and int(entry.name) != os.getpid():
                found.append(int(entry.name))
    return found


def test_stopping_a_wrapper_ends_what_it_started():
    seconds = f"300.{uuid.uuid4().int % 10**6:06d}"  # a sleep no one else is running
    wrapper = clock_shift.start(["sh", "-c", f"sleep {seconds} & wait"])  # forks and waits, as faketime does
    try:
        deadline = time.monotonic() + 10
        while not _running(f"sleep {seconds}") and time.monotonic() < deadline:
            time.sleep(0.01)  # waiting for sh to fork, not for a clock
        assert _running(f"sleep {seconds}"), "the wrapper's child never started"
    finally:
        clock_shift.stop(wrapper)
    assert _running(f"sleep {seconds}") == []
