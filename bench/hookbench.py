"""The install-notification webhook under a bounded concurrent load, through gunicorn on 127.0.0.1.

gunicorn runs as the Procfile runs it (sync workers, WEB_CONCURRENCY=2); the load is `CONCURRENCY` clients
sending `REQUESTS` distinct notifications a round (70% new events of installations already stored, 30% new
installations), each on its own connection as sync workers close them. The baseline is the same gunicorn
serving bench.wsgi:raw (bare SQL). Only 127.0.0.1 is targeted; every loop is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from bench.generator import ANCHOR
from bench.load import ROOT
from bench.site import query
from bench.stats import Figure, Result, percentile

HOST, WORKERS, CONCURRENCY, REQUESTS = "127.0.0.1", 2, 16, 2000
SECRET = hashlib.sha256(b"bench-webhook-secret").hexdigest()  # loopback only; shaped as production requires
MIN_RPS = 300.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(target: str, url: str) -> Iterator[int]:
    """gunicorn serving `target` on a free loopback port; yields the port."""
    port = _free_port()
    env = {**os.environ, "BENCH_WSGI_DATABASE_URL": url, "BENCH_WSGI_SECRET": SECRET}
    command = [sys.executable, "-m", "gunicorn", "--bind", f"{HOST}:{port}", "--workers", str(WORKERS), target]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    process = subprocess.Popen(command, env=env, cwd=ROOT, **quiet)  # noqa: S603 - our own server, on loopback
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.2):
                break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn ({target}) did not start within 60 seconds")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def bodies(app_ids: list[str], count: int, seed: int) -> list[bytes]:
    """`count` distinct notifications: PATCH events of known installations, or new installs."""
    rng, out = random.Random(seed), []
    for n in range(count):
        at = (ANCHOR - timedelta(seconds=seed * REQUESTS + n, microseconds=rng.randrange(1_000_000))).isoformat()
        if rng.random() < 0.7:
            app_id, kind, state = rng.choice(app_ids), "PATCH", "Succeeded"
        else:
            name = f"bench-{seed}-{n}"
            group = f"/subscriptions/{rng.getrandbits(64):016x}/resourceGroups/rg-{name}"
            app_id = f"{group}/providers/Microsoft.Solutions/applications/{name}"
            kind, state = "PUT", "Accepted"
        plan = {"publisher": "coremem", "product": "radnac", "name": "radnac-managed", "version": "2.5.0"}
        body = {"eventType": kind, "applicationId": app_id, "eventTime": at.replace("+00:00", "Z")}
        out.append(json.dumps({**body, "provisioningState": state, "plan": plan}).encode())
    return out


async def _post(port: int, body: bytes) -> tuple[float, bool]:
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout=30)
        head = f"POST /webhooks/azure/resource?sig={SECRET} HTTP/1.1\r\nHost: {HOST}\r\n"
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        writer.write(head.encode() + body)
        answer = await asyncio.wait_for(reader.read(), timeout=30)
        writer.close()
        ok = answer.startswith(b"HTTP/1.1 200") and b'"already' not in answer
    except (OSError, TimeoutError):
        ok = False
    return (time.perf_counter() - started) * 1000, ok


async def _load(port: int, payloads: list[bytes]) -> tuple[float, list[float], int]:
    """Send every payload with at most CONCURRENCY in flight; (seconds, latencies ms, errors)."""
    queue = iter(payloads)
    latencies: list[float] = []
    errors = 0

    async def client() -> None:
        nonlocal errors
        for body in queue:  # shared iterator: each payload is sent once, then the client stops
            elapsed, ok = await _post(port, body)
            latencies.append(elapsed)
            errors += not ok

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started, latencies, errors


def _round(target: str, url: str, payloads: list[bytes]) -> tuple[float, list[float], int]:
    with gunicorn(target, url) as port:
        asyncio.run(_load(port, payloads[:50]))  # warm the workers (imports, connections)
        seconds, latencies, errors = asyncio.run(_load(port, payloads[50:]))
    return (len(payloads) - 50) / seconds, latencies, errors


def run(url: str, raw_url: str, rounds: int, log: object = print) -> Result:
    """`rounds` rounds on each of the app (`url`) and the raw baseline (`raw_url`), alternating."""
    app_ids = [row[0] for row in query(url, "SELECT application_id FROM installation ORDER BY id DESC LIMIT 5000")]
    rates: dict[str, list[float]] = {"app": [], "raw": []}
    latencies: list[float] = []
    errors = 0
    for n in range(rounds):
        for side, target, database in (("app", "bench.wsgi:app", url), ("raw", "bench.wsgi:raw", raw_url)):
            rate, times, failed = _round(target, database, bodies(app_ids, REQUESTS + 50, seed=2 * n + (side == "raw")))
            rates[side].append(rate)
            if side == "app":
                latencies, errors = latencies + times, errors + failed
            log(f"  webhook {side} round {n + 1}: {rate:.0f} req/s, {failed} errors")  # type: ignore[operator]
    return Result(
        group="webhook",
        name=f"install webhook, {CONCURRENCY} concurrent clients, gunicorn {WORKERS} sync workers",
        unit="req/s",
        app=Figure.of(rates["app"], higher_is_better=True),
        baseline=Figure.of(rates["raw"], higher_is_better=True),
        baseline_name="the same gunicorn serving the storage in bare SQL (bench/wsgi.py:raw)",
        min_median=MIN_RPS,
        extra={
            "requests": len(latencies),
            "errors": errors,
            "latency_median_ms": percentile(latencies, 0.5),
            "latency_p95_ms": percentile(latencies, 0.95),
            "latency_p99_ms": percentile(latencies, 0.99),
        },
    )
