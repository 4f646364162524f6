"""Issue #17, item 5: the Procfile's access log keeps no personal data and no secret. The web command runs
as the Procfile says (its gunicorn options), and its log of a webhook call and a search is read back: no
`sig` secret, no search term, no client address."""

from __future__ import annotations

import http.client
import os
import shlex
import signal
import subprocess
from pathlib import Path

import pytest

from leads.db import make_engine
from tests.processes import ROOT, app_env, flask, free_port, procfile_web_args, scalar, start, venv_bin, wait_for

SECRET = "3f0c9a7e-webhook-secret-in-the-query"
TERM = "jane.doe%40contoso.example"


def request(port: int, method: str, path: str, body: str | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
        return connection.getresponse().status
    except OSError:
        return 0
    finally:
        connection.close()


@pytest.mark.stress
def test_the_access_log_has_no_query_strings_and_no_client_addresses(database_url, tmp_path):
    port, log = free_port(), tmp_path / "web.log"
    server = start(procfile_web_args(port), app_env(database_url, WEBHOOK_SECRET=SECRET), log)
    try:
        wait_for(lambda: request(port, "GET", "/healthz") == 200, timeout=60, what="gunicorn to answer", poll=0.1)
        assert request(port, "POST", f"/webhooks/azure/resource?sig={SECRET}", body="{}") == 400
        assert request(port, "GET", f"/leads?q={TERM}") in (302, 303)  # not logged in: to the login page
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    written = log.read_text()
    assert '"POST /webhooks/azure/resource HTTP/1.1" 400' in written and '"GET /leads HTTP/1.1"' in written
    for kept_out in (SECRET, "sig=", "jane.doe", "contoso", "q=", "127.0.0.1 "):
        assert kept_out not in written


def make_run_command() -> list[str]:
    """The command `make run` ends with, as make would run it (`make -n` prints it without running anything)."""
    printed = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    [line] = [line for line in printed.splitlines() if "honcho start" in line]
    return shlex.split(line)


@pytest.mark.stress
def test_make_run_runs_the_procfiles_web_and_worker(database_url, tmp_path):
    """Issue #27, 4: `make run` started the development server only, so the worker never ran and /admin/jobs
    said every job had never run. It now runs the Procfile's web and worker; both are seen working."""
    command = make_run_command()
    assert command[-2:] == ["web", "worker"] and "--port" in command
    port, log = free_port(), tmp_path / "run.log"
    subprocess.run(flask("db", "upgrade"), cwd=ROOT, env=app_env(database_url), check=True, capture_output=True)
    honcho = [venv_bin("honcho"), "start", "--port", str(port), "web", "worker"]
    env = app_env(database_url, PATH=f"{Path(venv_bin('flask')).parent}:{os.environ['PATH']}", WEB_CONCURRENCY="1")
    processes = start(honcho, env, log)
    engine = make_engine(database_url)
    try:
        wait_for(lambda: request(port, "GET", "/healthz") == 200, timeout=60, what="the web process", poll=0.1)
        # The sweep and the grant lapse run at once (the sync is skipped: no Azure connection string here).
        ran = "SELECT count(DISTINCT job) FROM jobrun WHERE finished_at IS NOT NULL"
        wait_for(lambda: scalar(engine, ran) >= 2, timeout=60, what="the worker's first runs", poll=0.2)
    finally:
        processes.send_signal(signal.SIGINT)  # Ctrl-C, as a person at `make run` stops it
        processes.wait(timeout=30)
        engine.dispose()
    written = log.read_text()
    assert "web.1 started" in written and "worker.1 started" in written
