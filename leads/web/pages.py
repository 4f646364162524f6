"""Staff pages: dashboard, leads, installations. Views parse, call one service, render."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from leads import db
from leads.rules import schedule, uktime
from leads.rules.vocabulary import staff_label
from leads.web import access, htmx, refusals, sessions, templating
from leads.web.forms import NoteForm
from leads.web.marketing_forms import consent_shown
from leads.web.permissions import can, requires
from leads.workspace import installlist, installpage, jobstatus, leadlist, leadpage, listpages
from leads.workspace.dashboard import page as dashboard_page

bp = Blueprint("pages", __name__)


@bp.get("/")
@requires("leads.view")
def dashboard() -> str:
    """What needs attention: stuck work (admins), this week's leads and installs, upcoming destruction, grants."""
    page = dashboard_page(
        session=db.session(),
        now=db.now(),
        staff_email=current_user.email,
        settings=current_app.config,
        with_attention=can("attention.view"),
    )
    return render_template("dashboard.html", **templating.named(page))


@bp.get("/leads")
@requires("leads.view")
def leads_list() -> str:
    """Search, filter, sort and page through leads; htmx swaps just the table."""
    query, now = leadlist.parse(request.args), db.now()
    page = listpages.leads_page(
        session=db.session(),
        query=query,
        user=current_user,
        version=sessions.viewer_version(),
        now=now,
        per_page=_per_page(),
        options_ttl=current_app.config["FILTER_OPTIONS_TTL"],
    )
    owners = {user.id: staff_label(user.email) for user in page.staff}
    return htmx.render(
        "leads/list.html",
        "_partials/leads-table.html",
        listing=page.listing,
        rows=_lead_rows(page.listing.items, held=page.held, consent=page.consent, owners=owners, now=now),
        query=query,
        options=page.options,
        staff=page.staff,
        owners=owners,
        select_all=request.args.get("select") == "all",  # "All" without JavaScript: the page, all ticked
        lists=page.lists,
        saved_views=page.saved_views,
    )


def _lead_rows(
    leads: list[Any], *, held: Any, consent: Any, owners: dict[int, str], now: datetime
) -> list[tuple[Any, ...]]:
    """Each row's text made once, here, for the table to write in one loop: (lead, name, detail link, consent
    state, received day, countdown span, email, status span, owner span). Made in Python, not a macro call or an
    include a row in the template, because those calls would cost more than the rest of the page (the spans are
    the partials' markup byte for byte: tests/web/test_pages.py holds them equal)."""
    base = url_for("pages.leads_list")
    show, countdown, span = uktime.show, schedule.countdown, templating.countdown_span
    status, owner, email = templating.lead_status_span, templating.lead_owner_span, templating.email_parts
    return [
        (
            lead,
            lead.display_name,
            f"{base}/{lead.id}",
            consent[lead.id],
            show(lead.received_at, with_time=False),
            span(countdown("lead", lead.received_at, now=now, on_hold=lead.id in held)),
            email(lead.email) if lead.email else "no email supplied",
            status(lead.id, lead.nurture_status),
            owner(lead.id, lead.owner_id, owners),
        )
        for lead in leads
    ]


def _per_page() -> int:
    """How many rows a list page shows (LEADS_PER_PAGE, for leads and installations alike)."""
    return current_app.config["LEADS_PER_PAGE"]


def lead_page_data(lead: Any, *, holds: list[Any] | None = None) -> dict[str, object]:
    """What the lead page shows of `lead` for this request's viewer (`leadpage.data`): the marketing panel only
    for those who may act on it, the menus under the viewer version this request read; `holds` as `load` read
    them, if it did."""
    return leadpage.data(
        session=db.session(),
        lead=lead,
        now=db.now(),
        with_marketing=can("marketing.act"),
        version=sessions.viewer_version(),
        holds=holds,
    )


@bp.get("/leads/<int:lead_id>")
@requires("leads.view")
def lead_detail(lead_id: int) -> str:
    """One lead's contact card and source details."""
    lead, holds = leadpage.load(session=db.session(), lead_id=lead_id) or abort(404)
    access.viewed("lead", lead.id)
    page = lead_page_data(lead, holds=holds)
    forms = {"note_form": refusals.shown(NoteForm), "consent_form": consent_shown()}
    return htmx.render("leads/detail.html", "leads/detail.html", **page, **forms)


@bp.get("/installations")
@requires("installations.view")
def installations_list() -> str:
    """Filter, search, sort and page through installations; htmx swaps just the table."""
    query, now = installlist.parse(request.args), db.now()
    page = listpages.installations_page(
        session=db.session(),
        query=query,
        user=current_user,
        version=sessions.viewer_version(),
        now=now,
        per_page=_per_page(),
    )
    return htmx.render(
        "installations/list.html",
        "_partials/installations-table.html",
        query=query,
        happened_labels=installlist.HAPPENED_LABELS,
        rows=_installation_rows(page.listing.items, held=page.held, reasons=page.reasons, leads=page.leads, now=now),
        **templating.named(page),
    )


def _installation_rows(
    items: list[Any], *, held: Any, reasons: dict[int, str], leads: Any, now: datetime
) -> list[Markup]:
    """Each row of the installations table, written once here (`templating.installation_row`) for the table to
    write in one loop: a row's dozen escaped values and spans cost more in Jinja than the rest of the page."""
    base, lead_base = url_for("pages.installations_list"), url_for("pages.leads_list")
    countdown, row = schedule.countdown, templating.installation_row
    return [
        row(
            inst,
            href=f"{base}/{inst.id}",
            reason=reasons.get(inst.id),
            lead=leads.get(inst.lead_id) if inst.lead_id else None,
            lead_href=f"{lead_base}/{inst.lead_id}",
            countdown=countdown("install_notification", inst.uninstalled_at, now=now, on_hold=inst.id in held),
        )
        for inst in items
    ]


@bp.get("/installations/<int:installation_id>")
@requires("installations.view")
def installation_detail(installation_id: int) -> str:
    """One installation and its notifications in order; with `lead_q`, just the lead panel and its search."""
    lead_q = request.args.get("lead_q", "").strip()[:200]
    page = installpage.data(session=db.session(), installation_id=installation_id, lead_q=lead_q, now=db.now())
    if page is None:
        abort(404)
    access.viewed("installation", installation_id)
    fragment = "_partials/installation-lead.html" if "lead_q" in request.args else "installations/detail.html"
    return htmx.render("installations/detail.html", fragment, **templating.named(page))


@bp.get("/admin/sync")
@requires("sync.view")
def sync_status() -> str:
    """The last lead sync runs and the quarantine of entities that could not become leads."""
    page = jobstatus.sync_page(session=db.session())
    return htmx.render("admin/sync.html", "admin/sync.html", **templating.named(page))
