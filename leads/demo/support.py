"""Demo data beyond leads and installs: a sync run with a quarantine, plan permissions, linked installations
and support access grants (one lapsing soon, one fresh, one lapsed), relative to `now`."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from leads.grants import grants
from leads.models import (
    GrantCommunication,
    GrantData,
    Installation,
    Lead,
    PlanPermission,
    QuarantinedEntity,
    SupportGrant,
    SyncRun,
)

#: Two entities a sync could not read, and why (the sync page shows what quarantine is for).
QUARANTINED = [
    (
        "demo-q1",
        "CustomerInfo is not valid JSON (Expecting ',' delimiter at character 41)",
        {
            "LeadSource": "AzureMarketplace-INS|coremem.radnac",
            "CustomerInfo": '{"FirstName": "Ana" "LastName": "Silva"}',
        },
    ),
    (
        "demo-q2",
        "unknown action code 'Subscribe'; expected one of INS, PLT, DNC, Create, StartTestDrive",
        {"LeadSource": "AzurePortal-Subscribe|coremem.radnac", "ActionCode": "Subscribe"},
    ),
]


def sync_history(*, session: Session, now: datetime, partition: str) -> None:
    """A finished sync run and two quarantined entities, so the admins' sync page shows what it is for."""
    session.add(
        SyncRun(
            started_at=now - timedelta(minutes=7),
            finished_at=now - timedelta(minutes=6),
            status="succeeded",
            since=now - timedelta(minutes=25),
            high_watermark=now - timedelta(minutes=8),
            pages=1,
            new=4,
            updated=1,
            unchanged=37,
            quarantined=2,
            skipped=0,
        )
    )
    _quarantine(session, now, partition)


def _quarantine(session: Session, now: datetime, partition: str) -> None:
    """The quarantined entities, first seen 30 hours ago and seen again by the last run."""
    for row_key, reason, raw in QUARANTINED:
        session.add(
            QuarantinedEntity(
                partition_key=partition,
                row_key=row_key,
                reason=reason,
                raw=json.dumps(raw),
                first_seen_at=now - timedelta(hours=30),
                clock_started_at=now - timedelta(hours=30),
                last_seen_at=now - timedelta(minutes=6),
            )
        )


def support_access(*, session: Session, now: datetime, leads: list[Lead]) -> None:
    """Plan mapping, some installations linked to leads, and grants: one lapsing soon, one fresh, one lapsed."""
    for plan, model in (("radnac-managed", "publisher_managed"), ("radnac-locked", "locked")):
        session.add(PlanPermission(plan_name=plan, model=model, updated_by="system:demo", updated_at=now))
    installs = session.exec(select(Installation).order_by(col(Installation.id))).all()
    for lead, installation in zip(leads[20:60], installs[:40], strict=True):
        installation.link(lead)
    managed = [i for i in installs if i.plan_name == "radnac-managed" and i.state == "installed"][:3]
    stories = [(timedelta(days=9, hours=2), None), (timedelta(hours=5), None), (timedelta(days=20), timedelta(days=18))]
    for number, (installation, (age, closed)) in enumerate(zip(managed, stories, strict=False)):
        _grant(session, now, installation, f"SR-{2040 + number}", age, closed)


def _grant(
    session: Session, now: datetime, installation: Installation, ref: str, age: timedelta, closed: timedelta | None
) -> None:
    evidence = f"Email from the customer's IT lead: 'You may access our RADNAC deployment for {ref}.'"
    grant = SupportGrant(
        installation_id=installation.id,
        support_request_ref=ref,
        consent_given_by="IT lead",
        consent_given_at=now - age - timedelta(hours=1),
        consent_evidence=evidence,
        consent_evidence_sha256=hashlib.sha256(evidence.encode()).hexdigest(),
        opened_by="system:demo",
        opened_at=now - age,
        last_communication_at=now - age,
    )
    session.add(grant)
    session.flush()
    _held_under(session, grant, now - age)
    grant.communications = 1
    if closed is not None:
        session.flush()
        grant.closed_at = now - closed
        grants.lapse(
            session=session, grant=grant, now=now - closed, reason="support request closed", actor="system:demo"
        )


def _held_under(session: Session, grant: SupportGrant, at: datetime) -> None:
    """What the grant's customer sent at `at`: a message, and the log file it brought."""
    session.add(
        GrantCommunication(
            grant_id=grant.id, at=at, direction="in", summary="Customer sent logs", recorded_by="system:demo"
        )
    )
    session.add(
        GrantData(
            grant_id=grant.id,
            kind="file",
            description="radnac-server.log (2.1 MB)",
            recorded_at=at,
            recorded_by="system:demo",
        )
    )
