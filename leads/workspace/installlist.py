"""The installations workspace: filters, search, sort and the shared keyset pager, and why a deploy failed.

Search is a prefix range on folded keys stored on the installation (folded as the leads search folds, by
`search_key`): its application, resource group and subscription, and its linked lead's name, surname and
company. A search with few matches is read by id, as the leads search is (`pager.by_id`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, text, union
from sqlmodel import Session, col, select

from leads.models import INSTALL_SEARCH_KEYS, INSTALL_STATES, Installation, InstallEvent, PlanPermission, search_key
from leads.workspace import pager

NEEDS_HELP = ("failed", "uninstall_failed")
SORTS: dict[str, tuple[Any, str]] = {  # name -> (column, natural direction)
    "last_event": (Installation.last_event_at, "desc"),
    "first_event": (Installation.first_event_at, "desc"),
    "application": (Installation.application_name, "asc"),
    "state": (Installation.state, "asc"),
}
# What happened in the last `within` days: the dashboard's tiles count these, and open the list filtered by them.
HAPPENED: dict[str, tuple[str | None, str]] = {  # name -> (event type or any, provisioning state)
    "installed": ("PUT", "Succeeded"),
    "failed": (None, "Failed"),
    "uninstalled": ("DELETE", "Deleted"),
}
# Newest first, a search with at most this many matches reads them from the key indexes (`_by_keys`); more walk.
KEYED = pager.COUNT_CAP
HAPPENED_LABELS = {"installed": "Installed", "failed": "Failed to install or uninstall", "uninstalled": "Uninstalled"}


@dataclass(frozen=True)
class InstallQuery:
    """What the installations list was asked for, validated."""

    q: str = ""
    state: str = ""  # one of INSTALL_STATES, or "needs_help"
    plan: str = ""
    model: str = ""  # "locked" or "publisher_managed"
    linked: str = ""  # "yes" or "no"
    happened: str = ""  # a HAPPENED key, within the last `within` days
    within: int = 7
    sort: str = "last_event"
    direction: str = "desc"
    after: str = ""
    before: str = ""
    start: int = 1

    def args(self, **changes: object) -> dict[str, object]:
        """URL query arguments for this list with `changes` (defaults left out)."""
        values = asdict(replace(self, **changes))  # type: ignore[arg-type]
        defaults = asdict(InstallQuery(direction=SORTS[values["sort"]][1]))
        return {k: v for k, v in values.items() if v not in ("", None) and v != defaults[k]}

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.state or self.plan or self.model or self.linked or self.happened)


def parse(args: Mapping[str, str]) -> InstallQuery:
    """An InstallQuery from request arguments; unknown values fall back to defaults rather than failing."""
    sort = args.get("sort", "") if args.get("sort") in SORTS else "last_event"
    direction = args.get("direction", "") if args.get("direction") in ("asc", "desc") else SORTS[sort][1]

    def pick(name: str, allowed: tuple[str, ...] | Mapping[str, Any]) -> str:
        return args.get(name, "") if args.get(name) in allowed else ""

    try:
        within = min(max(int(args.get("within") or 7), 1), 366)
    except ValueError:
        within = 7
    return InstallQuery(
        **{f: args.get(f, "").strip()[:200] for f in ("q", "plan", "after", "before")},
        state=pick("state", (*INSTALL_STATES, "needs_help")),
        model=pick("model", ("locked", "publisher_managed")),
        linked=pick("linked", ("yes", "no")),
        happened=pick("happened", HAPPENED),
        within=within,
        sort=sort,
        direction=direction,
        start=pager.start_arg(args.get("start")),
    )


def conditions(query: InstallQuery, now: datetime, *, indexed: bool = True) -> list[Any]:
    """The WHERE clauses `query` asks for (the dashboard counts with these too); `indexed=False`: the search's
    written so that no index serves it (`_search`)."""
    found: list[Any] = []
    if query.state:
        found.append(col(Installation.state).in_(NEEDS_HELP if query.state == "needs_help" else (query.state,)))
    if query.plan:
        found.append(Installation.plan_name == query.plan)
    if query.model:
        managed = select(PlanPermission.plan_name).where(PlanPermission.model == "publisher_managed")
        in_managed = col(Installation.plan_name).in_(managed)
        found.append(in_managed if query.model == "publisher_managed" else or_(~in_managed, _null_plan()))
    if query.linked:
        found.append(col(Installation.lead_id).is_not(None) if query.linked == "yes" else _unlinked())
    if query.happened:
        found.append(_happened(query.happened, now - timedelta(days=query.within)))
    if query.q:
        found.append(_search(query.q, indexed=indexed))
    return found


def _null_plan() -> Any:
    return col(Installation.plan_name).is_(None)


def _unlinked() -> Any:
    return col(Installation.lead_id).is_(None)


def _happened(name: str, since: datetime) -> Any:
    """Installations with a notification of that kind since `since`, driven from the window's notifications of that
    state (ix_installevent_happened: state, time, type, installation): a correlated EXISTS per installation walked every
    installation to count, 12 s at a million on a loaded SQLite."""
    event_type, state = HAPPENED[name]
    where = [InstallEvent.received_at >= since, InstallEvent.provisioning_state == state]
    if event_type:
        where.append(InstallEvent.event_type == event_type)
    return col(Installation.id).in_(select(InstallEvent.installation_id).where(*where))


def _search(text: str, *, indexed: bool = True) -> Any:
    """Installations with a searched key starting with `text` folded. `indexed=False` writes each key as
    `key || ''`, which no index serves, so the planner walks the list's order instead (`list_installations`)."""
    columns = _SEARCHED if indexed else tuple(column.concat("") for column in _SEARCHED)
    return or_(*_ranges(text, columns))


