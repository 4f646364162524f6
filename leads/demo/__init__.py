"""Synthetic demo data: realistic leads and install histories, relative to `now`, deterministic by seed.

Spread over just under three years, so some leads are days from their 3-year destruction, and with
uninstalls up to 89 days ago, so some install records are days from their 90-day destruction.
"""

from __future__ import annotations

import json
import random
import unicodedata
import uuid
from datetime import datetime, timedelta

from sqlmodel import Session, select

from leads.demo import consent, support
from leads.models import (
    Installation,
    InstallEvent,
    Lead,
    LegalHold,
)
from leads.people import subjects
from leads.rules import lifecycle
from leads.staff import audit

DEMO_PARTITION = "demo"
LEAD_COUNT = 600
INSTALL_COUNT = 240
PEOPLE = {
    "United Kingdom": (
        ["Oliver", "Amelia", "Harry", "Isla", "Siobhán", "Rhys"],
        ["Smith", "Jones", "O'Brien", "Patel"],
    ),
    "Germany": (["Lukas", "Mia", "Jürgen", "Sophie"], ["Müller", "Schmidt", "Weiß", "Köhler"]),
    "France": (["Chloé", "Louis", "Élodie", "Hugo"], ["Martin", "Bernard", "Lefèvre", "Dubois"]),
    "United States": (["James", "Emma", "Liam", "Olivia", "Noah"], ["Johnson", "Williams", "Brown", "Garcia"]),
    "Japan": (["Haruto", "Yui", "Sota", "Aoi"], ["Sato", "Suzuki", "Takahashi", "Tanaka"]),
    "India": (["Aarav", "Diya", "Vivaan", "Ananya"], ["Sharma", "Iyer", "Reddy", "Nair"]),
    "Brazil": (["João", "Ana", "Luís", "Beatriz"], ["Silva", "Santos", "Oliveira", "Conceição"]),
    "Denmark": (["Søren", "Freja", "Mads", "Ida"], ["Jørgensen", "Nielsen", "Hansen", "Larsen"]),
}
COMPANIES = [
    "Contoso Ltd",
    "Fabrikam Inc",
    "Northwind Traders",
    "Tailspin Toys",
    "Adatum Corp",
    "Litware",
    "Woodgrove Bank",
    "Proseware",
    "Wide World Importers",
    "Fourth Coffee",
    None,
]
TITLES = ["Network Engineer", "IT Manager", "CISO", "Cloud Architect", "Security Analyst", "CTO", None]
OFFERS = [
    ("coremem.radnac", "RADNAC"),
    ("coremem.radnac-enterprise", "RADNAC Enterprise"),
    ("coremem.radnac-trial", "RADNAC Trial"),
]
SOURCES = ["AzureMarketplace", "AzurePortal", "AppSource (SPZA)"]
ACTIONS = [("INS", 40), ("PLT", 25), ("Create", 20), ("StartTestDrive", 8), ("DNC", 7)]
PLANS = [
    ("radnac-locked", "2.4.1"),
    ("radnac-managed", "2.4.1"),
    ("radnac-locked", "2.3.0"),
    ("radnac-managed", "2.5.0"),
]
FAILURES = [
    (
        "DeploymentFailed",
        "At least one resource deployment operation failed.",
        [
            {
                "code": "QuotaExceeded",
                "message": "Operation results in exceeding approved Total Regional Cores quota.",
            }
        ],
    ),
    (
        "DeploymentFailed",
        "At least one resource deployment operation failed.",
        [
            {
                "code": "SkuNotAvailable",
                "message": "The requested VM size Standard_D4s_v5 is not available in location 'uksouth'.",
            }
        ],
    ),
    (
        "InvalidTemplateDeployment",
        "The template deployment failed because of policy violation.",
        [{"code": "RequestDisallowedByPolicy", "message": "Resource 'radnac-vnet' was disallowed by policy."}],
    ),
    ("ResourceGroupBeingDeleted", "The resource group is being deleted.", []),
]


def is_loaded(*, session: Session) -> bool:
    """Whether demo data is already in the database."""
    return session.exec(select(Lead.id).where(Lead.source_partition_key == DEMO_PARTITION).limit(1)).first() is not None


