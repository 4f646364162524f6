"""Issue #17, item 5: the Procfile's access log keeps no personal data and no secret. The web command runs
as the Procfile says (its gunicorn options), and its log of a webhook call and a search is read back: no
`sig` secret, no search term, no client address."""

from __future__ import annotations

import http.client
import signal

import pytest

from tests.processes import app_env, free_port, procfile_web_args, start, wait_for

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
