"""Retention pages: what will be destroyed soon, and legal holds on one record."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_login import current_user

from leads import db
from leads.retention import forecast, holds
from leads.web import htmx, refusals
from leads.web.forms import HoldForm, LiftHoldForm
from leads.web.permissions import requires

bp = Blueprint("retention", __name__)
RECORD_PAGES = {"lead": "pages.lead_detail", "installation": "pages.installation_detail"}
# What /retention lists, in order: (record type, heading, its row in the retention schedule).
KINDS = (
    ("lead", "Marketplace leads", "lead"),
    ("quarantined_lead", "Quarantined lead entities", "lead"),
    ("installation", "Installations and their notifications", "install_notification"),
    ("support_grant", "Support access grants", "support_grant"),
    ("rights_request", "Data-protection requests (reduced to an outline)", "rights_request"),
)
# Where a listed record opens, for those who may see it: (endpoint, id argument, permission).
LINKS = {
    "lead": ("pages.lead_detail", "lead_id", "leads.view"),
    "installation": ("pages.installation_detail", "installation_id", "installations.view"),
    "support_grant": ("grants.grant_detail", "grant_id", "grants.view"),
    "rights_request": ("rights.detail", "request_id", "rights.manage"),
}


@bp.get("/retention")
@requires("retention.view")
def upcoming() -> str:
    """What the schedule destroys in the next `days` (30) days, by name, with the holds that keep records back;
    its 7- and 30-day totals are the dashboard's tiles (the same `forecast.due_counts`)."""
    days = min(max(request.args.get("days", 30, type=int), 1), 366)
    report = forecast.upcoming(session=db.session(), now=db.now(), days=days)
    rule_of = {record_type: rule for record_type, _label, rule in KINDS}
    return render_template(
        "retention/upcoming.html", report=report, days=days, kinds=KINDS, links=LINKS, rule_of=rule_of
    )


@bp.post("/holds/<record_type>/<int:record_id>")
@requires("holds.manage")
def place_hold(record_type: str, record_id: int) -> object:
    """Place a legal hold on one lead or installation."""
    if record_type not in RECORD_PAGES:
        abort(404)
    form, page = HoldForm(), RECORD_PAGES[record_type]
    if not form.validate_on_submit():
        return refusals.show_again(
            page, field="reason", reason="Give the reason for the hold.", **{f"{record_type}_id": record_id}
        )
    else:
        try:
            holds.place(
                session=db.session(),
                record_type=record_type,
                record_id=record_id,
                reason=form.reason.data,
                actor=current_user,
                now=db.now(),
            )
            flash("Legal hold placed: this record will not be destroyed until the hold is lifted.", "info")
        except holds.HoldError as error:
            flash(str(error), "error")
    return htmx.see_other(url_for(RECORD_PAGES[record_type], **{f"{record_type}_id": record_id}))


@bp.post("/holds/<int:hold_id>/lift")
@requires("holds.manage")
def lift_hold(hold_id: int) -> object:
    """Lift an active hold; the record's countdown resumes."""
    form = LiftHoldForm()
    hold = holds.get(session=db.session(), hold_id=hold_id) or abort(404)
    if not form.validate_on_submit():
        values = {f"{hold.record_type}_id": hold.record_id}
        reason = "Give the reason for lifting the hold."
        return refusals.show_again(RECORD_PAGES[hold.record_type], field="reason", reason=reason, **values)
    else:
        try:
            holds.lift(session=db.session(), hold_id=hold_id, reason=form.reason.data, actor=current_user, now=db.now())
            flash("Hold lifted.", "info")
        except holds.HoldError as error:
            flash(str(error), "error")
    return htmx.see_other(url_for(RECORD_PAGES[hold.record_type], **{f"{hold.record_type}_id": hold.record_id}))
