"""The one pager every list uses: keyset pages (after/before a "<sort value>~<id>" cursor), never OFFSET.

The total is counted only up to COUNT_CAP, so no request reads a whole table. Where a page starts ("101-150
of 600") travels in the URL as `start`: keyset pages do not know their position, and counting the rows before
the cursor would double every page's cost. It is a label only (a mangled `start` mislabels, never misreads),
and it resets to 1 whenever the page turns out to be the first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import DateTime, tuple_
from sqlmodel import Session, col, func, select

T = TypeVar("T")
COUNT_CAP = 10_000
FEW = 5_000  # a search with at most this many matches reads them by id (`by_id`) instead of walking the order
TOP = chr(0x10FFFF)  # sorts after every other character, in UTF-8 byte order too: a prefix's range ends below it


@dataclass(frozen=True)
class Window(Generic[T]):
    """One page of rows, how to reach its neighbours, and where it sits in the whole list."""

    items: list[T]
    total: int
    capped: bool
    next_cursor: str | None
    prev_cursor: str | None
    start: int = 1
    per_page: int = 50

    @property
    def next_start(self) -> int:
        return self.end + 1

    @property
    def prev_start(self) -> int:
        return max(1, self.start - self.per_page)

    @property
    def end(self) -> int:
        return self.start + len(self.items) - 1

    @property
    def label(self) -> str:
        """ "101-150 of 600", or "of 10,000+" when the count stopped at the cap."""
        whole = f"{self.total:,}{'+' if self.capped else ''}"
        return f"{self.start:,}-{self.end:,} of {whole}" if self.items else f"0 of {whole}"


@dataclass(frozen=True)
class Request:
    """Which page was asked for: the cursors, the sort direction and the claimed start position."""

    after: str = ""
    before: str = ""
    ascending: bool = False
    start: int = 1


Fetch = Callable[[Session, list[Any], Any, bool, int], list[Any]]


def page(
    *,
    session: Session,
    model: Any,
    column: Any,
    conditions: Sequence[Any],
    asked: Request,
    per_page: int,
    fetch: Fetch | None = None,
    total: int | None = None,
) -> Window[Any]:
    """One keyset page of `model` rows matching `conditions`, ordered by `column` then id.

    `fetch(session, where, column, ascending, limit)` reads the rows (default: walk the order's index);
    `total` is the capped count when the caller already has it.
    """
    backwards, cursor, ascending = _direction(asked, column)
    keyset = _keyset(model, column, cursor, ascending) if cursor else []
    total = capped_count(session, model, list(conditions)) if total is None else total
    rows = (fetch or _walker(model))(session, [*conditions, *keyset], column, ascending, per_page + 1)
    more, rows = len(rows) > per_page, rows[:per_page]
    if backwards:
        rows.reverse()
    return _window(rows, column, total, asked, per_page, more=more, backwards=backwards, from_cursor=bool(cursor))


def _direction(asked: Request, column: Any) -> tuple[bool, tuple[Any, int] | None, bool]:
    """Whether the page is read backwards (only `before` given), the cursor it starts from, and whether the rows
    are read in ascending order."""
    backwards = bool(asked.before) and not asked.after
    return backwards, decode(asked.before if backwards else asked.after, column), asked.ascending != backwards


def _window(
    rows: list[Any],
    column: Any,
    total: int,
    asked: Request,
    per_page: int,
    *,
    more: bool,
    backwards: bool,
    from_cursor: bool,
) -> Window[Any]:
    """The page of `rows` (in display order) with the cursors to its neighbours: `more` says a row was read beyond
    the page, in the direction read."""
    has_prev = from_cursor and (not backwards or more)
    start = max(asked.start, 2) if has_prev else 1
    return Window(
        items=rows,
        total=min(total, COUNT_CAP),
        capped=total > COUNT_CAP,
        next_cursor=encode(rows[-1], column) if rows and (more or backwards) else None,
        prev_cursor=encode(rows[0], column) if rows and has_prev else None,
        start=start,
        per_page=per_page,
    )


def _keyset(model: Any, column: Any, cursor: tuple[Any, int], ascending: bool) -> list[Any]:
    """Rows after the cursor in the sort order. The bound on the column alone is implied by the row comparison,
    but PostgreSQL cannot start an index on that column alone (name, company, email) at a row comparison: with
    the bound it begins at the cursor's value instead of the top of the index."""
    if ascending:
        return [column >= cursor[0], tuple_(column, model.id) > cursor]
    return [column <= cursor[0], tuple_(column, model.id) < cursor]


def _walker(model: Any) -> Fetch:
    def walk(session: Session, where: list[Any], column: Any, ascending: bool, limit: int) -> list[Any]:
        """The first `limit` matches in sort order, walking the order's index (or a filter's)."""
        order = (column.asc(), col(model.id).asc()) if ascending else (column.desc(), col(model.id).desc())
        return list(session.exec(select(model).where(*where).order_by(*order).limit(limit)))

    return walk


def by_id(model: Any) -> Fetch:
    """A fetch for a search with few matches (the caller's capped count says so): the matches' sort keys are
    read from the search indexes into a materialized CTE (so the planner cannot walk the order's index instead,
    as it would for an ORDER BY on the table), the first `limit` of them are picked in SQL (a top-N sort of
    (key, id) pairs, ordered as the walk orders them), and only those rows are loaded, by id: not every
    match's key read into Python and converted by the ORM to be sorted there (1,066 rows for a surname among a
    million installations, 5,000 at most)."""

    def fetch(session: Session, where: list[Any], column: Any, ascending: bool, limit: int) -> list[Any]:
        found = select(model.id.label("id"), column.label("key")).where(*where).cte("found").prefix_with("MATERIALIZED")
        order = (found.c.key.asc(), found.c.id.asc()) if ascending else (found.c.key.desc(), found.c.id.desc())
        chosen = [row_id for (row_id,) in session.execute(select(found.c.id).order_by(*order).limit(limit))]
        rows = {row.id: row for row in session.exec(select(model).where(col(model.id).in_(chosen)))} if chosen else {}
        return [rows[row_id] for row_id in chosen if row_id in rows]

    return fetch


def capped_count(session: Session, model: Any, conditions: list[Any], *, join: tuple[Any, Any] | None = None) -> int:
    """How many rows match, counted no further than COUNT_CAP + 1; `join`: (table, on clause) the conditions also
    test (each row of `model` must match at most one of its rows, or it would be counted twice)."""
    found = select(model.id) if join is None else select(model.id).join(*join)
    subquery = found.where(*conditions).limit(COUNT_CAP + 1).subquery()
    return session.exec(select(func.count()).select_from(subquery)).one()


def encode(row: Any, column: Any) -> str:
    value = getattr(row, column.key)
    return f"{value.isoformat() if isinstance(value, datetime) else value}~{row.id}"


MAX_ID = 2**31 - 1  # ids are INTEGER columns: a bigger number names no row (and PostgreSQL would refuse it)


def decode(raw: str, column: Any) -> tuple[Any, int] | None:
    """The (sort value, id) a cursor names, or None for no cursor or a mangled one (the first page, then): the
    id a bounded whole number, a time aware and convertible to UTC (the app writes only those)."""
    value, _, row_id = raw.rpartition("~")
    try:
        number = int(row_id)
        if not 0 <= number <= MAX_ID:
            return None
        is_time = isinstance(column.type, DateTime) or isinstance(getattr(column.type, "impl", None), DateTime)
        if not is_time:
            return value, number
        moment = datetime.fromisoformat(value)
        return (moment.astimezone(UTC), number) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):  # OverflowError: 9999-12-31T23:59:59-01:00 is past the last UTC year
        return None


def start_arg(raw: str | None) -> int:
    """The `start` URL argument, as a position of at least 1."""
    try:
        return max(1, min(int(raw or 1), 10**9))
    except ValueError:
        return 1