def _ranges(text: str, columns: Sequence[Any] = ()) -> list[Any]:
    """Each searched key's prefix range for `text` folded."""
    key = search_key(text)
    return [and_(column >= key, column < key + pager.TOP) for column in columns or _SEARCHED]


_SEARCHED = tuple(getattr(Installation, column) for column in INSTALL_SEARCH_KEYS)


def list_installations(*, session: Session, query: InstallQuery, now: datetime, per_page: int) -> pager.Window[Any]:
    """One keyset page of installations matching `query`."""
    column, _natural = SORTS[query.sort]
    asked = pager.Request(after=query.after, before=query.before, ascending=query.direction == "asc", start=query.start)
    fetch, total, plans = None, None, None
    if query.model == "publisher_managed":
        # The managed plans named (a handful), so each is an equality on ix_installation_plan_last_event: an
        # IN over a subquery made SQLite read every matching row (half a million) into a sort for one page.
        plans = sorted(
            session.exec(select(PlanPermission.plan_name).where(PlanPermission.model == "publisher_managed"))
        )
        fetch = _each_of(Installation.plan_name, plans) if len(plans) > 1 and query.sort == "last_event" else None

    def where_clauses(indexed: bool = True, q: str = query.q) -> list[Any]:
        asked = replace(query, q=q)
        if plans is None:
            return conditions(asked, now, indexed=indexed)
        return [*conditions(replace(asked, model=""), now, indexed=indexed), col(Installation.plan_name).in_(plans)]

    where = where_clauses()
    if fetch is None and query.state == "needs_help" and query.sort == "last_event":
        # Likewise the two "needs help" states: each is an equality on ix_installation_state_last_event, read in
        # order; as an IN list SQLite may pick ix_installation_state_id and fetch every failed row to sort them
        # (1.7 s cold at a million, BENCHMARKS.md "state needs help").
        fetch = _each_of(Installation.state, NEEDS_HELP)
    if fetch is None and query.q:
        # The capped count reads the key indexes alone. At most FEW matches are read by id (`pager.by_id`: their
        # sort keys through the key indexes, the page picked in SQL, its rows by id); more are dense enough to
        # walk the list's order, testing the keys row by row. Left to choose, SQLite read every match through the
        # key indexes and sorted them: "ra" typed at a million installations took 540 ms, walked 0.04 ms. Near
        # FEW the two cost the same (a common surname at a million, 4,300-8,300 matches: 10-25 ms either way,
        # bench/NOTES.md); a surname with ~1,000 matches is 2 ms by id and 200 ms walked. Newest first, up to
        # KEYED matches are read from the key indexes alone (`_by_keys`, migration 0029): "johnson" at a million
        # (over FEW matches), walked 20 ms, 4.6 ms by keys.
        total = pager.capped_count(session, Installation, where)
        if total <= KEYED and query.sort == "last_event":
            fetch = _by_keys(where_clauses(q=""), _ranges(query.q), len(where))
        elif total <= pager.FEW:
            fetch = pager.by_id(Installation)
        else:
            where = where_clauses(indexed=False)
    return pager.page(
        session=session,
        model=Installation,
        column=column,
        conditions=where,
        asked=asked,
        per_page=per_page,
        fetch=fetch,
        total=total,
    )