def load(*, session: Session, now: datetime, seed: int = 2026) -> tuple[int, int]:
    """Insert the demo leads and installations unless present; returns (leads, installations) added. Commits."""
    if is_loaded(session=session):
        return 0, 0
    rng = random.Random(seed)  # nosec B311 # synthetic demo data, deterministic on purpose, no secrets
    leads = [_lead(rng, now, i) for i in range(LEAD_COUNT)]
    for lead in leads:  # one at a time, as each was saved: people are numbered in the order of their leads
        subjects.file_leads(session=session, leads=[lead])
    session.add_all(leads)
    session.flush()
    installs = 0
    for i in range(INSTALL_COUNT):
        _installation(session, rng, now, i)
        installs += 1
    support.sync_history(session=session, now=now, partition=DEMO_PARTITION)
    support.support_access(session=session, now=now, leads=leads)
    session.add(_hold(leads[0], now))
    session.flush()
    consent.load(session=session, leads=leads, now=now)
    loaded = {"leads": len(leads), "installations": installs}
    audit.commit(session=session, at=now, actor="system:demo", action="demo.load", details=loaded)
    return len(leads), installs


def _hold(lead: Lead, now: datetime) -> LegalHold:
    """One lead near its deadline is on legal hold, so staff can see what a hold looks like."""
    return LegalHold(
        record_type="lead",
        record_id=lead.id,
        reason="Demo: claim ref. C-2026-014 in progress",
        placed_by="system:demo",
        placed_at=now - timedelta(days=3),
    )


def _lead(rng: random.Random, now: datetime, i: int) -> Lead:
    # The first dozen sit days from their 3-year limit (1095 days is never more than 3 calendar years).
    age = timedelta(days=1095 - 2 - i) if i < 12 else timedelta(minutes=rng.randint(60, 1090 * 24 * 60))
    created = now - age
    action = rng.choices([a for a, _ in ACTIONS], weights=[w for _, w in ACTIONS])[0]
    offer, offer_title = rng.choice(OFFERS)
    source = rng.choice(SOURCES)
    lead = Lead(
        source_partition_key=DEMO_PARTITION,
        source_row_key=f"demo-{i:05d}",
        offer=offer,
        offer_title=offer_title,
        lead_source=f"{source}-{action}|{offer}",
        source_channel=source,
        action_code=action,
        description=f"{offer_title} {'trial' if action == 'StartTestDrive' else 'deployment'} interest",
        created_at_ms=created,
        first_seen_at=created + timedelta(minutes=rng.randint(1, 90)),
        received_at=created,
        source_timestamp=created,
        is_dnc=action == "DNC",
        nurture_status=rng.choice(["new", "new", "contacted", "qualified", "customer", "lost"]),
    )
    if i % 97 == 5:  # .edu leads arrive without personal information
        lead.company = "University"
        lead.nurture_status = "new"
        return lead
    _personal(rng, lead, i)
    return lead


def _personal(rng: random.Random, lead: Lead, i: int) -> None:
    """Give lead number i a person: name and country, an email at their company, a job title, maybe a phone."""
    country = rng.choice(list(PEOPLE))
    firsts, lasts = PEOPLE[country]
    lead.first_name, lead.last_name, lead.country = rng.choice(firsts), rng.choice(lasts), country
    company = rng.choice(COMPANIES)
    domain = (company or "mail").split()[0].lower()
    lead.email = f"{_ascii(lead.first_name)}.{_ascii(lead.last_name)}{i}@{domain}.example"
    lead.company, lead.job_title = company, rng.choice(TITLES)
    lead.phone = f"+44 20 7946 {rng.randint(0, 9999):04d}" if rng.random() < 0.5 else None


def _ascii(text: str | None) -> str:
    """An email-safe spelling: accents dropped (Zoë -> zoe), other letters removed."""
    decomposed = unicodedata.normalize("NFKD", (text or "x").lower().replace("ø", "o"))
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum()) or "x"


