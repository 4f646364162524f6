"""What gunicorn serves in the webhook benchmark: `bench.wsgi:app` (the real app) or `bench.wsgi:raw` (the same
storage in bare SQL). Both read BENCH_WSGI_DATABASE_URL and BENCH_WSGI_SECRET from the environment.

The raw baseline does what the webhook must at the least: check the sig, decode the JSON, and in one
transaction skip a notification already stored (by its dedupe key), find or create the installation, insert
the event and move the installation's last-event time. It skips the app's schema validation and lifecycle.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from bench.site import Bare, bench_app

URL = os.environ.get("BENCH_WSGI_DATABASE_URL", "")
SECRET = os.environ.get("BENCH_WSGI_SECRET", "")


def _app() -> Any:
    return bench_app(URL, WEBHOOK_SECRET=SECRET) if URL else None


app = _app()
_bare: Bare | None = None


def raw(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The bare-SQL webhook (see the module docstring)."""
    global _bare
    sig = parse_qs(environ.get("QUERY_STRING", "")).get("sig", [""])[0]
    if not hmac.compare_digest(sig.encode(), SECRET.encode()):
        return _answer(start_response, "401 Unauthorized", b'{"status": "rejected"}')
    body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    _bare = _bare or Bare(URL)
    stored = _store(_bare, body, environ.get("REMOTE_ADDR"))
    return _answer(start_response, "200 OK", b'{"status": "stored"}' if stored else b'{"status": "already"}')


def _answer(start_response: Callable[..., Any], status: str, body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _store(bare: Bare, body: dict[str, Any], ip: str | None) -> bool:
    sqlite = bare.url.startswith("sqlite")
    mark = "?" if sqlite else "%s"
    app_id = "/" + body["applicationId"].strip("/")
    at = body["eventTime"].replace("Z", "+00:00")
    at = at.replace("T", " ")[:26] if sqlite else at
    identity = [app_id.lower(), body["eventType"], body["provisioningState"], at]
    key = hashlib.sha256(json.dumps(identity).encode()).hexdigest()
    cursor = bare.connection.cursor()
    cursor.execute(f"SELECT id FROM installevent WHERE dedupe_key = {mark}", (key,))
    if cursor.fetchone():
        bare.connection.rollback()
        return False
    cursor.execute(f"SELECT id FROM installation WHERE application_id = {mark}", (app_id,))
    found = cursor.fetchone()
    if found is None:
        parts = app_id.strip("/").split("/")
        cursor.execute(
            "INSERT INTO installation (application_id, subscription_id, resource_group, application_name, state, "
            f"first_event_at, last_event_at) VALUES ({mark}, {mark}, {mark}, {mark}, 'installing', {mark}, {mark}) "
            "RETURNING id",
            (app_id, parts[1], parts[3], parts[7], at, at),
        )
        found = cursor.fetchone()
    plan = body.get("plan") or {}
    cursor.execute(
        "INSERT INTO installevent (installation_id, dedupe_key, event_type, provisioning_state, event_time, "
        "plan_publisher, plan_product, plan_name, plan_version, received_at, caller_ip) VALUES "
        f"({', '.join([mark] * 11)})",
        (
            *(found[0], key, body["eventType"], body["provisioningState"], at, plan.get("publisher")),
            *(plan.get("product"), plan.get("name"), plan.get("version"), at, ip),
        ),
    )
    cursor.execute(f"UPDATE installation SET last_event_at = {mark} WHERE id = {mark}", (at, found[0]))
    bare.connection.commit()
    return True
