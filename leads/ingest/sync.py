"""Lead sync: the lead destination table into `Lead` rows, incrementally, page by page.

Safe to re-run and to crash: each page commits on its own, every lead is keyed by its source key, and
the watermark only advances when a run finishes, so a re-run re-reads (and finds unchanged) what a
crashed run already stored. Memory stays flat: one page is held at a time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache, partial
from itertools import chain
from typing import Any, Protocol

from sqlalchemy import Dialect, insert
from sqlmodel import Session, col, select

from leads import tombstones
from leads.ingest import corrections, failures
from leads.ingest.readahead import read_ahead, read_ahead_in_process
from leads.ingest.sources import SourceEntity
from leads.models import Lead, QuarantinedEntity, SourceDeletion, SyncRun, search_keys
from leads.models import rows as rows_
from leads.people import linked, subjects
from leads.rules import intake
from leads.rules.people import normalise_email
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
    """What sync needs from the lead table (sources.LeadTable, or a fake in unit tests). A source whose pages
    are plain data may say so with `read_in_process = True`: they are then read in a child process."""

    def pages(self, *, since: datetime | None) -> Iterator[list[SourceEntity]]: ...


def _read_ahead(source: Source) -> Callable[[Iterator[list[SourceEntity]]], Iterator[list[SourceEntity]]]:
    """How the next page is read while this one is stored: in a child process if the source allows (the SDK's
    parsing then runs beside ours, not against it for the GIL), else on a thread."""
    return read_ahead_in_process if getattr(source, "read_in_process", False) else read_ahead


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
    Returns the finished `SyncRun`; on an error it is recorded as failed and the error re-raised. `should_stop()`
    is asked after each page: once true the run ends `stopped`, its watermark unmoved (the next run re-reads
    from where this one began, as after a crash).
    """
    watermark = last_watermark(session=session)
    sync_run = _begin(session, clock(), since=watermark - overlap if watermark else None)
    position = _Position(high=watermark, page=[])
    pages = _read_ahead(source)(source.pages(since=sync_run.since))  # the next page read while this one is stored
    store = partial(store_page, session=session, tombstone_key=tombstone_key)
    with _failure_recorded(session, sync_run, clock, position), closing(pages):  # a reader left is ended
        stopped = _store_pages(session, sync_run, pages, position, store, clock, progress, should_stop)
    high = None if stopped else position.high
    _finish(session, sync_run, clock(), "stopped" if stopped else "succeeded", high=high, error=None)
    return sync_run


@dataclass
class _Position:
    """How far a run has got: the newest Timestamp stored, and the page in hand (named if storing it fails)."""

    high: datetime | None
    page: list[SourceEntity]


def _begin(session: Session, now: datetime, *, since: datetime | None) -> SyncRun:
    """A new running `SyncRun` reading what was written at or after `since` (everything if None), committed."""
    sync_run = SyncRun(started_at=now, status="running", since=since)
    session.add(sync_run)
    session.commit()
    return sync_run


@contextmanager
def _failure_recorded(
    session: Session, sync_run: SyncRun, clock: Callable[[], datetime], position: _Position
) -> Iterator[None]:
    """On an error: roll the page back, record the run as failed (naming the page in hand), and re-raise."""
    try:
        yield
    except Exception as error:
        session.rollback()
        _finish(session, sync_run, clock(), "failed", high=None, error=failures.describe(error, position.page))
        raise


def _store_pages(
    session: Session,
    sync_run: SyncRun,
    pages: Iterable[list[SourceEntity]],
    position: _Position,
    store: Callable[..., PageResult],
    clock: Callable[[], datetime],
    progress: Callable[[SyncRun], None],
    should_stop: Callable[[], bool],
) -> bool:
    """Store and commit each page with the run's counts; True if `should_stop()` ended the run early."""
    for page in pages:
        position.page = page
        result = store(entities=page, now=clock())
        position.high = _newest(position.high, page)
        _add(sync_run, result)
        session.add(sync_run)
        session.commit()
        progress(sync_run)
        position.page = []  # stored: a later failure is the source's, not this page's
        if should_stop():
            return True
    return False


def _newest(high: datetime | None, page: list[SourceEntity]) -> datetime | None:
    """The later of `high` and the page's newest Timestamp."""
    page_high = max((entity.timestamp for entity in page), default=None)
    return page_high if page_high is not None and (high is None or page_high > high) else high


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
    live = _live(session, entities, now, tombstone_key)
    result = PageResult(skipped=len(entities) - len(live))
    known = _known(session, live)
    new_leads = [row for entity in live if (row := _store_entity(session, entity, known, now, result)) is not None]
    _file_under_people(session, new_leads)
    _insert(session, new_leads)
    result.new = len(new_leads)
    return result


@dataclass
class _Known:
    """What is already stored under a page's keys: leads, and quarantined entities."""

    leads: dict[tuple[str, str], Lead]
    quarantined: dict[tuple[str, str], QuarantinedEntity]


