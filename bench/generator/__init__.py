"""The data generator: every table's rows, in the order they must be loaded (parents first).

Shapes and vocabularies are the demo's (`leads.demo`: countries and names, companies, offers, sources, action
codes, plans, failures). Proportions, for N leads (N = 1,000,000 by default):
- N leads over just under three years (none due yet), ids in arrival order; 1% arrive without personal
  details (.edu), 5% are a returning person (same name and email as an earlier lead; 2-3 leads a person),
  30% have an owner. Every lead belongs to a person, grouped by normalised email as migration 0011 does
  (~0.95N people);
- N installations, one per lead's time (an install follows its lead), 10% confirmed as that lead's, and
  ~3N notifications: 62% installed and updated once or twice since, 18% installed, 12% failed, 8% uninstalled
  (or blocked) in the last 90 days (older uninstalls are already destroyed); caller IPs only on the last 10
  days' notifications. We chose one installation per lead with ~3 notifications each over fewer
  installations with more: it is what a million Marketplace leads that mostly install look like;
- notes on 10% of leads (1-3 each, each audited), one in ten with a follow-up (mostly done, some overdue,
  the last week's due); 3 views of each lead's page in the audit trail (~3.2N audit events);
- marketing consent for a quarter of people (15% of them withdrawn later);
- 300 support grants (100 open, with messages and held data; 200 lapsed outlines), 100 legal holds, 50
  portability requests from returning people with their steps, 30 days of job runs, each plan's permission
  model, and tombstones of earlier destruction (6% of N installations, 1% of N leads).

`tables(plan, schema)` yields `Table`s lazily; a table's rows may depend on what an earlier one recorded on
the plan (lead times, people, grantable installations), so consume them in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from bench.generator import installs, people, records
from bench.generator.common import ANCHOR, BASE, Plan, Table, ts

__all__ = ["ANCHOR", "BASE", "Plan", "Table", "tables", "ts"]

TABLES: list[Callable[[Plan], Table]] = [
    people.users,
    people.persons,
    people.leads,
    installs.installations,
    installs.events,
    records.notes,
    records.audit,
    records.consents,
    records.grants,
    records.communications,
    records.grant_data,
    records.holds,
    records.plan_permissions,
    records.requests,
    records.request_leads,
    records.request_steps,
    records.jobruns,
    records.tombstones,
]


def tables(plan: Plan, schema: Mapping[str, Mapping[str, str]]) -> Iterator[Table]:
    """Every table's rows, for the tables the migrated `schema` ({table: {column: SQL type}}) has."""
    for make in TABLES:
        table = make(plan)
        if table.name in schema:
            yield table
