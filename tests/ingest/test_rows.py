"""Rows handed to the driver already converted (`leads.models.rows`) are stored exactly as the ORM stores them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, text
from sqlmodel import select

from leads.ingest import sync
from leads.models import Lead, Person, rows
from leads.people import subjects
from tests.lead_samples import entity, source_entity

KEY = "test-tombstone-key"
# Aware datetimes in UTC and in other zones, with and without microseconds, across a DST change and far back.
MOMENTS = [
    datetime(2026, 11, 25, 8, 0, tzinfo=UTC),
    datetime(2026, 3, 29, 2, 30, 15, 123456, tzinfo=ZoneInfo("Europe/London")),
    datetime(2026, 7, 1, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2025, 12, 31, 19, 0, tzinfo=timezone(timedelta(hours=-5))),
    datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
]
DATETIMES = ("created_at_ms", "first_seen_at", "received_at", "source_timestamp")


def stored(session, table: str, where: str, columns: tuple[str, ...]) -> tuple:
    """The column values exactly as the database holds them (on SQLite: its text), past every type conversion."""
    return session.connection().exec_driver_sql(f"SELECT {', '.join(columns)} FROM {table} WHERE {where}").one()  # noqa: S608


def lead_row(row_key: str, moment: datetime) -> dict:
    return {
        "source_partition_key": "p",
        "source_row_key": row_key,
        "first_name": "Zoë",
        "email": f"{row_key}@example.com",
        "created_at_ms": moment,
        "first_seen_at": moment,
        "received_at": moment,
        "source_timestamp": None if moment.year < 1000 else moment,
        "is_test": True,
    }


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_a_row_inserted_converted_is_stored_as_the_orm_stores_it(session, moment):
    rows.insert_many(session.connection(), Lead.__table__, [lead_row("fast", moment)])
    session.add(Lead(**lead_row("orm", moment)))
    session.flush()
    columns = (*DATETIMES, "first_name", "is_dnc", "is_test", "nurture_status", "person_pinned")
    fast = stored(session, "lead", "source_row_key = 'fast'", columns)
    assert fast == stored(session, "lead", "source_row_key = 'orm'", columns)
    read = session.exec(select(Lead).where(Lead.source_row_key == "fast")).one()
    assert read.received_at == moment  # the same instant, read back aware in UTC
    assert read.received_at.tzinfo is UTC


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_the_converted_row_matches_sqlalchemy_core_too(session, moment):
    """Against SQLAlchemy's own per-parameter processing, which the sync used before."""
    rows.insert_many(session.connection(), Lead.__table__, [lead_row("fast", moment)])
    session.connection().execute(insert(Lead.__table__), [lead_row("core", moment)])
    columns = (*DATETIMES, "is_dnc", "is_test", "nurture_status", "person_pinned")
    fast = stored(session, "lead", "source_row_key = 'fast'", columns)
    assert fast == stored(session, "lead", "source_row_key = 'core'", columns)


def test_many_rows_at_once_are_stored_as_the_orm_stores_each(session):
    """A page's worth in one call (on PostgreSQL one array a column), NULLs and a column of NULLs among them."""
    page = [{**lead_row(f"fast{n}", moment), "created_at_ms": None} for n, moment in enumerate(MOMENTS)]
    rows.insert_many(session.connection(), Lead.__table__, page)
    session.add_all(Lead(**{**row, "source_row_key": f"orm{n}"}) for n, row in enumerate(page))
    session.flush()
    columns = (*DATETIMES, "first_name", "email", "is_dnc", "is_test", "nurture_status", "person_pinned")
    for n in range(len(MOMENTS)):
        assert stored(session, "lead", f"source_row_key = 'fast{n}'", columns) == stored(
            session, "lead", f"source_row_key = 'orm{n}'", columns
        )


def test_a_naive_datetime_is_refused_as_the_column_type_refuses_it(session):
    naive = datetime(2026, 1, 1)  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive"):
        rows.insert_many(session.connection(), Lead.__table__, [lead_row("naive", naive)])


def test_a_computed_default_is_refused_not_left_out(session):
    from sqlalchemy import Column, Integer, MetaData, Table

    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("n", Integer, default=lambda: 1))
    with pytest.raises(ValueError, match="computed default"):
        rows.insert_many(session.connection(), table, [{"id": 1}])


def test_a_synced_lead_reads_back_equal_to_one_stored_through_the_orm(session):
    """The whole sync path (parse, clock, search keys, person, converted insert) against an ORM save of the
    same values: every column but the keys, id and person is stored identically."""
    now = datetime(2026, 11, 30, 9, 15, 0, 250000, tzinfo=ZoneInfo("Europe/Paris"))
    raw = entity("synced")
    at = datetime(2026, 11, 25, 8, 0, 0, 1, tzinfo=UTC)
    sync.store_page(session=session, entities=[source_entity(raw, at)], now=now, tombstone_key=KEY)
    synced = session.exec(select(Lead).where(Lead.source_row_key == "synced")).one()
    copy = Lead(**synced.model_dump(exclude={"id", "source_row_key", "person_id"}), source_row_key="orm")
    session.add(copy)
    session.flush()
    columns = tuple(c.name for c in Lead.__table__.columns if c.name not in ("id", "source_row_key", "person_id"))
    assert stored(session, "lead", "source_row_key = 'synced'", columns) == stored(
        session, "lead", "source_row_key = 'orm'", columns
    )
    assert synced.first_seen_at == now and synced.source_timestamp == at


def test_people_made_in_a_batch_are_stored_as_the_orm_stores_them(session):
    seen = datetime(2026, 3, 29, 2, 30, 0, 5, tzinfo=ZoneInfo("Europe/London"))
    filed, unaddressed = subjects.person_ids(session=session, emails=["Fast@Example.com", None], seen_at=[seen, seen])
    session.add(Person(email_key="orm@example.com", created_at=seen))
    session.flush()
    columns = ("created_at", "processing_restricted", "objected", "erasure_pending", "undeliverable_at")
    orm = stored(session, "person", "email_key = 'orm@example.com'", columns)
    assert stored(session, "person", f"id = {filed}", columns) == orm
    assert stored(session, "person", f"id = {unaddressed}", columns) == orm
    assert session.get(Person, filed).email_key == "fast@example.com"


def test_people_without_an_address_each_get_their_own_person_in_order(session):
    times = [datetime(2026, 1, day, tzinfo=UTC) for day in (3, 1, 2)]
    ids = subjects.person_ids(session=session, emails=[None, "a@example.com", None, None][:3], seen_at=times)
    assert len(set(ids)) == 3
    made = {person.id: person.created_at for person in session.exec(select(Person).where(Person.id.in_(ids)))}
    assert [made[i] for i in ids] == times


def test_sqlite_keeps_sqlalchemys_datetime_text(session):
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL stores timestamptz, compared above")
    rows.insert_many(session.connection(), Lead.__table__, [lead_row("text", MOMENTS[2])])
    (value,) = session.connection().execute(text("SELECT received_at FROM lead WHERE source_row_key = 'text'")).one()
    assert value == "2026-07-01 18:29:59.999999"
