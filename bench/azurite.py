"""Azurite (the Azure Table emulator, npm) on a free loopback port, in memory, filled with lead entities.

Entities are shaped as Partner Center writes them (tests/lead_samples.py): `LeadSource`, `ActionCode`, the
customer as a `CustomerInfo` JSON string, `CreatedTime`; one in a thousand has broken JSON (quarantined).
They are written with batch transactions, 100 per partition, the most one transaction may hold.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from azure.data.tables import TableServiceClient

from bench.generator.common import ANCHOR
from bench.generator.people import person
from leads import demo

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / "node_modules" / ".bin" / "azurite-table"
# Azurite's documented, public development account (not a secret).
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
BATCH = 100


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running() -> Iterator[str]:
    """Start Azurite's table service on 127.0.0.1; yields its connection string; stops it after."""
    if not BINARY.exists():
        raise RuntimeError("Azurite is not installed: run `npm ci` (make bench does)")
    port = _free_port()
    flags = ["--inMemoryPersistence", "--skipApiVersionCheck", "--disableTelemetry", "--silent"]
    command = [str(BINARY), "--tableHost", "127.0.0.1", "--tablePort", str(port), *flags]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        _wait_for(port, process)
        yield (
            f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={ACCOUNT_KEY};"
            f"TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;"
        )
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("Azurite did not start within 30 seconds")


def entity(number: int) -> dict[str, object]:
    """Lead entity `number` (1-based), created some time in the last three years."""
    who = person(number) or (None, None, None, None, None, None, None)
    info = dict(zip(("FirstName", "LastName", "Email", "Country", "Company", "Title", "Phone"), who, strict=True))
    action, _weight = demo.ACTIONS[number % len(demo.ACTIONS)]
    offer, title = demo.OFFERS[number % len(demo.OFFERS)]
    created = ANCHOR - timedelta(minutes=(number * 7919) % (1090 * 24 * 60) + 60)
    customer = json.dumps({k: v for k, v in info.items() if v}, ensure_ascii=False)
    return {
        "PartitionKey": f"bench-{(number - 1) // BATCH:07d}",
        "RowKey": f"lead-{number:09d}",
        "LeadSource": f"AzureMarketplace-{action}|{offer}",
        "ActionCode": action,
        "OfferDisplayName": title,
        "PublisherDisplayName": "coreMem Limited",
        "Description": "Customer clicked Get It Now",
        "CreatedTime": created.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "CustomerInfo": customer[:-1] if number % 1000 == 0 else customer,  # one in a thousand: broken JSON
    }


def fill(connection_string: str, table: str, count: int) -> float:
    """Create `table` and write `count` entities in batch transactions; returns the seconds it took."""
    started = time.perf_counter()
    client = TableServiceClient.from_connection_string(connection_string).create_table(table)
    for first in range(1, count + 1, BATCH):
        batch = [("create", entity(n)) for n in range(first, min(first + BATCH, count + 1))]
        client.submit_transaction(batch)
    client.close()
    return time.perf_counter() - started
