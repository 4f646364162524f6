"""Support access grant pages (support and admin) and the plan permission mapping (admin)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from leads import db
from leads.grants import grants, plans
from leads.rules import schedule, uktime
from leads.web import access, htmx
from leads.web.forms import CommunicationForm, GrantCloseForm, GrantDataForm, GrantOpenForm, KeptForm, PlanForm
from leads.web.permissions import requires
from leads.workspace import queries

bp = Blueprint("grants", __name__)


@bp.get("/grants")
@requires("grants.view")
def grant_list() -> str:
    """Open grants, soonest lapse first, and the latest lapsed outlines.

    Each row's text is made here, once, and the template writes it in one loop: an include and a handful of
    calls a row would cost the page far more than its SQL."""
    session, now = db.session(), db.now()
    detail = url_for("grants.grant_detail", grant_id=0).rsplit("/", 1)[0]
    open_rows, opened = [], grants.open_grants(session=session, now=now)
    lapsed = grants.recently_lapsed(session=session, now=now)
    whose = grants.whose(session=session, grants=opened + lapsed)
    for grant in opened:
        lapses = grants.lapse_at(grant)
        open_rows.append(
            (
                f"{detail}/{grant.id}",
                grant,
                whose.get(grant.installation_id, ("", "")),
                (lapses - now).total_seconds() < 48 * 3600,
                uktime.show(grant.opened_at, with_time=False),
                uktime.show(grant.last_communication_at),
                schedule.countdown("support_grant", grant.last_communication_at, now=now, deadline_at=lapses),
            )
        )
    lapsed_rows = [
        (f"{detail}/{grant.id}", grant, whose.get(grant.installation_id, ("", "")), uktime.show(grant.lapsed_at))
        for grant in lapsed
    ]
    return render_template("grants/list.html", open_rows=open_rows, lapsed_rows=lapsed_rows)


@bp.route("/installations/<int:installation_id>/grants/new", methods=["GET", "POST"])
@requires("grants.manage")
def grant_new(installation_id: int) -> object:
    """Record the customer's written consent and open a grant (publisher-managed plans only)."""
    found = queries.get_installation(session=db.session(), installation_id=installation_id) or abort(404)
    installation = found[0]
    form = GrantOpenForm()
    if form.validate_on_submit():
        try:
            grant = grants.open_grant(
                session=db.session(),
                installation_id=installation_id,
                actor=current_user,
                now=db.now(),
                support_request_ref=form.support_request_ref.data,
                consent_given_by=form.consent_given_by.data,
                consent_given_at=uktime.from_local(form.consent_given_at.data),
                consent_evidence=form.consent_evidence.data,
            )
        except grants.GrantError as error:
            flash(str(error), "error")
        else:
            flash(f"Support access opened for {grant.support_request_ref}.", "info")
            return htmx.see_other(url_for("grants.grant_detail", grant_id=grant.id))
    model = plans.model_for(session=db.session(), plan_name=installation.plan_name)
    return render_template("grants/new.html", form=form, installation=installation, model=model)


@bp.get("/grants/<int:grant_id>")
@requires("grants.view")
def grant_detail(grant_id: int) -> str:
    """One grant: its countdown, communications, data held, and the actions while it is open."""
    grant = grants.get(session=db.session(), grant_id=grant_id, now=db.now()) or abort(404)
    access.viewed("grant", grant_id)
    return _detail_page(grant)


def _detail_page(grant: object, **forms: object) -> str:
    """The grant's page; a refused form among `forms` is shown as it was sent, with why."""
    messages, held = grants.detail(session=db.session(), grant=grant)
    forms = {
        "message_form": CommunicationForm(formdata=None, at=uktime.for_input(db.now())),
        "data_form": GrantDataForm(formdata=None),
        "close_form": GrantCloseForm(formdata=None),
        **forms,
    }
    return render_template(
        "grants/detail.html",
        grant=grant,
        messages=messages,
        held=held,
        lapse_at=grants.lapse_at(grant),
        is_open=grants.is_open(grant, db.now()),
        **forms,
    )


@bp.post("/grants/<int:grant_id>/communications")
@requires("grants.manage")
def grant_message(grant_id: int) -> object:
    """Log a message in or out at the time it was sent or received (restarts the 10-day window from then)."""
    return _act(
        grant_id,
        "message_form",
        CommunicationForm(),
        lambda grant, form: grants.add_communication(
            session=db.session(),
            grant=grant,
            direction=form.direction.data,
            summary=form.summary.data,
            at=uktime.from_local(form.at.data),
            actor=current_user,
            now=db.now(),
        ),
        "Message logged: the 10-day window restarts from the time it was sent or received.",
    )


@bp.post("/grants/<int:grant_id>/data")
@requires("grants.manage")
def grant_data(grant_id: int) -> object:
    """Record data held under the grant."""
    return _act(
        grant_id,
        "data_form",
        GrantDataForm(),
        lambda grant, form: grants.record_data(
            session=db.session(),
            grant=grant,
            kind=form.kind.data,
            description=form.description.data,
            actor=current_user,
            now=db.now(),
        ),
        "Recorded. It will be destroyed when the grant lapses.",
    )


@bp.post("/grants/<int:grant_id>/close")
@requires("grants.manage")
def grant_close(grant_id: int) -> object:
    """Close the support request, once confirmed: the grant lapses now and its data is destroyed."""
    return _act(
        grant_id,
        "close_form",
        GrantCloseForm(),
        lambda grant, _form: grants.close_request(session=db.session(), grant=grant, actor=current_user, now=db.now()),
        "Support request closed: access has lapsed and the data held under it was destroyed.",
    )


def _act(grant_id: int, name: str, form: KeptForm, action: object, done: str) -> object:
    """Validate `form` and carry out `action`; refused, the grant's page again with the form as it was sent."""
    grant = grants.get(session=db.session(), grant_id=grant_id, now=db.now()) or abort(404)
    if form.validate_on_submit():
        try:
            action(grant, form)  # type: ignore[operator]
        except grants.GrantError as error:
            flash(str(error), "error")
        else:
            flash(done, "info")
            return htmx.see_other(url_for("grants.grant_detail", grant_id=grant_id))
    return _detail_page(grant, **{name: form}), 400


@bp.route("/admin/plans", methods=["GET", "POST"])
@requires("plans.manage")
def plan_mapping() -> object:
    """Which plans are locked mode and which publisher managed."""
    form = PlanForm()
    if form.validate_on_submit():
        plans.set_model(
            session=db.session(), plan_name=form.plan_name.data, model=form.model.data, actor=current_user, now=db.now()
        )
        flash(f"Plan {form.plan_name.data} is now {plans.MODELS[form.model.data].lower()}.", "info")
        return redirect(url_for("grants.plan_mapping"), code=303)
    return render_template(
        "admin/plans.html", form=form, mapping=plans.mapping(session=db.session()), models=plans.MODELS
    )
