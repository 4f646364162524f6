"""What the two list pages show, each from one call: the leads list (`leads_page`) and the installations list
(`installations_page`). The page's rows come first; what surrounds them (holds, consent, filter choices, staff,
marketing lists, saved views, linked leads) is read for those rows alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from leads.consent import marketing, records
from leads.models import Lead, LegalHold, MarketingList, SavedView, User
from leads.retention import holds
from leads.staff import users
from leads.workspace import installlist, leadlist, queries
from leads.workspace.saved_views import for_user as saved_views_of


@dataclass(frozen=True)
class LeadsPage:
    """One page of the leads list and everything shown around it."""

    listing: leadlist.Listing
    held: dict[int, LegalHold]  # lead id -> its active hold
    consent: dict[int, records.ConsentState]  # lead id -> its marketing consent now
    options: dict[str, list[str]]  # filter -> the values offered
    staff: list[User]
    lists: list[tuple[MarketingList, int]]  # marketing lists, each with its size
    saved_views: list[SavedView]


def leads_page(
    *, session: Session, query: leadlist.ListQuery, user: User, now: datetime, per_page: int, options_ttl: timedelta
) -> LeadsPage:
    """The leads list page for `user`: the page of leads `query` asks for, and what surrounds it."""
    listing = leadlist.list_leads(session=session, query=query, now=now, per_page=per_page)
    ids = [lead.id for lead in listing.items]
    return LeadsPage(
        listing=listing,
        held=holds.active_holds(session=session, record_type="lead", record_ids=ids),
        consent=records.states(session=session, lead_ids=ids, now=now),
        options=leadlist.filter_options(session=session, now=now, ttl=options_ttl),
        staff=users.list_users(session=session),
        lists=marketing.all_lists(session=session),
        saved_views=saved_views_of(session=session, user=user, page="leads"),
    )


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