def _live(session: Session, entities: list[SourceEntity], now: datetime, tombstone_key: str) -> list[SourceEntity]:
    """The page's entities that may be stored. A destroyed one (its key tombstoned) is queued for deletion at the
    source again instead; one whose key is longer than our key columns fits neither a lead nor the quarantine:
    skipped, not the page failed."""
    hashes = {tombstones.source_key_hash(tombstone_key, e.partition_key, e.row_key): e for e in entities}
    destroyed = tombstones.tombstoned(session=session, hashes=hashes)
    _delete_again(session, [hashes[key] for key in destroyed], now)
    return [
        e
        for key, e in hashes.items()
        if key not in destroyed and max(len(e.partition_key), len(e.row_key)) <= KEY_LENGTH
    ]


def _known(session: Session, live: list[SourceEntity]) -> _Known:
    """The leads and quarantined entities stored under the keys of `live`."""
    keys = [(entity.partition_key, entity.row_key) for entity in live]
    held = _by_key(session, QuarantinedEntity, QuarantinedEntity.partition_key, QuarantinedEntity.row_key, keys)
    return _Known(leads=_by_key(session, Lead, Lead.source_partition_key, Lead.source_row_key, keys), quarantined=held)


def _store_entity(
    session: Session, entity: SourceEntity, known: _Known, now: datetime, result: PageResult
) -> dict | None:
    """Quarantine one entity, or apply it to its lead, or return the new lead's row; counted in `result`."""
    key = (entity.partition_key, entity.row_key)
    lead, held = known.leads.get(key), known.quarantined.get(key)
    try:
        parsed = intake.parse(entity.properties)
    except intake.MalformedLead as error:
        _quarantine(session, held, entity, str(error), now, lead.received_at if lead is not None else None)
        result.quarantined += 1
        return None
    held_since = held.clock_started_at if held is not None else None
    if held is not None:
        session.delete(held)  # fixed at the source: no longer quarantined
    if lead is None:
        return _new_lead(entity, parsed, now, held_since)
    outcome = _update(session, lead, entity, parsed, now, held_since)
    setattr(result, outcome, getattr(result, outcome) + 1)
    return None


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
    session: Session, model: type, pk_column: Any, rk_column: Any, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Any]:
    """The rows of `model` with these (partition, row) keys.

    The keys are joined as a VALUES list: a row IN list of a thousand pairs is slow to run on SQLite at a
    million leads, and as slow to plan on a PostgreSQL table without statistics yet. That SQL is written once
    per page length and handed to the driver as it is (compiling a thousand-row VALUES construct every page
    cost more than running it); only the rows it finds are loaded as objects. On PostgreSQL the pairs go as
    two arrays instead: psycopg parsed the thousand-pair text afresh every page (it caches short statements);
    the statement is planned afresh every page, with the arrays, never from a plan kept from an empty table.
    """
    keys = list(keys)
    if not keys:
        return {}
    session.flush()  # the driver-level query must see what this session has pending, as an ORM query would
    connection = session.connection()
    sql = _lookup_sql(connection.dialect, model.__tablename__, pk_column.key, rk_column.key, len(keys))  # type: ignore[attr-defined]
    if connection.dialect.name == "postgresql":  # two arrays: a short statement psycopg parses and prepares once
        parameters: tuple = ([pk for pk, _rk in keys], [rk for _pk, rk in keys])
    else:
        parameters = tuple(chain.from_iterable(keys))
    ids = [row_id for (row_id,) in rows_.select(connection, sql, parameters)]
    if not ids:
        return {}
    rows = session.exec(select(model).where(col(model.id).in_(ids)))  # type: ignore[attr-defined]
    return {(getattr(row, pk_column.key), getattr(row, rk_column.key)): row for row in rows}


@lru_cache(maxsize=32)
def _lookup_sql(dialect: Dialect, table: str, pk: str, rk: str, count: int) -> str:
    """`SELECT id FROM table` joined to `count` (pk, rk) pairs given as positional parameters (on PostgreSQL,
    as two arrays: the same statement for every page length)."""
    quote = dialect.identifier_preparer.quote
    # Our own table and column names, quoted; every value is a bound parameter.
    if dialect.name == "postgresql":
        wanted = "unnest(%s::text[], %s::text[]) AS wanted (pk, rk)"
        parts = ["SELECT t.id FROM", quote(table), "AS t JOIN", wanted]
    else:
        pairs = ", ".join(["(?, ?)"] * count)
        parts = ["WITH wanted (pk, rk) AS (VALUES", pairs, ") SELECT t.id FROM", quote(table), "AS t JOIN wanted"]
    return " ".join([*parts, f"ON t.{quote(pk)} = wanted.pk AND t.{quote(rk)} = wanted.rk"])


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


