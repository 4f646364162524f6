"""Destroying records: each function deletes one kind of record in one transaction, leaves a PII-free
tombstone per record and, for leads, queues the source-table row's deletion. Used by the scheduled sweeper
and by the right to erasure alike; only rows this transaction actually removed get a tombstone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, insert, or_, update
from sqlmodel import Session, SQLModel, col, select

from leads import tombstones
from leads.grants import grants
from leads.installs import events
from leads.models import (
    GrantCommunication,
    GrantData,
    Installation,
    InstallEvent,
    Lead,
    LegalHold,
    Person,
    PersonLink,
    QuarantinedEntity,
    RequestPause,
    RequestStep,
    RightsRequest,
    SourceDeletion,
    SupportGrant,
)
from leads.people import linked
from leads.retention import holds
from leads.retention.due import not_held
from leads.rules import datamap, lifecycle, people, schedule


def _rule_text(kind: str) -> str:
    rule = schedule.SCHEDULE[kind]
    return f"{rule.label}: {rule.citation}"[:200]


def _tombstones(session: Session, kind: str, now: datetime, actor: str, entries: list[tombstones.Entry]) -> None:
    """One tombstone per destroyed record, through the one writer (`leads.tombstones`)."""
    tombstones.write(session=session, kind=kind, rule=_rule_text(kind), now=now, actor=actor, entries=entries)


def destroy_leads(session: Session, ids: list[int], now: datetime, actor: str, key: str) -> int:
    """Delete leads not on hold; tombstone each and queue its source row. Commits."""
    statement = (
        delete(Lead)
        .where(col(Lead.id).in_(ids), not_held("lead", Lead.id))
        .returning(Lead.id, Lead.source_partition_key, Lead.source_row_key, Lead.person_id, Lead.email,
                   Lead.first_name, Lead.last_name)
    )  # fmt: skip
    # The people these leads were attached away from: left without a lead, they would keep the address.
    moved = select(PersonLink.from_person_id).where(col(PersonLink.lead_id).in_(ids))
    left_behind = {person_id for person_id in session.exec(moved) if person_id is not None}
    installs = list(session.exec(select(Installation.id).where(col(Installation.lead_id).in_(ids))))
    rows = session.exec(statement).all()  # type: ignore[call-overload]
    linked.forget_unlinked(session=session, installation_ids=installs)  # their lead_id is now NULL
    _forget_keyed(session, [row[1:3] for row in rows])
    _forget_mentions(session, people.needles(emails=[row[4] for row in rows], names=[row[5:7] for row in rows]))
    _forget_lifted_holds(session, "lead", [row[0] for row in rows])
    _forget_people_without_leads(session, {row[3] for row in rows if row[3] is not None} | left_behind)
    return _tombstone_source_rows(session, [row[1:3] for row in rows], now, actor, key)


def _forget_keyed(session: Session, keys: list[Any]) -> None:
    """What the personal-data map says goes with a lead and finds by its source row's key (queued corrections):
    deleted with it, so nothing of the person waits on a row that is being deleted."""
    tables = [
        SQLModel.metadata.tables[name]
        for name, entry in datamap.MAP.items()
        if entry.erasure == "with_parent" and any(f.kind == "key" and f.table == "lead" for f in entry.finds)
    ]
    for start in range(0, len(keys), 100):  # a bounded OR per statement (SQLite's expression depth)
        chunk = keys[start : start + 100]
        for table in tables:
            pairs = [and_(table.c.partition_key == pk, table.c.row_key == rk) for pk, rk in chunk]
            session.exec(delete(table).where(or_(*pairs)))  # type: ignore[call-overload]


def _forget_mentions(session: Session, wanted: set[str]) -> None:
    """Staff's free text that names a destroyed lead's person (the map's `mentions`: a saved view called "Ada
    Lovelace search", a list named after her) is cleared: emptied where it may be, else renamed by its id."""
    if not wanted:
        return
    for name, entry in datamap.MAP.items():
        table = SQLModel.metadata.tables[name]
        for column in entry.mentions:
            found = session.execute(select(table.c.id, table.c[column]).where(table.c[column].is_not(None))).all()
            for row_id, text in found:
                if people.mentions(text, wanted):
                    cleared = None if table.c[column].nullable else f"#{row_id} (a name here was erased)"
                    session.execute(update(table).where(table.c.id == row_id).values({column: cleared}))


def _forget_people_without_leads(session: Session, person_ids: set[int]) -> None:
    """A person whose last lead went goes too, with their consent history (the data map's "person" row): the
    address is personal data, and nothing is left to hold it for."""
    if person_ids:
        orphan = ~exists().where(Lead.person_id == Person.id)
        session.exec(delete(Person).where(col(Person.id).in_(sorted(person_ids)), orphan))  # type: ignore[call-overload]


def _forget_lifted_holds(session: Session, record_type: str, ids: list[int]) -> None:
    """A destroyed record's past (lifted) holds go with it; the audit trail keeps that they existed."""
    if ids:
        condition = (LegalHold.record_type == record_type, col(LegalHold.record_id).in_(ids))
        session.exec(delete(LegalHold).where(*condition))  # type: ignore[call-overload]


def destroy_quarantined(session: Session, ids: list[int], now: datetime, actor: str, key: str) -> int:
    """Quarantined entities hold lead data: destroyed on the lead's schedule, here and at the source. Commits."""
    statement = (
        delete(QuarantinedEntity)
        .where(col(QuarantinedEntity.id).in_(ids))
        .returning(QuarantinedEntity.partition_key, QuarantinedEntity.row_key)
    )
    return _tombstone_source_rows(session, session.exec(statement).all(), now, actor, key)  # type: ignore[call-overload]


def _tombstone_source_rows(session: Session, rows: list[Any], now: datetime, actor: str, key: str) -> int:
    hashes = [tombstones.Entry(tombstones.source_key_hash(key, pk, rk)) for pk, rk in rows]
    _tombstones(session, "lead", now, actor, hashes)
    if rows:
        queued = [{"partition_key": pk, "row_key": rk, "queued_at": now, "attempts": 0} for pk, rk in rows]
        session.exec(insert(SourceDeletion), params=queued)  # type: ignore[call-overload]
    session.commit()
    return len(rows)


def destroy_installations(session: Session, ids: list[int], now: datetime, actor: str, key: str) -> int:
    """Delete installations not on hold and all their notifications; one tombstone per installation, with the
    keyed hash of its application id, so a late redelivery cannot bring it back. Commits."""
    live = select(Installation.id).where(col(Installation.id).in_(ids), not_held("installation", Installation.id))
    session.exec(delete(InstallEvent).where(col(InstallEvent.installation_id).in_(live)))  # type: ignore[call-overload]
    _forget_grants(session, live)
    statement = (
        delete(Installation)
        .where(col(Installation.id).in_(live))
        .returning(Installation.id, Installation.application_id, Installation.last_event_at)
    )
    removed = session.exec(statement).all()  # type: ignore[call-overload]
    _forget_lifted_holds(session, "installation", [row[0] for row in removed])
    entries = [tombstones.Entry(tombstones.installation_hash(key, app_id), last) for _id, app_id, last in removed]
    _tombstones(session, "install_notification", now, actor, entries)
    session.commit()
    return len(removed)


def destroy_due_deployments(session: Session, ids: list[int], now: datetime, actor: str, key: str) -> int:
    """The sweeper's install rule: each deployment's notifications go 90 days after its own uninstall. An
    installation whose every deployment is due goes whole; otherwise only its due deployments' notifications
    go, one tombstone each, and its clocks are re-derived from what is left. Returns deployments destroyed."""
    whole, destroyed = [], 0
    held = holds.active_holds(session=session, record_type="installation", record_ids=ids)
    for installation in session.exec(select(Installation).where(col(Installation.id).in_(ids))).all():
        if installation.id in held:
            continue
        stored = events.history(session=session, installation_id=installation.id)
        found = lifecycle.deployments(events.observed(stored))
        due = [d for d in found if schedule.is_due(schedule.deadline("install_notification", d.uninstalled_at), now)]
        if len(due) == len(found):
            whole.append(installation.id)
            destroyed += len(found) - 1  # the whole installation counts one below
        elif due:
            _destroy_deployments(session, installation, stored, due, now, actor, key)
            destroyed += len(due)
    session.commit()
    return destroyed + (destroy_installations(session, whole, now, actor, key) if whole else 0)


def _destroy_deployments(
    session: Session,
    installation: Installation,
    stored: list[InstallEvent],
    due: list[lifecycle.Deployment],
    now: datetime,
    actor: str,
    key: str,
) -> None:
    """Delete the notifications of `due` deployments (the installation stays, installed again). The caller
    commits."""
    doomed = [stored[i].id for deployment in due for i in deployment.events]
    session.exec(delete(InstallEvent).where(col(InstallEvent.id).in_(doomed)))  # type: ignore[call-overload]
    source = tombstones.installation_hash(key, installation.application_id)
    entries = [tombstones.Entry(source, deployment.last_event_at) for deployment in due]
    _tombstones(session, "install_notification", now, actor, entries)
    session.flush()
    events.refresh(session=session, installation=installation)
    session.add(installation)


def _forget_grants(session: Session, installations: Any) -> None:
    """Grant outlines belong to their installation's record and go with it (held data went at lapse)."""
    grant_ids = select(SupportGrant.id).where(col(SupportGrant.installation_id).in_(installations))
    for model in (GrantData, GrantCommunication):
        session.exec(delete(model).where(col(model.grant_id).in_(grant_ids)))  # type: ignore[call-overload]
    session.exec(delete(SupportGrant).where(col(SupportGrant.id).in_(grant_ids)))  # type: ignore[call-overload]


def outline_requests(session: Session, ids: list[int], now: datetime, actor: str, _key: str) -> int:
    """Reduce closed requests past their 3 years to an outline (kind, dates, status): the requester's name,
    address and every free text go, the record stays as proof of having answered, and a tombstone says so.
    Commits."""
    statement = (
        update(RightsRequest)
        .where(col(RightsRequest.id).in_(ids), col(RightsRequest.outlined_at).is_(None))
        .values(requester_name="", requester_email="", details=None, extension_reason=None, outcome=None,
                exemption=None, outlined_at=now)
        .returning(RightsRequest.id)
    )  # fmt: skip
    outlined = [row[0] for row in session.exec(statement).all()]  # type: ignore[call-overload]
    if outlined:
        questions = update(RequestPause).where(col(RequestPause.request_id).in_(outlined)).values(question="")
        session.exec(questions)  # type: ignore[call-overload]
        steps = update(RequestStep).where(col(RequestStep.request_id).in_(outlined)).values(detail=None)
        session.exec(steps)  # type: ignore[call-overload]
    _tombstones(session, "rights_request", now, actor, [tombstones.Entry()] * len(outlined))
    session.commit()
    return len(outlined)


# How each table the personal-data map says is "destroyed" is destroyed (erasure walks the map through these).
DESTROYERS = {
    "lead": destroy_leads,
    "installation": destroy_installations,
    "quarantinedentity": destroy_quarantined,
}


def lapse_grants(session: Session, ids: list[int], now: datetime, actor: str, _key: str) -> int:
    """Lapse grants silent for 10 days: their held data is destroyed, the outline stays. Commits per grant."""
    lapsed = 0
    for grant_id in ids:
        grant = session.get(SupportGrant, grant_id)
        if grant is not None and grant.lapsed_at is None:
            grants.lapse(session=session, grant=grant, now=now, reason="10 days without communication", actor=actor)
            lapsed += 1
    return lapsed
