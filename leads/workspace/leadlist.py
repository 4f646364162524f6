"""The leads list: search as you type, filters, sorting and keyset pagination that stay fast at a million.

Every filter has an index that also yields the default order; search is a byte-order prefix range on
lower-cased key columns; pages are keyset (after/before a (sort value, id) cursor), never OFFSET; and the
total is counted only up to pager.COUNT_CAP, so no request reads the whole table.

A search that matches few leads is read by id. Walking the newest-first index until a page is full is quick
when matches are many and everywhere, but a rare prefix (a full email address, a typo) or matches that all
came long ago walk most of the index, on SQLite (whose planner cannot tell the cases apart) and on
PostgreSQL (whose statistics assume matches are spread evenly) alike. The capped count says which case it is;
reading up to FEW leads by id stays cheap whatever the table's size (bench/NOTES.md has the figures).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, literal, or_
from sqlmodel import Session, col, select

from leads.models import NURTURE_STATUSES, Lead, Person, search_key
from leads.rules import schedule
from leads.workspace import pager

FEW = pager.FEW  # a search with at most this many matches reads them by id (see the module docstring)
TOP = pager.TOP
SORTS: dict[str, tuple[Any, str]] = {  # name -> (column, natural direction)
    "received": (Lead.received_at, "desc"),
    "name": (Lead.name_key, "asc"),
    "company": (Lead.company_key, "asc"),
    "email": (Lead.email_key, "asc"),
}
EQUALS = ("country", "offer", "action_code", "status", "owner", "consent")
CONSENT_STATES = ("granted", "withdrawn", "none")


@dataclass(frozen=True)
class ListQuery:
    """What the list was asked for, validated. `after`/`before` are cursors "<sort value>~<id>"."""

    q: str = ""
    country: str = ""
    offer: str = ""
    action_code: str = ""
    status: str = ""
    owner: str = ""
    consent: str = ""
    expires_within: int | None = None
    sort: str = "received"
    direction: str = "desc"
    after: str = ""
    before: str = ""
    start: int = 1
    since: int | None = None  # received within this many days (the dashboard's "new leads" tile)

    def args(self, **changes: object) -> dict[str, object]:
        """URL query arguments for this list with `changes` (empty values left out)."""
        values = {**asdict(replace(self, **changes))}  # type: ignore[arg-type]
        return {
            k: v
            for k, v in values.items()
            if v not in ("", None)
            and not (k == "sort" and v == "received")
            and not (k == "start" and v == 1)
            and not (k == "direction" and v == SORTS[values["sort"]][1])
        }

    @property
    def filtered(self) -> bool:
        """Whether anything narrows the list."""
        return bool(self.q or any(getattr(self, f) for f in EQUALS) or self.expires_within or self.since)


def parse(args: Mapping[str, str]) -> ListQuery:
    """A ListQuery from request arguments; unknown values fall back to defaults rather than failing."""
    sort = args.get("sort", "received") if args.get("sort") in SORTS else "received"
    direction = args.get("direction") if args.get("direction") in ("asc", "desc") else SORTS[sort][1]
    status = args.get("status", "") if args.get("status") in NURTURE_STATUSES else ""
    within = _days(args.get("expires_within"))
    text = {
        f: args.get(f, "").strip()[:200] for f in ("q", "country", "offer", "action_code", "owner", "after", "before")
    }
    consent = args.get("consent", "") if args.get("consent") in CONSENT_STATES else ""
    return ListQuery(
        **text,
        status=status,
        consent=consent,
        expires_within=within,
        since=_days(args.get("since")),
        sort=sort,
        direction=direction,
        start=pager.start_arg(args.get("start")),
    )


def _days(raw: str | None) -> int | None:
    try:
        return min(max(int(raw or 0), 0), 3 * 366) or None
    except ValueError:
        return None


Listing = pager.Window  # one page of leads and how to reach its neighbours


def _conditions(query: ListQuery, now: datetime, *, count: bool = False) -> list[Any]:
    """The query's conditions; `count`: for the capped count, where the consent filter alone is read from its
    people's leads, through the join `_capped_count` adds (`_consent_condition`)."""
    found: list[Any] = []
    if query.q:
        prefix = search_key(query.q)
        found.append(
            or_(
                *(
                    and_(column >= prefix, column < prefix + TOP)
                    for column in (Lead.name_key, Lead.last_key, Lead.email_key, Lead.company_key)
                )
            )
        )
    for field, column in (
        ("country", Lead.country),
        ("offer", Lead.offer),
        ("action_code", Lead.action_code),
        ("status", Lead.nurture_status),
    ):
        if getattr(query, field):
            found.append(column == getattr(query, field))
    if query.owner:
        found.append(col(Lead.owner_id).is_(None) if query.owner == "none" else Lead.owner_id == _int(query.owner))
    if query.consent in CONSENT_STATES:
        found.append(_consent_condition(query.consent, count=count, alone=_consent_alone(query)))
    if query.since:
        found.append(Lead.received_at >= now - timedelta(days=query.since))
    if query.expires_within:
        found.append(Lead.received_at <= schedule.latest_start("lead", now + timedelta(days=query.expires_within)))
    return found


