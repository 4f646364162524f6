"""The rights request register (/rights) and the pages that carry each right out."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, render_template, request, stream_with_context, url_for
from flask_login import current_user

from leads import db
from leads.crm import queries
from leads.ingest import sources
from leads.rights import actions
from leads.rights import register as rights_register
from leads.rules import csvsafe, rights
from leads.web import access, htmx, inputs
from leads.web.forms import RectifyForm, RequestStepForm, RightsRequestForm
from leads.web.permissions import requires

bp = Blueprint("rights", __name__)


def _request(request_id: int) -> Any:
    return rights_register.get(session=db.session(), request_id=request_id) or abort(404)


@bp.get("/rights")
@requires("rights.manage")
def register() -> str:
    """Every request with its due date; overdue and due-this-week stand out."""
    rows = rights_register.register(session=db.session(), open_only=request.args.get("show") != "all")
    return render_template("rights/register.html", rows=rows, today=db.now().date(), show=request.args.get("show"))


@bp.route("/rights/new", methods=["GET", "POST"])
@requires("rights.manage")
def new() -> object:
    """Register a request; its deadline is computed at once."""
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
            return htmx.see_other(url_for("rights.detail", request_id=created.id))
    return render_template("rights/new.html", form=form)


@bp.get("/rights/<int:request_id>")
@requires("rights.manage")
def detail(request_id: int) -> str:
    """The request, what the notice says about it, the person's leads, and the actions."""
    session, item = db.session(), _request(request_id)
    access.viewed("rights_request", request_id)
    linked = rights_register.linked_leads(session=session, request=item)
    return render_template(
        "rights/detail.html",
        item=item,
        today=db.now().date(),
        linked=linked,
        candidates=[c for c in rights_register.candidates(session=session, request=item) if c not in linked],
        advice=actions.advice(session=session, request=item),
        pauses=rights_register.pauses(session=session, request=item),
        step=RequestStepForm(),
    )


STEPS: dict[str, Callable[..., None]] = {
    "ask-identity": lambda item, form: rights_register.ask_identity(
        session=db.session(), request=item, actor=current_user, now=db.now()
    ),
    "identity-received": lambda item, form: rights_register.identity_received(
        session=db.session(), request=item, on=form.on.data or db.now().date(), actor=current_user, now=db.now()
    ),
    "verify-identity": lambda item, form: rights_register.verify_identity(
        session=db.session(), request=item, actor=current_user, now=db.now()
    ),
    "ask-clarification": lambda item, form: rights_register.ask_clarification(
        session=db.session(),
        request=item,
        question=form.text.data or "",
        on=form.on.data or db.now().date(),
        actor=current_user,
        now=db.now(),
    ),
    "clarified": lambda item, form: rights_register.clarified(
        session=db.session(), request=item, on=form.on.data or db.now().date(), actor=current_user, now=db.now()
    ),
    "extend": lambda item, form: rights_register.extend(
        session=db.session(),
        request=item,
        reason=form.text.data or "",
        told_on=form.on.data or db.now().date(),
        actor=current_user,
        now=db.now(),
    ),
    "close": lambda item, form: rights_register.close(
        session=db.session(),
        request=item,
        status=form.status.data,
        outcome=form.text.data or "",
        actor=current_user,
        now=db.now(),
    ),
}


@bp.post("/rights/<int:request_id>/step/<step>")
@requires("rights.manage")
def take_step(request_id: int, step: str) -> object:
    """Move the request on: identity, clarification (the clock stops), extension, completion or refusal."""
    item, form = _request(request_id), RequestStepForm()
    if step not in STEPS:
        abort(404)
    if not form.validate_on_submit():
        flash("Check the date and text.", "error")
    else:
        try:
            STEPS[step](item, form)
            flash("Saved. The due date is recomputed.", "info")
        except rights_register.RequestError as error:
            flash(str(error), "error")
    return htmx.see_other(url_for("rights.detail", request_id=request_id))


@bp.post("/rights/<int:request_id>/leads")
@requires("rights.manage")
def link_lead(request_id: int) -> object:
    """Confirm (or undo) that a lead is the requester's."""
    item, lead_id = _request(request_id), request.form.get("lead_id", type=inputs.record_id) or 0
    lead = queries.get_lead(session=db.session(), lead_id=lead_id) or abort(404)
    if request.form.get("undo"):
        rights_register.unlink_lead(
            session=db.session(), request=item, lead_id=lead.id, actor=current_user, now=db.now()
        )
    else:
        rights_register.confirm_lead(session=db.session(), request=item, lead=lead, actor=current_user, now=db.now())
    return htmx.see_other(url_for("rights.detail", request_id=request_id))


