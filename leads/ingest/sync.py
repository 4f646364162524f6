"""Lead sync: the lead destination table into `Lead` rows, incrementally, page by page.

Safe to re-run and to crash: each page commits on its own, every lead is keyed by its source key, and
the watermark only advances when a run finishes, so a re-run re-reads (and finds unchanged) what a
crashed run already stored. Memory stays flat: one page is held at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import String, and_, column, insert, values
from sqlmodel import Session, col, select

from leads.ingest import corrections, failures, tombstones
from leads.ingest.readahead import read_ahead
from leads.ingest.sources import SourceEntity
from leads.models import Lead, QuarantinedEntity, SourceDeletion, SyncRun, search_keys
from leads.people import subjects
from leads.rules import intake
from leads.rules.people import emails_in, normalise_email
from leads.staff import audit

KEY_LENGTH = 255  # Lead.source_partition_key / source_row_key and QuarantinedEntity's keys hold this much
# Lead columns the sync owns; staff-owned fields (status, owner) are never touched by a re-sync.
SYNCED_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "country",
    "company",
    "job_title",
    "offer",
    "offer_title",
    "publisher_display_name",
    "lead_source",
    "source_channel",
    "action_code",
    "description",
    "created_at_ms",
    "is_dnc",
    "is_test",
)


class Source(Protocol):
    """What sync needs from the lead table (sources.LeadTable, or a fake in unit tests)."""

    def pages(self, *, since: datetime | None) -> Iterator[list[SourceEntity]]: ...


@dataclass
class PageResult:
    """What one page did."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    skipped: int = 0


def last_watermark(*, session: Session) -> datetime | None:
    """The newest entity Timestamp seen by the last successful run, or None before the first."""
    query = (
        select(SyncRun.high_watermark)
        .where(SyncRun.status == "succeeded", col(SyncRun.high_watermark).is_not(None))
        .order_by(col(SyncRun.id).desc())
        .limit(1)
    )
    return session.exec(query).first()


