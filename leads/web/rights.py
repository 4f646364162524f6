"""The rights request register (/rights) and the pages that carry each right out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, abort, flash, render_template, request, url_for
from flask_login import current_user

from leads import db
from leads.crm import queries
from leads.rights import actions, rectification
from leads.rights import register as rights_register
from leads.rules import csvsafe, requests, rights, uktime
from leads.web import access, htmx, inputs
from leads.web.forms import LinkOverrideForm, RequestStepForm, RightsRequestForm
from leads.web.permissions import can, requires

bp = Blueprint("rights", __name__)


def _request(request_id: int) -> Any:
    return rights_register.get(session=db.session(), request_id=request_id) or abort(404)


@bp.get("/rights")
@requires("rights.manage")
def register() -> str:
    """Every request with its due date; overdue and due-this-week stand out."""
    rows = rights_register.register(session=db.session(), open_only=request.args.get("show") != "all")
    today = uktime.today(db.now())
    return render_template("rights/register.html", rows=rows, today=today, show=request.args.get("show"))


@bp.route("/rights/new", methods=["GET", "POST"])
@requires("rights.register")
def new() -> object:
    """Register a request (any member of staff); its deadline is computed at once."""
    form = RightsRequestForm()
    if form.validate_on_submit():
        try:
            created = rights_register.create(
                session=db.session(),
                kind=form.kind.data,
                requester_name=form.requester_name.data,
                requester_email=form.requester_email.data,
                channel=form.channel.data,
                received_on=form.received_on.data,
                details=form.details.data or "",
                actor=current_user,
                now=db.now(),
            )
        except rights_register.RequestError as error:
            flash(str(error), "error")
        else:
            return _registered(created)
    return render_template("rights/new.html", form=form)


def _registered(created: Any) -> object:
    if can("rights.manage"):
        return htmx.see_other(url_for("rights.detail", request_id=created.id))
    flash(f"Request #{created.id} is registered; the support team will answer it and tell the person.", "info")
    return htmx.see_other(url_for("pages.dashboard"))


@bp.get("/rights/<int:request_id>")
@requires("rights.manage")
def detail(request_id: int) -> str:
    """The request, what the notice says, who it covers, the steps its state allows, and its history."""
    item = _request(request_id)
    access.viewed("rights_request", request_id)
    return render_template("rights/detail.html", **page_context(item))


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


def refused(item: Any, reason: str, status: int = 409) -> tuple[str, int]:
    """The request page again with the reason a step or action was refused (4xx: nothing changed)."""
    flash(reason, "error")
    return render_template("rights/detail.html", **page_context(item)), status


def _on(form: RequestStepForm, now: datetime) -> date:
    return form.on.data or now.date()


def _text(form: RequestStepForm, now: datetime) -> str:
    return form.text.data or ""


def _status(form: RequestStepForm, now: datetime) -> str:
    return form.status.data


def _exemption(form: RequestStepForm, now: datetime) -> str:
    return form.exemption.data or ""


#: Each step staff take on a request: the register's service, and what it reads from the step form (the service's
#: argument -> how to read it). Every step is also given the request, the member of staff and the clock.
STEPS: dict[str, tuple[Callable[..., None], dict[str, Callable[[RequestStepForm, datetime], Any]]]] = {
    "ask-identity": (rights_register.ask_identity, {"on": _on}),
    "identity-received": (rights_register.identity_received, {"on": _on}),
    "verify-identity": (rights_register.verify_identity, {"on": _on}),
    "ask-clarification": (rights_register.ask_clarification, {"question": _text, "on": _on}),
    "clarified": (rights_register.clarified, {"on": _on}),
    "extend": (rights_register.extend, {"reason": _text, "told_on": _on}),
    "close": (rights_register.close, {"status": _status, "outcome": _text, "exemption": _exemption}),
}


def _take(step: str, item: Any, form: RequestStepForm, now: datetime) -> None:
    """Call the step's service with what it reads from the form."""
    service, reads = STEPS[step]
    given = {argument: read(form, now) for argument, read in reads.items()}
    service(session=db.session(), request=item, actor=current_user, now=now, **given)


