"""What pages show their viewer besides their own rows: the staff, the marketing lists and the viewer's saved
views, kept in this process under the viewer version (issue #33, item 3).

The database moves one stamp (`ViewerVersion`, migration 0031) by trigger on every write to the tables below,
whoever writes (a service, a bulk UPDATE, a SQL console); the session's user is read with it, in the one statement
every request sends anyway (`leads.staff.users.load_for_session`). While the stamp a request read is the one an
entry was filled under, the menus come from the entry without a statement; any other stamp starts a new entry, so
each gunicorn worker sees a write at its next request. A missing stamp (None) caches nothing. Entries are kept per
engine (a database of its own, a test's app of its own) and the stamp starts at random (a database made again
under the same URL never matches an old entry).

What is read on a miss is read in one statement, the owners' own statements unioned (`_statement`), so a page
that needs all three still sends one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

from sqlalchemy import Boolean, String, bindparam, cast, literal_column, null, union_all
from sqlalchemy import select as select_
from sqlalchemy.engine import Engine
from sqlmodel import Session

from leads.consent import marketing
from leads.staff import users
from leads.workspace.saved_views import for_user_choices

# The tables whose writes move the stamp, each with the columns whose update does (None: any write). The
# menus show a user's id, email and active flag: a login raising their session version must not empty every
# worker's cache. Migration 0031 creates the triggers from its own frozen copy; tests/workspace/test_viewer.py
# holds the database's triggers equal to this.
COVERED: dict[str, tuple[str, ...] | None] = {
    "user": ("id", "email", "active"),
    "marketinglist": None,
    "savedview": None,
}
STAFF, LISTS, VIEWS = 0, 1, 2


class StaffChoice(NamedTuple):
    """A member of staff as the menus offer them (the owner filter, the bulk form, the audit filter)."""

    id: int
    email: str
    active: bool


class ListChoice(NamedTuple):
    """A marketing list as the forms offer it."""

    id: int
    name: str


class ViewChoice(NamedTuple):
    """One of the viewer's saved views, as the list links it."""

    id: int
    name: str
    query: str


class Menus(NamedTuple):
    """What was asked for (an empty list for what was not): staff by email, lists by name, views by name."""

    staff: list[StaffChoice]
    lists: list[ListChoice]
    views: list[ViewChoice]


@dataclass
class _Entry:
    stamp: int
    staff: list[StaffChoice] | None = None
    lists: list[ListChoice] | None = None
    views: dict[tuple[int, str], list[ViewChoice]] = field(default_factory=dict)


_ENTRIES: WeakKeyDictionary[Engine, _Entry] = WeakKeyDictionary()
_LOCK = threading.Lock()  # gunicorn's threads share the entries


def menus(
    *,
    session: Session,
    version: int | None,
    staff: bool = False,
    lists: bool = False,
    views: tuple[int, str] | None = None,
) -> Menus:
    """The staff (if `staff`), the marketing lists (if `lists`) and user `views[0]`'s saved views of page
    `views[1]` (if given): from the entry kept under `version` (the stamp this request read with its user), what
    it lacks in one statement, kept there. `version` None: read, keep nothing."""
    entry = _entry(session, version)
    missing = []
    if staff and entry.staff is None:
        missing.append(STAFF)
    if lists and entry.lists is None:
        missing.append(LISTS)
    if views is not None and views not in entry.views:
        missing.append(VIEWS)
    if missing:
        _read(session, entry, tuple(missing), views)
    return Menus(
        (entry.staff or []) if staff else [],
        (entry.lists or []) if lists else [],
        entry.views.get(views, []) if views else [],
    )


def _entry(session: Session, version: int | None) -> _Entry:
    """The entry kept for this database under `version`, a new one (kept) if there is none, or a throwaway one."""
    if version is None:
        return _Entry(stamp=-1)
    engine = session.get_bind()
    with _LOCK:
        found = _ENTRIES.get(engine)  # type: ignore[call-overload]
        if found is None or found.stamp != version:
            found = _ENTRIES[engine] = _Entry(stamp=version)  # type: ignore[index]
    return found


def _read(session: Session, entry: _Entry, kinds: tuple[int, ...], views: tuple[int, str] | None) -> None:
    """Read `kinds` in one statement into `entry` (read after the stamp was: never older than it says)."""
    found: dict[int, list[Any]] = {kind: [] for kind in kinds}
    user_id, page = views or (0, "")
    for kind, row_id, label, active, saved in session.execute(_statement(kinds), {"user_id": user_id, "page": page}):
        if kind == STAFF:
            found[kind].append(StaffChoice(row_id, label, bool(active)))
        elif kind == LISTS:
            found[kind].append(ListChoice(row_id, label))
        else:
            found[kind].append(ViewChoice(row_id, label, saved))
    if STAFF in found:
        entry.staff = found[STAFF]
    if LISTS in found:
        entry.lists = found[LISTS]
    if VIEWS in found and views:
        entry.views[views] = found[VIEWS]


@cache
def _statement(kinds: tuple[int, ...]) -> Any:
    """The owners' statements for `kinds` (`users.staff_choices`, `marketing.list_choices`,
    `saved_views.for_user_choices`), unioned and ordered by the database: built once per combination."""
    no_flag, no_text = cast(null(), Boolean), cast(null(), String)
    parts = []
    if STAFF in kinds:
        staff = users.staff_choices().subquery()
        parts.append(select_(literal_column("0"), staff.c.id, staff.c.email, staff.c.active, no_text))
    if LISTS in kinds:
        lists = marketing.list_choices().subquery()
        parts.append(select_(literal_column("1"), lists.c.id, lists.c.name, no_flag, no_text))
    if VIEWS in kinds:
        views = for_user_choices(user_id=bindparam("user_id"), page=bindparam("page")).subquery()
        parts.append(select_(literal_column("2"), views.c.id, views.c.name, no_flag, views.c.query))
    first = parts[0].selected_columns
    parts[0] = parts[0].with_only_columns(first[0].label("kind"), first[1], first[2].label("label"), *first[3:])
    ordering = (literal_column("kind"), literal_column("label"))
    return (union_all(*parts) if len(parts) > 1 else parts[0]).order_by(*ordering)
