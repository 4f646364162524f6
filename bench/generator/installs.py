"""Installations and their notifications: one installation per lead's time, 2-4 notifications each (~3N)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from bench.generator.common import BASE, Plan, Table, hexkey, ts
from bench.generator.people import NO_DETAILS, person
from leads import demo
from leads.models import INSTALL_SEARCH_KEYS, Lead, linked_lead_keys, own_keys
from leads.rules import lifecycle

LINKED = 0.10  # installations staff confirmed as their lead's
KINDS, KIND_WEIGHTS = ["updated", "installed", "failed", "uninstalled", "uninstall_failed"], [62, 18, 12, 6, 2]
INSTALLATION_COLUMNS = (
    *("id", "application_id", "subscription_id", "resource_group", "application_name", "state", "plan_publisher"),
    *("plan_product", "plan_name", "plan_version", "application_definition_id", "first_event_at", "last_event_at"),
    *("uninstalled_at", "last_error_code", "last_error_message", "lead_id", "clock_started_at"),
    *INSTALL_SEARCH_KEYS,  # as the app writes them (migration 0026): own names folded, the linked lead's name
)
EVENT_COLUMNS = (
    *("installation_id", "dedupe_key", "event_type", "provisioning_state", "event_time", "error_code"),
    *("error_message", "error_details", "plan_publisher", "plan_product", "plan_name", "plan_version"),
    *("application_definition_id", "billing_resource_usage_id", "received_at", "caller_ip"),
)
Story = list[tuple[str, str, datetime]]


def _story(rng: random.Random, start: datetime) -> Story:
    """A plausible sequence of (eventType, provisioningState, eventTime): installed, most updated once or twice
    since, some failed; uninstalls fall in the last 90 days, because older ones have already been destroyed."""
    kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
    done = start + timedelta(minutes=rng.randint(4, 25))
    if kind == "failed":
        return [("PUT", "Accepted", start), ("PUT", "Failed", done)]
    story = [("PUT", "Accepted", start), ("PUT", "Succeeded", done)]
    gone = BASE - timedelta(days=rng.uniform(1, 89))
    if kind in ("uninstalled", "uninstall_failed") and gone > done + timedelta(days=1):
        end = ("Deleted", rng.randint(3, 40)) if kind == "uninstalled" else ("Failed", 5)
        return [*story, ("DELETE", "Deleting", gone), ("DELETE", end[0], gone + timedelta(minutes=end[1]))]
    updates = [done + timedelta(days=rng.uniform(1, 300)), done + timedelta(days=rng.uniform(300, 700))]
    for patched in updates[: 2 if rng.random() < 0.9 else 1] if kind != "installed" else []:
        if patched < BASE - timedelta(minutes=30):  # updates still to come are not in the data yet
            story.append(("PATCH", "Succeeded", patched))
    return story


def _installations(plan: Plan) -> Iterator[tuple[int, Story]]:
    """(id, story), the same on every pass: both tables walk it, each with its own random source for the rest."""
    rng = random.Random(plan.seed + 1)
    for i in range(1, plan.installations + 1):
        start = min(plan.received(i) + timedelta(minutes=rng.randint(5, 600)), BASE - timedelta(hours=2))
        yield i, _story(rng, start)


def installations(plan: Plan) -> Table:
    """One row per installation, its state derived from its story as the app derives it."""
    rng = random.Random(plan.seed + 2)
    rows = (_installation(plan, rng, *item) for item in _installations(plan))
    return Table("installation", INSTALLATION_COLUMNS, rows)


def _installation(plan: Plan, rng: random.Random, i: int, story: Story) -> tuple:
    sub = f"{rng.getrandbits(128):032x}"
    sub = f"{sub[:8]}-{sub[8:12]}-{sub[12:16]}-{sub[16:20]}-{sub[20:]}"
    name, group = f"radnac-{i:07d}", f"rg-radnac-{i:07d}"
    plan_name, version = demo.PLANS[i % len(demo.PLANS)]
    derived = lifecycle.derive(lifecycle.Observed(t, s, at) for t, s, at in story)
    failure = demo.FAILURES[i % len(demo.FAILURES)] if any(s == "Failed" for _, s, _ in story) else (None, None)
    if derived.state == "installed" and plan_name == "radnac-managed" and len(plan.grantable) < 5000:
        plan.grantable.append(i)
    lead_id = i if rng.random() < LINKED or i in plan.requested else None
    who = (person(plan.numbers[i - 1]) or NO_DETAILS) if lead_id else None  # lead i, as `people.leads` wrote it
    linked = Lead(first_name=who[0], last_name=who[1], company=who[4]) if who else None
    keys = {
        **own_keys(application_name=name, resource_group=group, subscription_id=sub),
        **linked_lead_keys(linked),
    }
    return (
        i,
        f"/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.Solutions/applications/{name}",
        *(sub, group, name, derived.state, "coremem", "radnac", plan_name, version, None),
        *(ts(story[0][2]), ts(story[-1][2])),
        ts(derived.uninstalled_at.replace(tzinfo=None)) if derived.uninstalled_at else None,
        *(failure[0], failure[1], lead_id),
        ts(derived.clock_started_at.replace(tzinfo=None)) if derived.clock_started_at else None,
        *(keys[column] for column in INSTALL_SEARCH_KEYS),
    )


def events(plan: Plan) -> Table:
    """Every notification of every installation (ids left to the database)."""
    rng = random.Random(plan.seed + 3)
    return Table("installevent", EVENT_COLUMNS, (row for item in _installations(plan) for row in _events(rng, *item)))


def _events(rng: random.Random, i: int, story: Story) -> Iterator[tuple]:
    plan_name, version = demo.PLANS[i % len(demo.PLANS)]
    code, message, details = demo.FAILURES[i % len(demo.FAILURES)]
    for event_type, state, at in story:
        failed = state == "Failed"
        received = at + timedelta(seconds=rng.randint(1, 30))
        recent = BASE - received < timedelta(days=10)  # older caller addresses are already destroyed
        ip = f"20.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randint(1, 254)}" if recent else None
        yield (
            *(i, hexkey(rng), event_type, state, ts(at), code if failed else None, message if failed else None),
            json.dumps(details) if failed else None,
            *("coremem", "radnac", plan_name, version, None, hexkey(rng, 128), ts(received), ip),
        )
