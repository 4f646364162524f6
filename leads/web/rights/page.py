"""The rights blueprint and one request's page: loading a request, the page itself, and showing it again
with the reason a step or action was refused. The other modules of this package add their views to `bp`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, render_template

from leads import db
from leads.rights import register as rights_register
from leads.rights import requestpage
from leads.web import access, refusals, templating
from leads.web.forms import LinkOverrideForm, RequestStepForm
from leads.web.permissions import requires

bp = Blueprint("rights", __name__)


def load_request(request_id: int) -> Any:
    """The rights request with this id, or 404."""
    return rights_register.get(session=db.session(), request_id=request_id) or abort(404)


def page_context(item: Any) -> dict[str, Any]:
    """Everything the request page shows, and its two forms (refusals re-render it with their reason)."""
    page = requestpage.data(session=db.session(), request=item, now=db.now())
    return {**templating.named(page), "step": RequestStepForm(), "override": LinkOverrideForm(formdata=None)}


@bp.get("/rights/<int:request_id>")
@requires("rights.manage")
def detail(request_id: int) -> str:
    """The request, what the notice says, who it covers, the steps its state allows, and its history."""
    item = load_request(request_id)
    access.viewed("rights_request", request_id)
    return render_template("rights/detail.html", **page_context(item))


def refused(item: Any, reason: str, status: int = 409, *, field: str | None = None) -> tuple[str, int]:
    """The request page again with the reason a step or action was refused (4xx: nothing changed): beside the
    form's `field` (which has the focus) and what was typed, or at the top when no field is to blame."""
    refusals.note(field=field, reason=reason)
    if field is None:
        flash(reason, "error")
    return render_template("rights/detail.html", **page_context(item)), status
