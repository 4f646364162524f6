"""Saving and removing one's views of the leads and installations lists (plain forms; each redirects back)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, request, url_for
from flask_login import current_user

from leads import db
from leads.web import htmx
from leads.web.permissions import requires
from leads.workspace import saved_views

bp = Blueprint("views", __name__)
LISTS = {"leads": "pages.leads_list", "installations": "pages.installations_list"}


@bp.post("/views")
@requires("leads.view")
def save_view() -> object:
    """Save the list's current filters and sort under a name, then show the list with them."""
    page = request.form.get("page", "")
    args = dict(parse_qsl(request.form.get("query", "")))
    try:
        saved = saved_views.save(
            session=db.session(),
            user=current_user,
            page=page,
            name=request.form.get("name", ""),
            args=args,
            now=db.now(),
        )
    except saved_views.ViewError as error:
        htmx.say(str(error), ok=False)
        # The list again with its filters, as a query string: never as url_for keywords, where `_method`,
        # `_external`, `_scheme` or `_anchor` would be url_for's own (a 500, or a URL on the Host header).
        back = url_for(LISTS.get(page, "pages.leads_list"))
        return htmx.see_other(back + (f"?{urlencode(args)}" if args else ""))
    htmx.say(f"Saved the view “{saved.name}”.")
    return htmx.see_other(url_for(LISTS[page]) + (f"?{saved.query}" if saved.query else ""))


@bp.post("/views/<int:view_id>/remove")
@requires("leads.view")
def remove_view(view_id: int) -> object:
    """Remove one of one's views."""
    try:
        removed = saved_views.remove(session=db.session(), user=current_user, view_id=view_id)
    except saved_views.ViewError as error:
        htmx.say(str(error), ok=False)
        return htmx.see_other(url_for("pages.leads_list"))
    htmx.say(f"Removed the view “{removed.name}”.")
    return htmx.see_other(url_for(LISTS[removed.page]))
