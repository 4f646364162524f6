"""Staff pages: dashboard, leads, installations. Views parse, call one service, render."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request

from leads import db, htmx, services, sync
from leads.auth import requires

bp = Blueprint("pages", __name__)


def _page_arg() -> int:
    try:
        return int(request.args.get("page", "1"))
    except ValueError:
        return 1


@bp.get("/")
@requires("leads.view")
def dashboard() -> object:
    """For now the dashboard is the leads list; issue 6 gives it its own figures."""
    return leads_list()


@bp.get("/leads")
@requires("leads.view")
def leads_list() -> str:
    """A page of leads, newest first."""
    page = services.list_leads(session=db.session(), page=_page_arg(), per_page=current_app.config["LEADS_PER_PAGE"])
    return htmx.render("leads/list.html", "_partials/leads-table.html", page=page)


@bp.get("/leads/<int:lead_id>")
@requires("leads.view")
def lead_detail(lead_id: int) -> str:
    """One lead's contact card and source details."""
    lead = services.get_lead(session=db.session(), lead_id=lead_id) or abort(404)
    return htmx.render("leads/detail.html", "leads/detail.html", lead=lead)


@bp.get("/installations")
@requires("installations.view")
def installations_list() -> str:
    """Every managed application seen, latest activity first."""
    page = services.list_installations(
        session=db.session(), page=_page_arg(), per_page=current_app.config["LEADS_PER_PAGE"]
    )
    return htmx.render("installations/list.html", "_partials/installations-table.html", page=page)


@bp.get("/installations/<int:installation_id>")
@requires("installations.view")
def installation_detail(installation_id: int) -> str:
    """One installation and its notifications in order."""
    found = services.get_installation(session=db.session(), installation_id=installation_id) or abort(404)
    installation, events = found
    return htmx.render(
        "installations/detail.html", "installations/detail.html", installation=installation, events=events
    )


@bp.get("/admin/sync")
@requires("sync.view")
def sync_status() -> str:
    """The last lead sync runs and the quarantine of entities that could not become leads."""
    session = db.session()
    return htmx.render(
        "admin/sync.html",
        "admin/sync.html",
        runs=sync.recent_runs(session=session),
        quarantine=sync.quarantine(session=session),
    )