@bp.post("/rights/<int:request_id>/bundle/<kind>")
@requires("rights.export")
def download(request_id: int, kind: str) -> Response:
    """The access export or portability bundle as a streamed ZIP (audited).

    A POST with CSRF (a plain form, never htmx): it writes the audit entry, and a GET would let any other
    site plant one in a member of staff's name with a link (SameSite=Lax sends the cookie on top-level GETs).
    """
    item = _request(request_id)
    try:
        chunks = actions.export(session=db.session(), request=item, kind=kind, actor=current_user, now=db.now())
    except actions.ActionError:
        abort(404)
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"radnac-{kind}-request-{item.id}-{db.now():%Y%m%d}.zip")
    return Response(
        stream_with_context(chunks),
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/rights/<int:request_id>/leads/<int:lead_id>/rectify", methods=["GET", "POST"])
@requires("rights.manage")
def rectify(request_id: int, lead_id: int) -> object:
    """Correct the person's details, keeping what changed, when and by whom."""
    item = _request(request_id)
    lead = next(
        (lead for lead in rights_register.linked_leads(session=db.session(), request=item) if lead.id == lead_id), None
    ) or abort(404)
    form = RectifyForm(obj=lead)
    if request.method == "GET":
        access.viewed("lead", lead_id, what="rectify")
    if form.validate_on_submit():
        changes = {field: getattr(form, field).data for field in actions.RECTIFIABLE}
        count = actions.rectify(
            session=db.session(), request=item, lead=lead, changes=changes, actor=current_user, now=db.now()
        )
        flash(f"{count} field{'s' if count != 1 else ''} corrected.", "info")
        return htmx.see_other(url_for("rights.detail", request_id=request_id))
    return render_template("rights/rectify.html", item=item, lead=lead, form=form)


@bp.post("/rights/<int:request_id>/erase")
@requires("rights.erase")
def erase(request_id: int) -> object:
    """Destroy everything about the person now (database, source table, tombstones)."""
    item = _request(request_id)
    if request.form.get("confirm") != "erase":
        flash("Tick the box to confirm: erasure cannot be undone.", "error")
        return htmx.see_other(url_for("rights.detail", request_id=request_id))
    table = sources.lead_table(current_app.config)
    try:
        report = actions.erase(
            session=db.session(),
            request=item,
            actor=current_user,
            now=db.now(),
            tombstone_key=current_app.config["TOMBSTONE_KEY"],
            source=table,
        )
        flash(f"Erased: {dict(report.destroyed)}; source rows still queued: {report.source_pending}.", "info")
    except actions.ActionError as error:
        flash(str(error), "error")
    finally:
        if table is not None:
            table.close()
    return htmx.see_other(url_for("rights.detail", request_id=request_id))


@bp.post("/rights/export.csv")
@requires("rights.manage")
def export_register() -> Response:
    """The register as CSV for record keeping (spreadsheet-safe cells; audited). POST with CSRF, as `download`."""
    rows = rights_register.register(session=db.session())
    today = db.now().date()
    header = (
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
    )
    lines = (
        [
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
        ]
        for r in rows
    )
    rights_register.audit_export(session=db.session(), actor=current_user, now=db.now(), rows=len(rows))
    return Response(
        csvsafe.write_csv(lines, header),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="rights-register-{today:%Y%m%d}.csv"'},
    )


@bp.post("/rights/<int:request_id>/restrict")
@requires("rights.manage")
def restrict(request_id: int) -> object:
    """Restrict processing of the person's leads, or lift the restriction."""
    item, on = _request(request_id), request.form.get("on") == "1"
    return _carry_out(
        request_id,
        lambda: actions.restrict(session=db.session(), request=item, on=on, actor=current_user, now=db.now()),
        "Processing restricted: every nurture and marketing action on these leads is refused until lifted."
        if on
        else "Restriction lifted.",
    )


@bp.post("/rights/<int:request_id>/withdraw")
@requires("rights.manage")
def withdraw(request_id: int) -> object:
    """Withdraw every consent the person gave (withdrawal, or an objection to consent-based processing)."""
    item = _request(request_id)
    return _carry_out(
        request_id,
        lambda: actions.withdraw_consent(session=db.session(), request=item, actor=current_user, now=db.now()),
        "Consent withdrawn: marketing to this person stops now.",
    )


def _carry_out(request_id: int, action: Callable[[], object], done: str) -> object:
    try:
        action()
        flash(done, "info")
    except actions.ActionError as error:
        flash(str(error), "error")
    return htmx.see_other(url_for("rights.detail", request_id=request_id))