@bp.post("/rights/<int:request_id>/step/<step>")
@requires("rights.manage")
def take_step(request_id: int, step: str) -> object:
    """Move the request on: identity, clarification (the clock stops), extension, completion or refusal."""
    item, form = _request(request_id), RequestStepForm()
    if step not in STEPS:
        abort(404)
    if not form.validate_on_submit():
        return refused(item, "Check the date (day, month and year) and the text.", 400)
    if step == "close" and not form.confirm.data:
        return refused(item, "Tick the box to confirm: closing a request is final.", 400)
    form.on.data = form.on.data or uktime.today(db.now())  # no date typed: today in the UK, not in UTC
    try:
        _take(step, item, form, db.now())
    except rights_register.RequestError as error:
        return refused(item, str(error))
    flash(requests.step_sentence(step, status=item.status, due_on=item.due_on), "info")
    return htmx.see_other(url_for("rights.detail", request_id=request_id))


@bp.post("/rights/<int:request_id>/leads")
@requires("rights.manage")
def link_lead(request_id: int) -> object:
    """Confirm (or undo) that a lead is the requester's: a match the register found, or an override."""
    item, lead_id = _request(request_id), request.form.get("lead_id", type=inputs.record_id) or 0
    lead = queries.get_lead(session=db.session(), lead_id=lead_id) or abort(404)
    override = None
    if request.form.get("reason") or request.form.get("evidence"):
        override = rights_register.Override(request.form.get("reason", ""), request.form.get("evidence", ""))
    try:
        if request.form.get("undo"):
            rights_register.unlink_lead(
                session=db.session(), request=item, lead_id=lead.id, actor=current_user, now=db.now()
            )
        else:
            rights_register.confirm_lead(
                session=db.session(), request=item, lead=lead, actor=current_user, now=db.now(), override=override
            )
    except rights_register.RequestError as error:
        return refused(item, str(error))
    return htmx.see_other(url_for("rights.detail", request_id=request_id))


#: The register CSV's columns, in order (`_register_row` fills them).
REGISTER_COLUMNS = (
    "id",
    "kind",
    "requester_name",
    "requester_email",
    "channel",
    "received_on",
    "status",
    "due_on",
    "urgency",
    "extended",
    "closed_on",
    "outcome",
    "exemption",
    "history",
)


def _register_row(r: Any, history: list[Any], today: date) -> list[object]:
    """One request as the register CSV keeps it (urgency only while open; the history in one cell)."""
    return [
        r.id,
        rights.KINDS[r.kind],
        r.requester_name,
        r.requester_email,
        r.channel,
        r.received_on,
        rights.STATUSES[r.status],
        r.due_on,
        rights.URGENCIES[rights.urgency(r.due_on, today=today)] if r.status not in rights.TERMINAL else "",
        r.extended,
        r.closed_on,
        r.outcome,
        r.exemption,
        " | ".join(_history_cell(step) for step in history),
    ]


def _history_cell(step: Any) -> str:
    """One step as the register CSV keeps it: effective date, what, who, when recorded, and its note."""
    what = requests.HISTORY.get(step.step, step.step)
    note = f": {step.detail}" if step.detail else ""
    recorded = f"{step.recorded_at:%Y-%m-%d %H:%M} UTC"  # the CSV keeps UTC, and says so; dates are UK days
    return f"{step.effective_on.isoformat()} {what}{note} ({step.actor}, recorded {recorded})"


@bp.post("/rights/export.csv")
@requires("rights.manage")
def export_register() -> Response:
    """The register as CSV for record keeping (spreadsheet-safe cells; audited). POST with CSRF, as `download`."""
    rows = rights_register.register(session=db.session())
    history = rights_register.steps_by_request(session=db.session(), request_ids=[r.id for r in rows])
    today = uktime.today(db.now())
    lines = (_register_row(r, history[r.id], today) for r in rows)
    rights_register.audit_export(session=db.session(), actor=current_user, now=db.now(), rows=len(rows))
    return Response(
        csvsafe.write_csv(lines, REGISTER_COLUMNS),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="rights-register-{today:%Y%m%d}.csv"'},
    )


from leads.web import rights_actions  # noqa: E402, F401 - its views (carrying rights out) join this blueprint
