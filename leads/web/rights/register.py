"""The rights request register (/rights): the list with due dates, registering a request, and the register as
CSV for record keeping."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, flash, render_template, request, url_for
from flask_login import current_user

from leads import db
from leads.rights import register as rights_register
from leads.rules import csvsafe, requests, rights, uktime
from leads.rules.months import add_months
from leads.web import htmx
from leads.web.forms import RightsRequestForm
from leads.web.permissions import can, requires
from leads.web.rights.page import bp


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
    if form.validate_on_submit() and _arrived_then(form):
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


def _arrived_then(form: RightsRequestForm) -> bool:
    """A date more than a month back (a year mistyped?) starts a deadline already passed: it is taken only once
    staff tick that the request really arrived then; otherwise the form is refused, with the box to tick."""
    if form.really.data or add_months(form.received_on.data, 1) >= uktime.today(db.now()):
        return True
    form.asked_really = True  # the template shows the box to tick
    form.refuse(
        form.received_on,
        f"{form.received_on.data:%d %b %Y} is more than a month ago, so the answer would already be due. "
        "Check the year; if it really arrived then, tick the box below and register it.",
    )
    return False


def _registered(created: Any) -> object:
    if can("rights.manage"):
        return htmx.see_other(url_for("rights.detail", request_id=created.id))
    flash(f"Request #{created.id} is registered; the support team will answer it and tell the person.", "info")
    return htmx.see_other(url_for("pages.dashboard"))


#: The register CSV's columns, in order (`_register_row` fills them).
REGISTER_COLUMNS = (
    "id",
    "kind",
    "requester_name",
    "requester_email",
    "channel",
    "source",
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
        r.source,
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
