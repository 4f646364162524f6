"""What the two list pages show, each from one call: the leads list (`leads_page`) and the installations list
(`installations_page`). The page's rows come first; what surrounds them (holds, consent, filter choices, staff,
marketing lists, saved views, linked leads) is read for those rows alone.

What the leads list needs around its rows costs two statements, both exact, neither cached (issue #33):
- the rows' active holds and their people's current marketing consent, in one statement (`rows_around`): the state
  stored on the person (`Person.marketing_consent`, kept by `leads.people.consents`, the one writer of consent
  records), not each person's history; the table shows the state alone, never since when;
- the viewer's choices: the staff for the owner filter, the marketing lists to add leads to (names, not sizes:
  the page shows none) and the viewer's saved views, one UNION ALL of the three owners' statements (`_choices`).
The session's user is read once a request by the login (`leads.staff.users.load_for_session`), never cached:
a deactivation or a role change must end the session at its next request in every gunicorn worker, and a
per-process cache cannot hear another worker's write. A cache of the staff or the lists would have needed a
shared version to stay exact across workers, and that version is itself a statement; the union costs no more
and is never stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Boolean, String, bindparam, cast, literal_column, null, union_all
from sqlalchemy import select as select_
from sqlmodel import Session, col

from leads.consent import marketing, records
from leads.models import Lead, LegalHold, SavedView, User
from leads.retention import holds
from leads.staff import users
from leads.workspace import installlist, leadlist, queries
from leads.workspace.saved_views import for_user as saved_views_of
from leads.workspace.saved_views import for_user_choices


class StaffChoice(NamedTuple):
    """A member of staff as the owner filter and the bulk form offer them."""

    id: int
    email: str
    active: bool


class ListChoice(NamedTuple):
    """A marketing list as the bulk form offers it."""

    id: int
    name: str


class ViewChoice(NamedTuple):
    """One of the viewer's saved views, as the list links it."""

    id: int
    name: str
    query: str


@dataclass(frozen=True)
class LeadsPage:
    """One page of the leads list and everything shown around it."""

    listing: leadlist.Listing
    held: frozenset[int]  # the ids of the page's leads on an active hold
    consent: dict[int, records.ConsentState]  # lead id -> its marketing consent now (the state, without since)
    options: dict[str, list[str]]  # filter -> the values offered
    staff: list[StaffChoice]  # by email
    lists: list[ListChoice]  # marketing lists, by name
    saved_views: list[ViewChoice]  # by name


def leads_page(
    *, session: Session, query: leadlist.ListQuery, user: User, now: datetime, per_page: int, options_ttl: timedelta
) -> LeadsPage:
    """The leads list page for `user`: the page of leads `query` asks for, and what surrounds it."""
    listing = leadlist.list_leads(session=session, query=query, now=now, per_page=per_page)
    held, consent = rows_around(session, [lead.id for lead in listing.items])
    staff, lists, views = _choices(session, user_id=user.id or 0, page="leads")
    return LeadsPage(
        listing=listing,
        held=held,
        consent=consent,
        options=leadlist.filter_options(session=session, now=now, ttl=options_ttl),
        staff=staff,
        lists=lists,
        saved_views=views,
    )


def rows_around(session: Session, lead_ids: list[int]) -> tuple[frozenset[int], dict[int, records.ConsentState]]:
    """The page's leads on an active hold, and each one's marketing consent: one statement."""
    if not lead_ids:
        return frozenset(), {}
    held, consent = set(), {}
    for lead_id, stored, on_hold in session.execute(_around_statement(), {"lead_ids": lead_ids}):
        consent[lead_id] = records.stored_state(stored)
        if on_hold:
            held.add(lead_id)
    return frozenset(held), consent


@cache
def _around_statement() -> Any:
    """Built once (the page sends it with its ids): building it each time cost more than sending it."""
    ids = bindparam("lead_ids", expanding=True)
    return records.current_states_query(lead_ids=ids, also=[holds.is_held("lead", col(Lead.id))])


def _choices(
    session: Session, *, user_id: int, page: str
) -> tuple[list[StaffChoice], list[ListChoice], list[ViewChoice]]:
    """The staff (by email), the marketing lists (by name) and `user_id`'s saved views of `page` (by name), in
    one statement: each owner's own statement (`users.staff_choices`, `marketing.list_choices`,
    `saved_views.for_user_choices`), unioned and ordered by the database, so names sort as they always did."""
    found: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
    for kind, row_id, label, active, saved in session.execute(_choices_statement(), {"user_id": user_id, "page": page}):
        if kind == 0:
            found[0].append(StaffChoice(row_id, label, bool(active)))
        elif kind == 1:
            found[1].append(ListChoice(row_id, label))
        else:
            found[2].append(ViewChoice(row_id, label, saved))
    return found


@cache
def _choices_statement() -> Any:
    """Built once, sent with the viewer's id and the page."""
    staff = users.staff_choices().subquery()
    lists = marketing.list_choices().subquery()
    views = for_user_choices(user_id=bindparam("user_id"), page=bindparam("page")).subquery()
    no_flag, no_text = cast(null(), Boolean), cast(null(), String)
    return union_all(
        select_(literal_column("0").label("kind"), staff.c.id, staff.c.email.label("label"), staff.c.active, no_text),
        select_(literal_column("1"), lists.c.id, lists.c.name, no_flag, no_text),
        select_(literal_column("2"), views.c.id, views.c.name, no_flag, views.c.query),
    ).order_by(literal_column("kind"), literal_column("label"))


@dataclass(frozen=True)
class InstallationsPage:
    """One page of the installations list and everything shown around it."""

    listing: Any  # pager.Window of installations
    held: dict[int, LegalHold]  # installation id -> its active hold
    reasons: dict[int, str]  # installation id -> why its deployment failed
    plans: list[str]
    saved_views: list[SavedView]
    leads: dict[int, Lead]  # lead id -> the lead an installation on the page is linked to


def installations_page(
    *, session: Session, query: installlist.InstallQuery, user: User, now: datetime, per_page: int
) -> InstallationsPage:
    """The installations list page for `user`: the page `query` asks for, and what surrounds it."""
    listing = installlist.list_installations(session=session, query=query, now=now, per_page=per_page)
    shown: list[Any] = listing.items
    held = holds.active_holds(session=session, record_type="installation", record_ids=[i.id for i in shown])
    reasons = installlist.reasons(session=session, installations=shown)
    plans = installlist.plan_names(session=session)
    saved_views = saved_views_of(session=session, user=user, page="installations")
    leads = queries.leads_by_id(session=session, lead_ids=[i.lead_id for i in shown if i.lead_id])
    return InstallationsPage(listing, held, reasons, plans, saved_views, leads)
