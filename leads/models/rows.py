"""Many rows into one table, handed to the driver already converted: the sync's inserts of a page, and its
people.

SQLAlchemy converts every parameter of every row through its column type (for a page of a thousand leads,
five thousand datetimes through `UTCDateTime` and SQLite's string format, plus the booleans): 25-30 µs a lead,
as much as SQLite then takes to insert it. Here the statement is written once per table and column set, the
values are taken from each row in one C call, and only the columns whose type converts anything are
converted, by a function that does exactly what the type would (`tests/ingest/test_rows.py` stores rows both
ways on both databases and compares what was stored). A column type this module does not know is converted by
SQLAlchemy's own processor for it, so a new column can never be stored differently, only more slowly.

SQLite takes the rows as one executemany. PostgreSQL takes them as one statement, `INSERT ... SELECT FROM
unnest(...)` with one array a column: psycopg's pipelined executemany of a thousand rows cost more than the
insert itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Boolean, Connection, Dialect, Enum, Integer, String, Table

from leads.db import UTCDateTime

Convert = Callable[[Any], Any]


def insert_many(
    connection: Connection, table: Table, rows: Sequence[dict[str, Any]], *, conflict_ignored: tuple[str, ...] = ()
) -> None:
    """Insert `rows` (dicts with the same keys, a None sent as NULL) into `table` in one executemany. Columns
    the rows leave out get their scalar Python default, as a core insert would; anything else is refused.
    `conflict_ignored`: the columns of a unique index; a row that would duplicate one is left out (ON CONFLICT
    DO NOTHING, which both databases understand)."""
    if not rows:
        return
    plan = _plan(connection.dialect, table, tuple(rows[0]), conflict_ignored)
    values = [plan.values(row) for row in rows]
    if plan.arrays:  # PostgreSQL: one statement, each column's values as one array
        connection.exec_driver_sql(plan.arrays, tuple(list(column) for column in zip(*values, strict=True)))
    else:
        connection.exec_driver_sql(plan.sql, values)


def select(connection: Connection, sql: str, parameters: tuple) -> list[tuple]:
    """The rows of a driver-level SELECT. On PostgreSQL planned afresh each time, with its parameters: psycopg
    prepares a statement run five times, and the server's generic plan of a lookup joined to an array, made
    while the table was empty (no statistics yet), walked the whole table once per key as the table grew (a
    page of the sync into a new database: 100 ms at 10,000 leads, 1.7 s at 20,000)."""
    if connection.dialect.name == "postgresql":
        driver = connection.connection.dbapi_connection
        return driver.execute(sql, parameters, prepare=False).fetchall()  # type: ignore[union-attr]
    return list(connection.exec_driver_sql(sql, parameters))  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Plan:
    sql: str
    take: Callable[[dict[str, Any]], tuple]  # the row's values in the statement's column order
    defaults: tuple  # then these, for the columns the rows leave out
    converts: tuple[tuple[int, Convert], ...]  # (position, conversion) for the columns whose type converts
    arrays: str  # PostgreSQL: the same insert from one array a column (unnest); "" where not used

    def values(self, row: dict[str, Any]) -> tuple:
        taken = self.take(row)
        if not self.converts:
            return taken + self.defaults
        values = [*taken, *self.defaults]
        for position, convert in self.converts:
            values[position] = convert(values[position])
        return tuple(values)  # SQLAlchemy takes a list of tuples (or dicts) as many rows


@lru_cache(maxsize=16)
def _plan(dialect: Dialect, table: Table, names: tuple[str, ...], conflict_ignored: tuple[str, ...]) -> _Plan:
    given = [table.c[name] for name in names]  # a KeyError names a key that is no column
    defaulted = [column for column in table.c if column.key not in names and _scalar_default(column)]
    columns = [*given, *defaulted]
    quote, mark = dialect.identifier_preparer.quote, "?" if dialect.paramstyle == "qmark" else "%s"
    # Our own table and column names, quoted; every value is a bound parameter.
    names_sql, marks = ", ".join(quote(column.name) for column in columns), ", ".join([mark] * len(columns))
    parts = ["INSERT INTO", quote(table.name), f"({names_sql})", "VALUES", f"({marks})"]
    if conflict_ignored:
        unique = ", ".join(quote(table.c[name].name) for name in conflict_ignored)
        parts += ["ON CONFLICT", f"({unique})", "DO NOTHING"]
    sql = " ".join(parts)
    arrays = ""
    if dialect.name == "postgresql" and all(_array_type(column.type) for column in columns):
        unnest = ", ".join(f"%s::{_array_type(column.type)}[]" for column in columns)
        parts[3:5] = ["SELECT * FROM unnest(", unnest, ")"]
        arrays = " ".join(parts)
    take = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    defaults = tuple(column.default.arg for column in defaulted)  # type: ignore[union-attr]
    converts = tuple(
        (position, convert)
        for position, column in enumerate(columns)
        if (convert := converter(dialect, column.type)) is not None
    )
    return _Plan(sql=sql, take=take, defaults=defaults, converts=converts, arrays=arrays)


def _array_type(type_: Any) -> str:
    """The PostgreSQL element type a column's values are sent as in an array ("": not sent so). The insert casts
    each to the column's own type, as it would a parameter."""
    if isinstance(type_, UTCDateTime):
        return "timestamptz"
    if isinstance(type_, Boolean):
        return "bool"
    if isinstance(type_, Integer):
        return "int8"
    if isinstance(type_, String) and not isinstance(type_, Enum):
        return "text"
    return ""


def _scalar_default(column: Any) -> bool:
    default = column.default
    if default is None:
        return False
    if not default.is_scalar:
        raise ValueError(f"{column.table.name}.{column.name} has a computed default: give it in every row")
    return True


def converter(dialect: Dialect, type_: Any) -> Convert | None:
    """What `type_` does to a value bound on `dialect` (None: nothing), done the fast way where we know how."""
    if isinstance(type_, UTCDateTime):
        return utc_text if dialect.name == "sqlite" else utc_aware
    processor = type_._cached_bind_processor(dialect)
    if processor is None:
        return None
    if isinstance(type_, Boolean):
        # SQLite stores a bool as the integer 1 or 0, as the processor would make it; PostgreSQL takes it as is.
        return lambda value: value if value is None or value.__class__ is bool else processor(value)
    return processor


def utc_text(value: datetime | None) -> str | None:
    """A `UTCDateTime` as SQLite stores it: naive UTC in SQLAlchemy's DATETIME text, microseconds always."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = _to_utc(value)
    return value.isoformat(" ", "microseconds")[:26]  # without the "+00:00"


def utc_aware(value: datetime | None) -> datetime | None:
    """A `UTCDateTime` as PostgreSQL is sent it: aware, in UTC."""
    if value is None or value.tzinfo is UTC:
        return value
    return _to_utc(value)


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime: timestamps must be aware (UTC)")
    return value.astimezone(UTC)
