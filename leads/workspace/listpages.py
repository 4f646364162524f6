"""What the two list pages show, each from one call: the leads list (`leads_page`) and the installations list
(`installations_page`). The page's rows come first; what surrounds them (holds, consent, filter choices, staff,
marketing lists, saved views, linked leads) is read for those rows alone.

What the leads list needs around its rows costs one statement, exact, never cached (issue #33): the rows' active
holds and their people's current marketing consent (`rows_around`): the state stored on the person
(`Person.marketing_consent`, kept by `leads.people.consents`, the one writer of consent records), not each
person's history; the table shows the state alone, never since when.

What both lists show their viewer (the staff for the owner filter, the marketing lists to add leads to, the
viewer's saved views) comes from `leads.workspace.viewer`: kept in this process under the stamp the session's
user is read with, so no statement while nobody has written to them, one on the first request after a write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from leads.consent import records
from leads.models import Installation, Lead, User
from leads.retention import holds
from leads.rules.vocabulary import lead_name
from leads.workspace import installlist, leadlist, viewer
from leads.workspace.viewer import ListChoice, StaffChoice, ViewChoice


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
    *,
    session: Session,
    query: leadlist.ListQuery,
    user: User,
    version: int | None,
    now: datetime,
    per_page: int,
    options_ttl: timedelta,
) -> LeadsPage:
    """The leads list page for `user`, whose session read the viewer version `version` (`viewer.menus`): the
    page of leads `query` asks for, and what surrounds it."""
    listing = leadlist.list_leads(session=session, query=query, now=now, per_page=per_page)
    held, consent = rows_around(session, [lead.id for lead in listing.items])
    staff, lists, views = viewer.menus(
        session=session, version=version, staff=True, lists=True, views=(user.id or 0, "leads")
    )
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


@dataclass(frozen=True, slots=True)
class LinkedLead:
    """What the installations table shows of the lead a row is linked to: its name and company, read as plain
    columns (not a `Lead`: loading 50 whole leads through the ORM cost more than the statement)."""

    id: int
    first_name: str | None
    last_name: str | None
    company: str | None

    @property
    def display_name(self) -> str:
        """As `Lead.display_name` words it."""
        return lead_name(self.first_name, self.last_name)


@dataclass(frozen=True)
class InstallationsPage:
    """One page of the installations list and everything shown around it."""

    listing: Any  # pager.Window of installations
    held: frozenset[int]  # the ids of the page's installations on an active hold
    reasons: dict[int, str]  # installation id -> why its deployment failed
    plans: list[str]
    saved_views: list[ViewChoice]
    leads: dict[int, LinkedLead]  # lead id -> the lead an installation on the page is linked to


def installations_page(
    *, session: Session, query: installlist.InstallQuery, user: User, version: int | None, now: datetime, per_page: int
) -> InstallationsPage:
    """The installations list page for `user`, whose session read the viewer version `version`: the page `query`
    asks for, and what surrounds it."""
    listing = installlist.list_installations(session=session, query=query, now=now, per_page=per_page)
    shown: list[Any] = listing.items
    held, leads = installations_around(session, [i.id for i in shown])
    reasons = installlist.reasons(session=session, installations=shown)
    plans = installlist.plan_names(session=session)
    saved_views = viewer.menus(session=session, version=version, views=(user.id or 0, "installations")).views
    return InstallationsPage(listing, held, reasons, plans, saved_views, leads)


def installations_around(session: Session, ids: list[int]) -> tuple[frozenset[int], dict[int, LinkedLead]]:
    """The page's installations on an active hold, and the leads they are linked to (by id): one statement, the
    linked leads' read with each row's hold beside it (never cached: a hold placed holds at once)."""
    if not ids:
        return frozenset(), {}
    held, leads = set(), {}
    for installation_id, on_hold, lead_id, *lead in session.execute(_installations_around_statement(), {"ids": ids}):
        if on_hold:
            held.add(installation_id)
        if lead_id is not None:
            leads[lead_id] = LinkedLead(lead_id, *lead)
    return frozenset(held), leads


@cache
def _installations_around_statement() -> Any:
    """Built once, sent with the page's ids."""
    return (
        select(
            col(Installation.id),
            holds.is_held("installation", col(Installation.id)),
            col(Lead.id),
            col(Lead.first_name),
            col(Lead.last_name),
            col(Lead.company),
        )
        .select_from(Installation)
        .outerjoin(Lead, col(Lead.id) == col(Installation.lead_id))
        .where(col(Installation.id).in_(bindparam("ids", expanding=True)))
    )