def _file_under_people(session: Session, rows: list[dict]) -> None:
    """Each new lead belongs to the person its address normalises to (made if new), so a withdrawal or
    restriction already recorded for that person covers it from its first moment; it carries their marketing
    consent (`Lead.marketing_consent`, for the leads list's filter)."""
    emails, seen_at = [row["email"] for row in rows], [row["first_seen_at"] for row in rows]
    ids = subjects.person_ids(session=session, emails=emails, seen_at=seen_at)
    for row, person_id, state in zip(rows, ids, subjects.marketing_states(session=session, ids=ids), strict=True):
        row["person_id"], row["marketing_consent"] = person_id, state


def _insert(session: Session, rows: list[dict]) -> None:
    """New leads in one batch through the table itself: no ORM object per row, nor the ORM's bulk insert (at
    sync speed, building those and its per-row bookkeeping cost more than reading). Every row has the same
    columns (a None is sent as NULL), so the page is one executemany of one statement, its values converted
    as the column types would convert them but without SQLAlchemy's per-parameter processing (`rows`)."""
    rows_.insert_many(session.connection(), Lead.__table__, rows)  # type: ignore[attr-defined]


def _update(
    session: Session,
    lead: Lead,
    entity: SourceEntity,
    parsed: intake.ParsedLead,
    now: datetime,
    held_since: datetime | None,
) -> str:
    """Apply a re-read entity to its lead (staff corrections kept, `corrections`); "updated" or "unchanged"."""
    values = {field: getattr(parsed, field) for field in SYNCED_FIELDS}
    changed = {field: value for field, value in values.items() if getattr(lead, field) != value}
    changed = corrections.keep_corrections(session=session, lead=lead, changed=changed, seen_at=entity.timestamp)
    received_at = _restarted(lead, entity, parsed, now, held_since)
    # Only what differs is set: an unchanged lead (most of a re-read page) is left clean, so the flush neither
    # visits it nor writes it.
    for field, value in (("source_timestamp", entity.timestamp), ("received_at", received_at)):
        if getattr(lead, field) != value:
            setattr(lead, field, value)
    for field, value in changed.items():
        setattr(lead, field, value)
    if "email" in changed:
        subjects.follow_new_address(session=session, lead=lead)
    linked.follow_rename(session=session, lead=lead, changed=list(changed))
    return "updated" if changed else "unchanged"


def _restarted(
    lead: Lead, entity: SourceEntity, parsed: intake.ParsedLead, now: datetime, held_since: datetime | None
) -> datetime:
    """The lead's clock start after a re-read. It only ever moves earlier: a CreatedTime rewritten later at the
    source (or a later Timestamp) cannot stretch it."""
    earliest = min(lead.received_at, held_since) if held_since else lead.received_at
    return intake.clock_start(
        created=parsed.created_at_ms,
        first_seen=lead.first_seen_at,
        timestamp=_timestamp(entity),
        now=now,
        earlier=earliest,
    )


def _quarantine(
    session: Session,
    row: QuarantinedEntity | None,
    entity: SourceEntity,
    reason: str,
    now: datetime,
    lead_start: datetime | None,
) -> None:
    """Hold an entity that cannot become a lead (`row`: its earlier quarantine, if any), with the reason, what
    it says, and where erasure and access find its person."""
    if row is None:
        row = QuarantinedEntity(
            partition_key=entity.partition_key, row_key=entity.row_key, first_seen_at=now, clock_started_at=now
        )
    row.clock_started_at = _held_since(row, entity, now, lead_start)
    raw = json.dumps(entity.properties, sort_keys=True, default=str, ensure_ascii=False)
    row.reason, row.raw, row.source_timestamp, row.last_seen_at = reason[:1000], raw, entity.timestamp, now
    # Whose it is: its own customer address (access and erasure find it by that, and by the source keys of the
    # person's leads); an address it only mentions makes it a candidate staff must confirm (held.mentioning).
    row.email_key = normalise_email(intake.own_email(entity.properties))
    session.add(row)


def _held_since(row: QuarantinedEntity, entity: SourceEntity, now: datetime, lead_start: datetime | None) -> datetime:
    """A quarantined entity is lead data on the lead's clock: the earliest of its readable CreatedTime, first
    sight, Timestamp, any start it had before, and its lead's (`lead_start`) if one exists."""
    earlier = min(row.clock_started_at, lead_start) if lead_start else row.clock_started_at
    return intake.clock_start(
        created=intake.readable_created_time(entity.properties),
        first_seen=row.first_seen_at,
        timestamp=_timestamp(entity),
        now=now,
        earlier=earlier,
    )


def recent_runs(*, session: Session, limit: int = 10) -> list[SyncRun]:
    """The latest sync runs, newest first."""
    return list(session.exec(select(SyncRun).order_by(col(SyncRun.id).desc()).limit(limit)))


def quarantine(*, session: Session, limit: int = 200) -> list[QuarantinedEntity]:
    """Quarantined entities, most recently seen first."""
    query = select(QuarantinedEntity).order_by(col(QuarantinedEntity.last_seen_at).desc()).limit(limit)
    return list(session.exec(query))
