"""Helpers for tests that run the real commands and servers as processes (crash and concurrency tests).

Waiting here is synchronisation, never a timed assertion: every loop is bounded and fails with a reason.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
TEST_SECRET_KEY = "crash-test-secret-key"


def venv_bin(name: str) -> str:
    """A console script from the interpreter's own environment (the venv running the tests)."""
    return str(Path(sys.executable).parent / name)


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a real app process on the test database."""
    env = {key: value for key, value in os.environ.items() if key not in ("FLASK_APP", "FLASK_DEBUG")}
    env.update(APP_ENV="testing", DATABASE_URL=database_url, SECRET_KEY=TEST_SECRET_KEY, **extra)
    return env


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start a process in the project root, its output going to `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def flask(*args: str) -> list[str]:
    """`flask --app app ARGS` with this environment's flask."""
    return [venv_bin("flask"), "--app", "app", *args]


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, poll: float = 0.02) -> None:
    """Poll `condition` until true; fail after `timeout` seconds saying what never happened."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(poll)


def scalar(engine: Engine, sql: str) -> int:
    """One number from the database, read on a fresh connection (so never from a stale snapshot)."""
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar_one()


def procfile_web_args(port: int, workers: int = 1) -> list[str]:
    """The Procfile's `web:` command as arguments, on `port`, with `workers` workers."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    line = line.removeprefix("web:").replace("${PORT:-8000}", str(port))
    args = shlex.split(line.replace("${WEB_CONCURRENCY:-2}", str(workers)))
    assert args[0] == "gunicorn" and "--access-logfile" in args
    return [venv_bin("gunicorn"), *args[1:]]


def free_port() -> int:
    """A loopback port nobody listens on just now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