def _consent_alone(query: ListQuery) -> bool:
    """Whether the consent filter is the only thing narrowing the list."""
    return not (
        query.q or query.since or query.expires_within or any(getattr(query, f) for f in EQUALS if f != "consent")
    )


def _capped_count(session: Session, query: ListQuery, now: datetime) -> int:
    """The list's capped count. The consent filter alone ("granted", "withdrawn") joins its people to their leads
    (`_consent_condition`)."""
    alone = query.consent in ("granted", "withdrawn") and _consent_alone(query)
    join = (Person, Person.id == Lead.person_id) if alone else None
    return pager.capped_count(session, Lead, _conditions(query, now, count=True), join=join)


MAX_ID = 2**31 - 1  # ids are INTEGER columns: a bigger number names no lead (and PostgreSQL would refuse it)


def _int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        return -1
    return number if 0 <= number <= MAX_ID else -1


def list_leads(*, session: Session, query: ListQuery, now: datetime, per_page: int) -> Listing:
    """One keyset page of leads matching `query` (the shared pager, with a search's few matches read by id)."""
    column, _natural = SORTS[query.sort]
    conditions = _conditions(query, now)
    total = _capped_count(session, query, now)
    fetch = pager.by_id(Lead) if query.q and total <= FEW else None
    asked = pager.Request(after=query.after, before=query.before, ascending=query.direction == "asc", start=query.start)
    return pager.page(
        session=session,
        model=Lead,
        column=column,
        conditions=conditions,
        asked=asked,
        per_page=per_page,
        fetch=fetch,
        total=total,
    )


def count(*, session: Session, query: ListQuery, now: datetime) -> int:
    """How many leads `query` matches, capped as the list's count is: what a dashboard tile shows."""
    return min(_capped_count(session, query, now), pager.COUNT_CAP)


def distinct_values(*, session: Session, column: str, limit: int = 200) -> list[str]:
    """The values a filter can take (countries, offers, action codes), for its select."""
    attribute = getattr(Lead, column)
    query = select(attribute).where(col(attribute).is_not(None)).group_by(attribute).order_by(attribute).limit(limit)
    return [value for value in session.exec(query) if value]


_OPTIONS: dict[tuple[str, str], tuple[datetime, list[str]]] = {}


def filter_options(*, session: Session, now: datetime, ttl: timedelta) -> dict[str, list[str]]:
    """Countries, offers and action codes for the filter selects, cached for `ttl` per database (a
    GROUP BY over a million rows is too slow to run on every keystroke)."""
    url = str(session.get_bind().url)
    options = {}
    for column in ("country", "offer", "action_code"):
        cached = _OPTIONS.get((url, column)) if ttl > timedelta(0) else None
        if cached is None or cached[0] <= now:
            cached = (now + ttl, distinct_values(session=session, column=column))
            _OPTIONS[(url, column)] = cached
        options[column] = cached[1]
    return options


def _consent_condition(state: str, *, count: bool, alone: bool) -> Any:
    """Leads whose person's current marketing consent is `state`: "granted", "withdrawn", or "none" recorded
    (a lead filed under no person included). Consent is the person's, so every lead of a person who withdrew is
    "withdrawn".

    Read from the person's state as copied onto the lead (`Lead.marketing_consent`, kept by triggers from
    `Person.marketing_consent`, which the one writer of consent records keeps; migration 0030), not decided
    from each candidate's latest record (88 ms for "withdrawn + France" at a million on SQLite) nor by testing
    each candidate's person (23 ms; bench/NOTES.md). With a country, the count and the page are one range of
    `ix_lead_filter_consent`, in the list's order; with another filter, a column test on that filter's rows.

    The capped count with no other filter (`alone`, "granted" or "withdrawn") joins the people in `state` (in
    order from `ix_person_marketing_consent`) to their leads (`ix_lead_person_id`), stopping at the cap: no
    index of leads starts with the state, and the join counts 10,001 granted leads in 3 ms at a million;
    `_capped_count` adds the join, this gives the condition on the joined person."""
    # The state is written into the statement, not bound: PostgreSQL plans a statement psycopg has prepared
    # (after its fifth run on a connection) once for any value, and not knowing that few people withdrew it
    # chose the plan for a common state (100-150 ms at a million, against 16).
    inline = literal(state, literal_execute=True)
    if count and alone and state != "none":
        return Person.marketing_consent == inline
    return Lead.marketing_consent == inline