def run(
    *,
    session: Session,
    source: Source,
    clock: Callable[[], datetime],
    tombstone_key: str,
    overlap: timedelta,
    progress: Callable[[SyncRun], None] = lambda _run: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> SyncRun:
    """Read every entity written since the last watermark (minus `overlap`) and store it. Commits per page.

    Returns the finished `SyncRun`; on an error the run is recorded as failed and the error re-raised.
    `should_stop()` is asked after each page: once true the run ends `stopped`, its watermark unmoved (the
    next run re-reads from where this one began, as after a crash).
    """
    watermark = last_watermark(session=session)
    sync_run = SyncRun(started_at=clock(), status="running", since=watermark - overlap if watermark else None)
    session.add(sync_run)
    session.commit()
    high, page = watermark, []
    try:
        for page in read_ahead(source.pages(since=sync_run.since)):  # the next page is read while this one is stored
            result = store_page(session=session, entities=page, now=clock(), tombstone_key=tombstone_key)
            page_high = max((entity.timestamp for entity in page), default=None)
            if page_high is not None and (high is None or page_high > high):
                high = page_high
            _add(sync_run, result)
            session.add(sync_run)
            session.commit()
            progress(sync_run)
            page = []  # stored: a later failure is the source's, not this page's
            if should_stop():
                _finish(session, sync_run, clock(), "stopped", high=None, error=None)
                return sync_run
    except Exception as error:
        session.rollback()
        _finish(session, sync_run, clock(), "failed", high=None, error=failures.describe(error, page))
        raise
    _finish(session, sync_run, clock(), "succeeded", high=high, error=None)
    return sync_run


def _add(sync_run: SyncRun, result: PageResult) -> None:
    sync_run.pages += 1
    for field in ("new", "updated", "unchanged", "quarantined", "skipped"):
        setattr(sync_run, field, getattr(sync_run, field) + getattr(result, field))


def _finish(
    session: Session, sync_run: SyncRun, now: datetime, status: str, *, high: datetime | None, error: str | None
) -> None:
    sync_run.status, sync_run.finished_at, sync_run.high_watermark, sync_run.error = status, now, high, error
    session.add(sync_run)
    audit.record(
        session=session,
        at=now,
        actor="system:sync",
        action=f"sync.{status}",
        record_type="sync_run",
        record_id=sync_run.id,
        details={
            "new": sync_run.new,
            "updated": sync_run.updated,
            "unchanged": sync_run.unchanged,
            "quarantined": sync_run.quarantined,
            "skipped": sync_run.skipped,
            "error": error,
        },
    )
    session.commit()


def store_page(*, session: Session, entities: list[SourceEntity], now: datetime, tombstone_key: str) -> PageResult:
    """Store one page of entities (the caller commits): new, updated, unchanged, quarantined or skipped."""
    result = PageResult()
    hashes = {tombstones.source_key_hash(tombstone_key, e.partition_key, e.row_key): e for e in entities}
    destroyed = tombstones.tombstoned(session=session, hashes=hashes)
    # A key longer than our key columns fits neither a lead nor the quarantine: skipped, not the page failed.
    live = [
        e
        for key, e in hashes.items()
        if key not in destroyed and max(len(e.partition_key), len(e.row_key)) <= KEY_LENGTH
    ]
    result.skipped = len(entities) - len(live)
    _delete_again(session, [hashes[key] for key in destroyed], now)
    keys = [(entity.partition_key, entity.row_key) for entity in live]
    leads = _by_key(session, Lead, Lead.source_partition_key, Lead.source_row_key, keys)
    quarantined = _by_key(session, QuarantinedEntity, QuarantinedEntity.partition_key, QuarantinedEntity.row_key, keys)
    new_leads: list[dict] = []
    for entity in live:
        key = (entity.partition_key, entity.row_key)
        try:
            parsed = intake.parse(entity.properties)
        except intake.MalformedLead as error:
            lead_start = leads[key].received_at if key in leads else None
            _quarantine(session, quarantined.get(key), entity, str(error), now, lead_start)
            result.quarantined += 1
            continue
        held_since = quarantined[key].clock_started_at if key in quarantined else None
        if key in quarantined:
            session.delete(quarantined[key])  # fixed at the source: no longer quarantined
        if key in leads:
            outcome = _update(session, leads[key], entity, parsed, now, held_since)
            setattr(result, outcome, getattr(result, outcome) + 1)
        else:
            new_leads.append(_new_lead(entity, parsed, now, held_since))
    _file_under_people(session, new_leads, now)
    _insert(session, new_leads)
    result.new = len(new_leads)
    return result


def _delete_again(session: Session, met_again: list[SourceEntity], now: datetime) -> None:
    """A destroyed lead met again at the source (rewritten there, or its deletion lost) is queued for
    deletion at the source again, unless it is already queued; the sweeper sends the queue."""
    keys = [(entity.partition_key, entity.row_key) for entity in met_again]
    queued = _by_key(session, SourceDeletion, SourceDeletion.partition_key, SourceDeletion.row_key, keys)
    rows = [
        {"partition_key": pk, "row_key": rk, "queued_at": now, "attempts": 0}
        for pk, rk in keys
        if (pk, rk) not in queued
    ]
    if rows:
        session.exec(insert(SourceDeletion), params=rows)  # type: ignore[call-overload]


def _by_key(
    session: Session, model: type, pk_column: object, rk_column: object, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], object]:
    """The rows of `model` with these (partition, row) keys, found by joining the keys as a VALUES list: a row
    IN list of a thousand pairs took 300 ms a page on SQLite at a million leads, and as long to plan on a
    PostgreSQL table without statistics yet."""
    keys = list(keys)
    if not keys:
        return {}
    wanted = values(column("pk", String), column("rk", String), name="wanted").data(keys).cte("wanted")
    query = select(model).join(wanted, and_(pk_column == wanted.c.pk, rk_column == wanted.c.rk))  # type: ignore[arg-type]
    return {(getattr(row, pk_column.key), getattr(row, rk_column.key)): row for row in session.exec(query)}  # type: ignore[attr-defined]


def _timestamp(entity: SourceEntity) -> datetime | None:
    """The entity's Timestamp; None for the adapter's stand-in for a missing one (year 1 would be due at once)."""
    return entity.timestamp if entity.timestamp.year > 1 else None


