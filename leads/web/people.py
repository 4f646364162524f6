"""The person page (/people/<id>): everything held about one data subject, their consent for all their leads,
and staff attaching or detaching a lead, with a reason."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_login import current_user

from leads import db
from leads.consent import records
from leads.people import subjects
from leads.rules import consent
from leads.web import access, htmx, refusals
from leads.web.marketing_forms import ConsentForm, CorrectionForm, consent_shown
from leads.web.permissions import requires
from leads.workspace import person as person_page
from leads.workspace import queries

bp = Blueprint("people", __name__)


@bp.get("/people/<int:person_id>")
@requires("leads.view")
def detail(person_id: int) -> str:
    """Everything held about the person: leads, installations, consent, requests, grants, notes."""
    found = person_page.profile(session=db.session(), person_id=person_id, now=db.now()) or abort(404)
    access.viewed("person", person_id)
    return render_template("people/detail.html", profile=found, form=consent_shown())


@bp.post("/people/<int:person_id>/consent")
@requires("consent.record")
def record_consent(person_id: int) -> Any:
    """Record the person's grant or withdrawal once, for all their leads."""
    person = subjects.get(session=db.session(), person_id=person_id) or abort(404)
    form = ConsentForm()
    if not form.validate_on_submit():
        return refusals.show_again("people.detail", form, person_id=person_id)
    given = form.to_input()
    try:
        decision = records.record_for_person(
            session=db.session(), person=person, given=given, actor=current_user, now=db.now()
        )
    except records.ConsentError as error:
        flash(str(error), "error")
    else:
        said = "given" if given.granted else "withdrawn"
        purpose = consent.PURPOSES[given.purpose].label.lower()
        ok = decision.allowed
        flash(f"Recorded: consent {said} for {purpose}." if ok else f"Not recorded. {decision.reason_text}", "info")
    return htmx.see_other(url_for("people.detail", person_id=person_id))


@bp.post("/people/<int:person_id>/consent/<int:record_id>/correction")
@requires("consent.record")
def correct_consent(person_id: int, record_id: int) -> Any:
    """Supersede one of the person's consent records as entered in error (kept, marked), and record the right one
    if ticked; refused, the person's page again with the form as it was sent."""
    person = subjects.get(session=db.session(), person_id=person_id) or abort(404)
    form = CorrectionForm()
    if not form.validate_on_submit():
        return refusals.show_again("people.detail", form, person_id=person_id)
    try:
        row = records.correct(
            session=db.session(), person=person, record_id=record_id, reason=form.reason.data,
            replacement=form.replacement(), actor=current_user, now=db.now(),
        )  # fmt: skip
    except LookupError:
        abort(404)
    except records.ConsentError as error:
        return refusals.show_again("people.detail", form, reason=str(error), person_id=person_id)
    said = "Corrected: the record stays in the history, marked as entered in error"
    flash(said + ("; the right one is recorded." if row is not None else "."), "info")
    return htmx.see_other(url_for("people.detail", person_id=person_id))


@bp.post("/leads/<int:lead_id>/person")
@requires("leads.nurture")
def move_lead(lead_id: int) -> Any:
    """Attach the lead to the person with the address given, or detach it to a person of its own, with a reason."""
    session = db.session()
    lead = queries.get_lead(session=session, lead_id=lead_id) or abort(404)
    reason, email = request.form.get("reason", "").strip(), request.form.get("email", "")
    if not reason:
        why = "Give the reason: it is kept with the lead."
        return refusals.show_again("pages.lead_detail", field="reason", reason=why, lead_id=lead_id)
    try:
        if request.form.get("detach"):
            subjects.detach(session=session, lead=lead, reason=reason, actor=current_user, now=db.now())
        else:
            target = subjects.for_email(session=session, email=email)
            if target is None:
                why = "No person has that email address: give the address of one of their leads."
                return refusals.show_again("pages.lead_detail", field="email", reason=why, lead_id=lead_id)
            subjects.attach(session=session, lead=lead, person=target, reason=reason, actor=current_user, now=db.now())
        flash("Saved: the lead now belongs to that person.", "info")
    except subjects.PersonError as error:
        return refusals.show_again("pages.lead_detail", reason=str(error), lead_id=lead_id)
    return htmx.see_other(url_for("pages.lead_detail", lead_id=lead_id))