def _installation(session: Session, rng: random.Random, now: datetime, i: int) -> None:
    sub = str(uuid.UUID(int=rng.getrandbits(128)))
    name = f"radnac-{i:04d}"
    app_id = f"/subscriptions/{sub}/resourceGroups/rg-radnac-{i:04d}/providers/Microsoft.Solutions/applications/{name}"
    plan, version = rng.choice(PLANS)
    start = now - timedelta(minutes=rng.randint(60, 1150 * 24 * 60))
    story = _story(rng, now, i, start)
    installation = Installation(
        application_id=app_id,
        subscription_id=sub,
        resource_group=f"rg-radnac-{i:04d}",
        application_name=name,
        state="installing",
        plan_publisher="coremem",
        plan_product="radnac",
        plan_name=plan,
        plan_version=version,
        first_event_at=story[0][2],
        last_event_at=story[-1][2],
    )
    session.add(installation)
    session.flush()
    for event_type, state, at in story:
        session.add(_event(rng, installation, event_type, state, at, now))
    _settle(installation, story)


def _settle(installation: Installation, story: list[tuple[str, str, datetime]]) -> None:
    """The installation's state, uninstall and clock as its notifications derive them, and its last failure."""
    result = lifecycle.derive(lifecycle.Observed(t, s, at) for t, s, at in story)
    installation.state, installation.uninstalled_at = result.state, result.uninstalled_at
    installation.clock_started_at = result.clock_started_at
    failed = [e for e in story if e[1] == "Failed"]
    if failed:
        installation.last_error_code, installation.last_error_message = FAILURES[installation.id % len(FAILURES)][:2]


def _story(rng: random.Random, now: datetime, i: int, start: datetime) -> list[tuple[str, str, datetime]]:
    """A plausible sequence of (eventType, provisioningState, eventTime) for installation number i."""
    kind = i % 8
    done = start + timedelta(minutes=rng.randint(4, 25))
    if kind == 0 and i % 40 == 0:  # a few still installing: accepted in the last hour
        return [("PUT", "Accepted", now - timedelta(minutes=rng.randint(2, 50)))]
    if kind == 1:
        return [("PUT", "Accepted", start), ("PUT", "Failed", done)]
    if kind in (2, 3):  # uninstalled within the last 89 days; a few are days from the 90-day limit
        gone = now - timedelta(days=89 - (i % 12) if i < 24 else rng.randint(1, 88), hours=rng.randint(0, 20))
        start = min(start, gone - timedelta(days=30))
        return [
            ("PUT", "Accepted", start),
            ("PUT", "Succeeded", start + timedelta(minutes=12)),
            ("DELETE", "Deleting", gone),
            ("DELETE", "Deleted", gone + timedelta(minutes=rng.randint(3, 40))),
        ]
    if kind == 4:
        gone = now - timedelta(days=rng.randint(1, 20))
        start = min(start, gone - timedelta(days=10))
        return [
            ("PUT", "Accepted", start),
            ("PUT", "Succeeded", start + timedelta(minutes=9)),
            ("DELETE", "Deleting", gone),
            ("DELETE", "Failed", gone + timedelta(minutes=5)),
        ]
    story = [("PUT", "Accepted", start), ("PUT", "Succeeded", done)]
    if kind == 5:
        story.append(("PATCH", "Succeeded", done + timedelta(days=rng.randint(1, 30))))
    return story


def _event(
    rng: random.Random, installation: Installation, event_type: str, state: str, at: datetime, now: datetime
) -> InstallEvent:
    code, message, details = FAILURES[installation.id % len(FAILURES)] if state == "Failed" else (None, None, None)
    recent = now - at < timedelta(days=10)  # older caller addresses have already been destroyed
    return InstallEvent(
        installation_id=installation.id,
        dedupe_key=uuid.UUID(int=rng.getrandbits(128)).hex,
        event_type=event_type,
        provisioning_state=state,
        event_time=at,
        error_code=code,
        error_message=message,
        error_details=json.dumps(details) if details is not None else None,
        plan_publisher=installation.plan_publisher,
        plan_product=installation.plan_product,
        plan_name=installation.plan_name,
        plan_version=installation.plan_version,
        billing_resource_usage_id=uuid.UUID(int=rng.getrandbits(128)).hex,
        received_at=at + timedelta(seconds=rng.randint(1, 30)),
        caller_ip=f"20.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}" if recent else None,
    )
