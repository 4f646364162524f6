"""The rights blueprint and one request's page: loading a request, the page itself, and showing it again
with the reason a step or action was refused. The other modules of this package add their views to `bp`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, render_template

from leads import db
from leads.rights import actions, rectification
from leads.rights import register as rights_register
from leads.rules import requests, uktime
from leads.web import access, refusals
from leads.web.forms import LinkOverrideForm, RequestStepForm
from leads.web.permissions import requires

bp = Blueprint("rights", __name__)


def load_request(request_id: int) -> Any:
    """The rights request with this id, or 404."""
    return rights_register.get(session=db.session(), request_id=request_id) or abort(404)


def page_context(item: Any) -> dict[str, Any]:
    """Everything the request page shows (refusals re-render it with their reason)."""
    session = db.session()
    linked = rights_register.linked_leads(session=session, request=item)
    state = rights_register.state(session=session, request=item)
    return {
        "item": item,
        "today": uktime.today(db.now()),
        "linked": linked,
        "links": rights_register.links(session=session, request=item),
        "candidates": [c for c in rights_register.candidates(session=session, request=item) if c not in linked],
        "advice": actions.advice(session=session, request=item),
        "pauses": rights_register.pauses(session=session, request=item),
        "history": rights_register.steps(session=session, request=item),
        "superseded": rectification.superseded(session=session, request=item),
        "steps_offered": requests.steps_offered(state),
        "actions_offered": requests.actions_offered(state),
        "actions_blocked": {
            name: reason
            for name, action in requests.ACTIONS.items()
            if item.kind in action.kinds and (reason := requests.action_refusal(name, state))
        },
        "step": RequestStepForm(),
        "override": LinkOverrideForm(formdata=None),
    }


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