def _new_lead(entity: SourceEntity, parsed: intake.ParsedLead, now: datetime, held_since: datetime | None) -> dict:
    """A new lead's row. Its clock starts at the earliest of created time, first sight, Timestamp and the
    start it had while quarantined (`held_since`): fixing an entity at the source never restarts its clock."""
    values = {field: getattr(parsed, field) for field in SYNCED_FIELDS}
    start = intake.clock_start(
        created=parsed.created_at_ms, first_seen=now, timestamp=_timestamp(entity), now=now, earlier=held_since
    )
    return {
        "source_partition_key": entity.partition_key,
        "source_row_key": entity.row_key,
        "first_seen_at": now,
        "received_at": start,
        "source_timestamp": entity.timestamp,
        "nurture_status": "new",
        "owner_id": None,
        **values,
        **search_keys(
            first_name=parsed.first_name, last_name=parsed.last_name, email=parsed.email, company=parsed.company
        ),
    }


def _file_under_people(session: Session, rows: list[dict], now: datetime) -> None:
    """Each new lead belongs to the person its address normalises to (made if new), so a withdrawal or
    restriction already recorded for that person covers it from its first moment."""
    ids = subjects.person_ids(session=session, email_keys=[normalise_email(row["email"]) for row in rows], now=now)
    for row, person_id in zip(rows, ids, strict=True):
        row["person_id"] = person_id


def _insert(session: Session, rows: list[dict]) -> None:
    """New leads in one batch: no ORM object per row (at sync speed, building those cost more than reading)."""
    if rows:
        # render_nulls: a None is sent as NULL rather than leaving its column out, so every row has the same
        # columns and the page goes as one executemany instead of one per shape.
        session.exec(insert(Lead).execution_options(render_nulls=True), params=rows)  # type: ignore[call-overload]


def _update(
    session: Session,
    lead: Lead,
    entity: SourceEntity,
    parsed: intake.ParsedLead,
    now: datetime,
    held_since: datetime | None,
) -> str:
    """Apply a re-read entity to its lead. The clock start only ever moves earlier: a CreatedTime rewritten
    later at the source (or a later Timestamp) cannot stretch it."""
    values = {field: getattr(parsed, field) for field in SYNCED_FIELDS}
    changed = {field: value for field, value in values.items() if getattr(lead, field) != value}
    changed = corrections.keep_corrections(session=session, lead=lead, changed=changed, seen_at=entity.timestamp)
    lead.source_timestamp = entity.timestamp
    for field, value in changed.items():
        setattr(lead, field, value)
    earliest = min(lead.received_at, held_since) if held_since else lead.received_at
    lead.received_at = intake.clock_start(
        created=parsed.created_at_ms,
        first_seen=lead.first_seen_at,
        timestamp=_timestamp(entity),
        now=now,
        earlier=earliest,
    )
    session.add(lead)
    return "updated" if changed else "unchanged"


def _quarantine(
    session: Session,
    row: QuarantinedEntity | None,
    entity: SourceEntity,
    reason: str,
    now: datetime,
    lead_start: datetime | None,
) -> None:
    """Hold an entity that cannot become a lead. It is lead data on the lead's clock: the earliest of its
    readable CreatedTime, first sight, Timestamp, any start it had before, and its lead's if one exists."""
    raw = json.dumps(entity.properties, sort_keys=True, default=str, ensure_ascii=False)
    if row is None:
        row = QuarantinedEntity(
            partition_key=entity.partition_key, row_key=entity.row_key, first_seen_at=now, clock_started_at=now
        )
    earlier = min(row.clock_started_at, lead_start) if lead_start else row.clock_started_at
    row.clock_started_at = intake.clock_start(
        created=intake.readable_created_time(entity.properties),
        first_seen=row.first_seen_at,
        timestamp=_timestamp(entity),
        now=now,
        earlier=earlier,
    )
    row.reason, row.raw, row.source_timestamp, row.last_seen_at = reason[:1000], raw, entity.timestamp, now
    row.email_key = next(emails_in(entity.properties), None)  # how erasure and access find the person here
    session.add(row)


def recent_runs(*, session: Session, limit: int = 10) -> list[SyncRun]:
    """The latest sync runs, newest first."""
    return list(session.exec(select(SyncRun).order_by(col(SyncRun.id).desc()).limit(limit)))


def quarantine(*, session: Session, limit: int = 200) -> list[QuarantinedEntity]:
    """Quarantined entities, most recently seen first."""
    query = select(QuarantinedEntity).order_by(col(QuarantinedEntity.last_seen_at).desc()).limit(limit)
    return list(session.exec(query))
