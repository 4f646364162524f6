"""The data generator: every table's rows, in the order they must be loaded (parents first).

Shapes and vocabularies are the demo's (`leads.demo`: countries and names, companies, offers, sources, action
codes, plans, failures). Proportions, for N leads (N = 1,000,000 by default):
- N leads over just under three years (none due yet), ids in arrival order; 1% arrive without personal
  details (.edu), 5% are a returning person (same name and email as an earlier lead), 30% have an owner;
- N installations, one per lead's time (an install follows its lead), 10% confirmed as that lead's, and
  ~3N notifications: 62% installed and updated once or twice since, 18% installed, 12% failed, 8% uninstalled
  (or blocked) in the last 90 days (older uninstalls are already destroyed); caller IPs only on the last 10
  days' notifications. We chose one installation per lead with ~3 notifications each over fewer
  installations with more: it is what a million Marketplace leads that mostly install look like;
- notes on 10% of leads (1-3 each, each audited), 300 support grants (100 open, with messages and held data;
  200 lapsed outlines), 100 legal holds, 50 portability requests from returning people, and tombstones of
  earlier destruction (6% of N installations, 1% of N leads);
- consents on a quarter of leads, only if the schema has issue #5's `consentrecord` table.

`tables(plan, schema)` yields `Table`s lazily; a table's rows may depend on what an earlier one recorded on
the plan (lead times, returning people, grantable installations), so consume them in order.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta

from bench.generator import installs, people, records
from bench.generator.common import ANCHOR, BASE, Plan, Table, ts

__all__ = ["ANCHOR", "CONSENT_TABLE", "Plan", "Table", "tables"]

CONSENT_TABLE = "consentrecord"  # issue #5's table; filled only when the schema has it
CONSENTED = 0.25
TABLES: list[Callable[[Plan], Table]] = [
    people.users,
    people.leads,
    installs.installations,
    installs.events,
    records.notes,
    records.audit,
    records.grants,
    records.communications,
    records.grant_data,
    records.holds,
    records.requests,
    records.request_leads,
    records.tombstones,
]


def tables(plan: Plan, schema: Mapping[str, Mapping[str, str]]) -> Iterator[Table]:
    """Every table's rows; `schema` maps each table in the database to {column: SQL type name}."""
    for make in TABLES:
        yield make(plan)
    if CONSENT_TABLE in schema:
        yield consents(plan, schema[CONSENT_TABLE])


def consents(plan: Plan, columns: Mapping[str, str]) -> Table:
    """A quarter of leads with one recorded consent. The table belongs to another branch, so its columns are
    read from the database and filled by name and type; an unknown NOT NULL text column gets "bench"."""
    rng = random.Random(plan.seed + 7)
    names = tuple(name for name in columns if name != "id")
    known = {"purpose": "marketing", "method": "web_form", "wording_version": "notice-2026-01"}

    def value(name: str, kind: str, lead_id: int) -> object:
        if name == "lead_id":
            return lead_id
        if name.endswith("user_id"):
            return None
        if "BOOL" in kind:
            return 1
        if "TIME" in kind or "DATE" in kind:
            return ts(min(plan.received(lead_id) + timedelta(days=1), BASE))
        if "INT" in kind:
            return 0
        return known.get(name, "system:bench" if name.endswith("_by") else "bench")

    rows = (
        tuple(value(name, columns[name].upper(), lead_id) for name in names)
        for lead_id in range(1, plan.leads + 1)
        if rng.random() < CONSENTED
    )
    return Table(CONSENT_TABLE, names, rows)
