"""`make test-any-date` moves the wall clock of the whole test run by RADNAC_TEST_SHIFT (e.g. `+548d`).

Python processes move through tests/shifted_clock/sitecustomize.py (on PYTHONPATH); this moves the Node ones
(Azurite, the OIDC provider) with Debian's faketime, whose monotonic clock stays real so their timers keep
real time. Without the variable both functions return what they were given.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from typing import Any

SHIFT = os.environ.get("RADNAC_TEST_SHIFT", "")


def node_command(args: list[str]) -> list[str]:
    """`args` run under faketime moved by the run's shift (the command unchanged when there is none)."""
    if not SHIFT:
        return args
    faketime = shutil.which("faketime")
    if faketime is None:
        raise RuntimeError("RADNAC_TEST_SHIFT needs Debian's faketime: make test-any-date installs it")
    return [faketime, "-f", SHIFT, *args]


def node_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a Node process: with a shift, faketime leaves its monotonic clock alone."""
    env = dict(os.environ if env is None else env)
    if SHIFT:
        env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
    return env


def start(args: list[str], **options: Any) -> subprocess.Popen:
    """`args` started in a process group of their own, so `stop` ends whatever they started: faketime runs the
    command as its child and waits, and stopping faketime alone left the Node server running after the tests."""
    return subprocess.Popen(args, start_new_session=True, **options)


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """End `process` and everything in its group (SIGTERM, then SIGKILL after `timeout` seconds)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError):  # a child of the wrapper may outlive it by a moment
        os.killpg(process.pid, signal.SIGKILL)