def _by_keys(unsearched: list[Any], ranges: list[Any], searched: int) -> pager.Fetch:
    """`pager.by_id` for the newest-first order, each searched key's range read on its own: a range on
    (key, last_event_at, id) (migration 0029) gives its matches' ids and sort keys from the index alone, where
    the OR of the six (a multi-index OR) read every match's row from the table for its sort key (a common
    surname at a million, 3,300-8,300 matches: 10-25 ms). The ranges' matches are united (an installation
    matching two keys comes once), the page's ids picked in SQL, its rows read by id. `unsearched`: the
    query's other conditions; `searched`: how many conditions the page was given before its cursor's."""

    def fetch(session: Session, where: list[Any], column: Any, ascending: bool, limit: int) -> list[Any]:
        cursor = where[searched:]
        arms = [
            select(col(Installation.id).label("id"), column.label("key")).where(*unsearched, *cursor, matches)
            for matches in ranges
        ]
        found = union(*arms).subquery("found")
        order = (found.c.key.asc(), found.c.id.asc()) if ascending else (found.c.key.desc(), found.c.id.desc())
        chosen = [row_id for (row_id,) in session.execute(select(found.c.id).order_by(*order).limit(limit))]
        if not chosen:
            return []
        rows = {row.id: row for row in session.exec(select(Installation).where(col(Installation.id).in_(chosen)))}
        return [rows[row_id] for row_id in chosen if row_id in rows]

    return fetch


def _each_of(field: Any, values: Sequence[str]) -> pager.Fetch:
    """The first rows in order of `field` IN `values`: each value's first `limit` read in order from its index
    (an equality, so the index gives the order), merged."""

    def fetch(session: Session, where: list[Any], column: Any, ascending: bool, limit: int) -> list[Any]:
        order = (
            (column.asc(), col(Installation.id).asc()) if ascending else (column.desc(), col(Installation.id).desc())
        )
        rows = [
            row
            for value in values
            for row in session.exec(select(Installation).where(*where, field == value).order_by(*order).limit(limit))
        ]
        rows.sort(key=lambda row: (getattr(row, column.key), row.id), reverse=not ascending)
        return rows[:limit]

    return fetch


def count(*, session: Session, query: InstallQuery, now: datetime) -> int:
    """How many installations `query` matches (capped like the list's count): what a dashboard tile shows. A
    "what happened" filter alone (the dashboard's tiles) is counted from the notifications' index: every
    notification belongs to an installation, so the distinct installations among the window's matching
    notifications are exactly the installations the filter lists (a scan of the window, not of a million
    installations probing their notifications)."""
    if query.happened and not (query.q or query.state or query.plan or query.model or query.linked):
        event_type, state = HAPPENED[query.happened]
        where = [
            InstallEvent.received_at >= now - timedelta(days=query.within),
            InstallEvent.provisioning_state == state,
        ]
        where += [InstallEvent.event_type == event_type] if event_type else []
        distinct = select(func.count(func.distinct(InstallEvent.installation_id))).where(*where)
        return min(session.exec(distinct).one(), pager.COUNT_CAP)
    return min(pager.capped_count(session, Installation, conditions(query, now)), pager.COUNT_CAP)


# The distinct plans by a skip scan of ix_installation_plan_name: one index seek per plan. A GROUP BY read all
# million installations (1.5-3 s on a loaded SQLite) on every page of the list.
_PLANS = text(
    "WITH RECURSIVE plans(name) AS ("
    " SELECT min(plan_name) FROM installation"
    " UNION ALL"
    " SELECT (SELECT min(plan_name) FROM installation WHERE plan_name > plans.name) FROM plans"
    " WHERE plans.name IS NOT NULL"
    ") SELECT name FROM plans WHERE name IS NOT NULL"
)


def plan_names(*, session: Session) -> list[str]:
    """The plans installations have used, for the filter's select."""
    return sorted(name for (name,) in session.execute(_PLANS) if name)


def reasons(*, session: Session, installations: list[Installation]) -> dict[int, str]:
    """Why each failed or blocked installation is stuck, in Azure's own words: the latest failure's first
    `error.details` message when present (the generic "DeploymentFailed" hides the real cause there), else
    its `error.message`. Installations that are not failed or blocked have no entry."""
    stuck = [i.id for i in installations if i.state in NEEDS_HELP]
    if not stuck:
        return {}
    # The page's installations' notifications (a few each) by ix_installevent_installation_time, failures kept
    # here: with the state in the WHERE, SQLite read every failed notification by ix_installevent_happened and
    # sorted them (most of the "state failed" and "needs help" pages' cost at a million; bench/NOTES.md).
    stored = session.exec(
        select(InstallEvent)
        .where(col(InstallEvent.installation_id).in_(stuck))
        .order_by(col(InstallEvent.event_time), col(InstallEvent.id))
    )
    latest = {event.installation_id: event for event in stored if event.provisioning_state == "Failed"}
    return {installation_id: reason_of(event) for installation_id, event in latest.items()}


def reason_of(event: InstallEvent) -> str:
    """One failure notification's reason: "<detail code>: <detail message>", else "<code>: <message>"."""
    try:
        details = json.loads(event.error_details or "[]")
    except ValueError:
        details = []
    first = details[0] if details and isinstance(details[0], dict) else {}
    code, message = (first.get("code"), first.get("message")) if first else (event.error_code, event.error_message)
    return ": ".join(part for part in (code, message) if part) or "Azure gave no reason"
