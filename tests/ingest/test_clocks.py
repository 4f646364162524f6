"""Issue #17, item 1: a lead's and a quarantined entity's clock start never moves later (RULES.md, "clocks").

Each case from the issue runs through the real sync on SQLite and PostgreSQL with a pinned clock; the property
test feeds random sequences of entity versions and checks the deadline never moves later than the first one's.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from leads.ingest import sync
from leads.ingest.sources import SourceEntity
from leads.models import Lead, QuarantinedEntity
from leads.rules import intake, schedule
from tests.lead_samples import customer_info, entity

KEY = "test-tombstone-key"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def version(raw: dict, timestamp: datetime) -> SourceEntity:
    properties = {k: v for k, v in raw.items() if k not in ("PartitionKey", "RowKey")}
    return SourceEntity(raw["PartitionKey"], raw["RowKey"], timestamp, properties)


def store(session, raw: dict, *, timestamp: datetime, now: datetime) -> None:
    sync.store_page(session=session, entities=[version(raw, timestamp)], now=now, tombstone_key=KEY)
    session.commit()


def start_of(session, row_key: str) -> datetime | None:
    """The clock start of whatever holds this key now: its lead, else its quarantined entity."""
    lead = session.exec(select(Lead).where(Lead.source_row_key == row_key)).first()
    if lead is not None:
        return lead.received_at
    held = session.exec(select(QuarantinedEntity).where(QuarantinedEntity.row_key == row_key)).first()
    return held.clock_started_at if held else None


def broken(row_key: str, created: str | None) -> dict:
    """An entity the parser refuses (an unknown action code), still carrying its CreatedTime."""
    return entity(row_key, created=created, ActionCode="Bogus", LeadSource="AzureMarketplace-Bogus|x.y")


def test_a_quarantined_entity_starts_at_its_created_time_not_first_sight(session):
    # Created 1 January 2024, still held on 2 January 2027: its deadline is January 2027, not November 2029.
    store(session, broken("q", "2024-01-01T00:00:00Z"), timestamp=at("2024-01-01T00:00:05"), now=at("2026-11-25T09:30"))
    held = session.exec(select(QuarantinedEntity)).one()
    assert held.clock_started_at == at("2024-01-01T00:00:00")
    assert schedule.deadline("lead", held.clock_started_at) == at("2027-01-01T00:00:00")


def test_an_unreadable_created_time_falls_back_to_the_earlier_timestamp(session):
    store(session, broken("q", "not a date"), timestamp=at("2026-01-10T00:00"), now=at("2026-11-25T09:30"))
    assert start_of(session, "q") == at("2026-01-10T00:00")


def test_a_fixed_entity_keeps_the_start_it_had_while_quarantined(session):
    # Quarantined 10 January 2024 (no CreatedTime), fixed at the source in 2026: deadline 2027, not 2029.
    first = at("2024-01-10T12:00")
    store(session, broken("q", None), timestamp=first, now=first)
    fixed = entity("q", created=None)
    store(session, fixed, timestamp=at("2026-11-25T08:00"), now=at("2026-11-25T09:30"))
    lead = session.exec(select(Lead)).one()
    assert session.exec(select(QuarantinedEntity)).first() is None
    assert lead.received_at == first
    assert schedule.deadline("lead", lead.received_at) == at("2027-01-10T12:00")


def test_a_future_created_time_counts_as_first_sight(session):
    # Created "2030-06-01" and seen in 2026: the deadline is three years from first sight, not 2033.
    now = at("2026-11-25T09:30")
    store(session, entity("f", created="2030-06-01T00:00:00Z"), timestamp=now + timedelta(days=1), now=now)
    lead = session.exec(select(Lead)).one()
    assert lead.received_at == now
    assert schedule.deadline("lead", lead.received_at) == at("2029-11-25T09:30")


def test_a_created_time_rewritten_later_at_the_source_cannot_stretch_the_clock(session):
    store(session, entity("r", created="2026-01-01T00:00:00Z"), timestamp=at("2026-01-01T00:01"), now=at("2026-01-02"))
    rewritten = entity("r", created="2026-10-01T00:00:00Z", info=customer_info(Title="CTO"))
    store(session, rewritten, timestamp=at("2026-10-01T00:01"), now=at("2026-11-25T09:30"))
    lead = session.exec(select(Lead)).one()
    assert lead.job_title == "CTO"  # the rewrite was read
    assert lead.received_at == at("2026-01-01T00:00")


def test_a_lead_broken_again_at_the_source_keeps_its_start_in_quarantine(session):
    store(session, entity("b", created="2025-03-01T00:00:00Z"), timestamp=at("2025-03-01T00:01"), now=at("2025-03-02"))
    store(session, broken("b", None), timestamp=at("2026-11-25T08:00"), now=at("2026-11-25T09:30"))
    assert session.exec(select(QuarantinedEntity)).one().clock_started_at == at("2025-03-01T00:00")


# --- property: over any sequence of versions, the deadline never moves later than the first version's ---------

MOMENTS = st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2031, 1, 1), timezones=st.just(UTC))  # noqa: DTZ001 - hypothesis bounds are naive; timezones= makes them UTC
CREATED = st.one_of(st.none(), st.just("yesterday, roughly"), MOMENTS.map(lambda moment: moment.isoformat()))


@st.composite
def versions(draw) -> list[tuple[str | None, bool, timedelta, timedelta]]:
    """(CreatedTime, parses?, time since the previous read, how far Timestamp lags that read) per version."""
    size = draw(st.integers(min_value=1, max_value=5))
    return [
        (
            draw(CREATED),
            draw(st.booleans()),
            draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=800))),
            draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30))),
        )
        for _ in range(size)
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=versions(), first_read=MOMENTS)
def test_the_deadline_never_moves_later_than_the_first_versions(session, history, first_read):
    row_key = uuid.uuid4().hex  # one key per example: the examples share the test's database
    now, starts = first_read, []
    for created, parses, gap, lag in history:
        now += gap if starts else timedelta(0)
        raw = entity(row_key, created=created) if parses else broken(row_key, created)
        store(session, raw, timestamp=now - lag, now=now)
        starts.append(start_of(session, row_key))
    first_deadline = schedule.deadline("lead", starts[0])
    assert all(schedule.deadline("lead", start) <= first_deadline for start in starts)
    assert starts == sorted(starts, reverse=True)  # each version's start is at or before the one before
    assert all(start <= first_read for start in starts)  # never later than the first sight


@given(
    created=st.one_of(st.none(), MOMENTS),
    timestamp=st.one_of(st.none(), MOMENTS),
    earlier=st.one_of(st.none(), MOMENTS),
    first_seen=MOMENTS,
)
def test_clock_start_is_never_later_than_first_sight_or_an_earlier_start(created, timestamp, earlier, first_seen):
    start = intake.clock_start(
        created=created, first_seen=first_seen, timestamp=timestamp, now=first_seen, earlier=earlier
    )
    assert start <= first_seen
    assert earlier is None or start <= earlier
    assert all(m is None or m > first_seen or start <= m for m in (created, timestamp))


def test_readable_created_time_tolerates_what_the_parser_refuses():
    assert intake.readable_created_time({"CreatedTime": "garbage"}) is None
    assert intake.readable_created_time({"CreatedTime": json.dumps(1)}) is None
    assert intake.readable_created_time({}) is None
    assert intake.readable_created_time({"CreatedTime": "2024-01-01T00:00:00Z"}) == at("2024-01-01T00:00")
