"""Consent and marketing pages: consent recorded on a lead's page, marketing lists, and every marketing action staff
take (add to a list, one lead or many; export a list; record an email sent). Thin: parse, call one service, render.

Whether an action may happen is decided by the consent gate inside the services, however the request came (page,
htmx or bulk). A refusal re-renders its fragment with 200 (htmx 2 swaps no 4xx) and says why in plain words.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, render_template, stream_with_context, url_for
from flask_login import current_user

from leads import db
from leads.consent import export as list_export
from leads.consent import mailings, marketing, records
from leads.people import subjects
from leads.rules import consent
from leads.web import access, htmx, refusals, undo
from leads.web.forms import NoteForm
from leads.web.marketing_forms import (
    AddToListForm,
    ConsentForm,
    CorrectionForm,
    EmailSentForm,
    ListChoiceForm,
    ListForm,
    MailingForm,
    first_error,
)
from leads.web.pages import lead_page_data
from leads.web.permissions import requires
from leads.workspace import queries

bp = Blueprint("marketing", __name__)


def _me() -> Any:
    """The logged-in user itself, not the proxy: services keep it, and an export outlives the view."""
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _lead_or_404(lead_id: int) -> Any:
    return queries.get_lead(session=db.session(), lead_id=lead_id) or abort(404)


# --- consent -------------------------------------------------------------------------------------------------


@bp.post("/leads/<int:lead_id>/consent")
@requires("consent.record")
def record_consent(lead_id: int) -> Any:
    """Append the person's grant or withdrawal to the lead's consent history."""
    lead = _lead_or_404(lead_id)
    form = ConsentForm()
    if not form.validate_on_submit():
        return _consent_answer(lead, form, first_error(form), ok=False)
    given = form.to_input()
    try:
        outcome = records.record(session=db.session(), lead=lead, given=given, actor=_me(), now=db.now())
    except records.ConsentError as error:
        return _consent_answer(lead, form, str(error), ok=False)
    if not outcome.decision.allowed:
        return _consent_answer(lead, form, f"Not recorded. {outcome.decision.reason_text}", ok=False)
    purpose = consent.PURPOSES[given.purpose].label.lower()
    said = f"Recorded: consent {'given' if given.granted else 'withdrawn'} for {purpose}."
    return _consent_answer(lead, ConsentForm(formdata=None), said, ok=True)


@bp.post("/leads/<int:lead_id>/consent/<int:record_id>/correction")
@requires("consent.record")
def correct_consent(lead_id: int, record_id: int) -> Any:
    """Supersede one of the person's consent records as entered in error (kept, marked), and record the right one
    if ticked. Refused, the form is shown again as it was sent, inside that record's entry."""
    lead = _lead_or_404(lead_id)
    person = subjects.get(session=db.session(), person_id=lead.person_id) if lead.person_id else None
    form = CorrectionForm()
    if person is None:
        abort(404)
    if not form.validate_on_submit():
        return _correction_refused(lead, form, "")
    try:
        row = records.correct(
            session=db.session(), person=person, record_id=record_id, reason=form.reason.data,
            replacement=form.replacement(), actor=_me(), now=db.now(), lead=lead,
        )  # fmt: skip
    except LookupError:
        abort(404)
    except records.ConsentError as error:
        return _correction_refused(lead, form, str(error))
    said = "Corrected: the record stays in the history, marked as entered in error"
    said += "; the right one is recorded." if row is not None else "."
    return _consent_answer(lead, ConsentForm(formdata=None), said, ok=True)


def _correction_refused(lead: Any, form: CorrectionForm, reason: str) -> Any:
    """The lead's page (or its consent panel) again, the correction form as it was sent and why it was refused."""
    if not htmx.wants_fragment():
        return refusals.show_again("pages.lead_detail", form, reason=reason, lead_id=lead.id)
    refusals.note(form, reason=reason)
    page = lead_page_data(lead)
    answer = {"note_form": NoteForm(formdata=None), "consent_form": ConsentForm(formdata=None)}
    return htmx.render("leads/detail.html", "marketing/consent-answer.html", **page, **answer)


def _consent_answer(lead: Any, form: ConsentForm, message: str, *, ok: bool) -> Any:
    if ok and not htmx.wants_fragment():
        flash(message, "info")
        return htmx.see_other(url_for("pages.lead_detail", lead_id=lead.id))
    page = lead_page_data(lead)
    answer = {"note_form": NoteForm(formdata=None), "consent_form": form, "consent_message": message, "consent_ok": ok}
    return htmx.render("leads/detail.html", "marketing/consent-answer.html", **page, **answer)


# --- marketing actions on one lead ---------------------------------------------------------------------------


@bp.post("/leads/<int:lead_id>/marketing-lists")
@requires("marketing.act")
def lead_add_to_list(lead_id: int) -> Any:
    """Add this lead to a marketing list, if the consent gate allows."""
    lead, since = _lead_or_404(lead_id), undo.mark()
    form = ListChoiceForm()
    if not form.validate_on_submit():
        return _marketing_answer(lead, first_error(form), ok=False)
    try:
        result = marketing.add_to_list(
            session=db.session(), list_id=form.list_id.data, lead_ids=[lead.id], actor=_me(), now=db.now()
        )
    except marketing.MarketingError as error:
        return _marketing_answer(lead, str(error), ok=False)
    message, ok = _said(result, f"Added to {result.about}.", f"Already on {result.about}.")
    return _marketing_answer(lead, message, ok=ok, since=since)


@bp.post("/leads/<int:lead_id>/marketing-emails")
@requires("marketing.act")
def lead_email_sent(lead_id: int) -> Any:
    """Record that a marketing email was sent to this lead, if the consent gate allows (the app sends no mail)."""
    lead = _lead_or_404(lead_id)
    form = EmailSentForm()
    if not form.validate_on_submit():
        field = next((name for name, errors in form.errors.items() if errors), None)
        return _marketing_answer(lead, first_error(form), ok=False, field=field)
    try:
        result = marketing.mark_email_sent(
            session=db.session(),
            lead_ids=[lead.id],
            subject=form.subject.data,
            list_id=form.list_id.data,
            actor=_me(),
            now=db.now(),
        )
    except marketing.MarketingError as error:
        return _marketing_answer(lead, str(error), ok=False)
    message, ok = _said(result, "Recorded: the marketing email was sent.", "")
    return _marketing_answer(lead, message, ok=ok)


def _said(result: records.Result, done: str, unchanged: str) -> tuple[str, bool]:
    """One lead's result in a sentence, and whether it went ahead."""
    if result.refused:
        return f"Refused. {result.refused[0][1]}", False
    return (done if result.done else unchanged), True


def _marketing_answer(lead: Any, message: str, *, ok: bool, field: str | None = None, since: int | None = None) -> Any:
    """The lead's marketing panel again, with how the action went; refused, the form as it was sent. With
    `since` (an undo mark), it offers Undo for what was changed after it."""
    if not ok and not htmx.wants_fragment():
        return refusals.show_again("pages.lead_detail", field=field, reason=message, lead_id=lead.id)
    if not ok:
        refusals.note(field=field, reason=message)
    page = url_for("pages.lead_detail", lead_id=lead.id)
    offer = undo.offer(since, page) if since is not None else None
    if not htmx.wants_fragment():
        flash(message, "info" if ok else "error")
        undo.flash_offer(offer)
        return htmx.see_other(page)
    shown = marketing.lead_marketing(session=db.session(), lead=lead, now=db.now())
    answer = {"marketing_message": message, "marketing_ok": ok, "undo": offer}
    return render_template("_partials/marketing-panel.html", lead=lead, lead_marketing=shown, **answer)


# --- many leads, and the lists themselves --------------------------------------------------------------------


@bp.post("/marketing/lists/add")
@requires("marketing.act")
def bulk_add() -> Any:
    """Add the leads ticked on the leads list to a marketing list: how many were added, who was refused and why."""
    form, since = AddToListForm(), undo.mark()
    result, error = None, None
    if not form.validate_on_submit():
        error = first_error(form)
    else:
        try:
            result = marketing.add_to_list(
                session=db.session(), list_id=form.list_id.data, lead_ids=form.lead_id.data, actor=_me(), now=db.now()
            )
        except marketing.MarketingError as problem:
            error = str(problem)
    offer = undo.offer(since, htmx.current_page(url_for("pages.leads_list")))
    return htmx.render("marketing/added.html", "_partials/bulk-result.html", result=result, error=error, undo=offer)


@bp.route("/marketing/lists", methods=["GET", "POST"])
@requires("marketing.act")
def lists_index() -> Any:
    """Every marketing list, and a form to start one."""
    form = ListForm()
    if form.validate_on_submit():
        try:
            created = marketing.create_list(
                session=db.session(), name=form.name.data, description=form.description.data, actor=_me(), now=db.now()
            )
        except marketing.MarketingError as error:
            form.name.errors.append(str(error))  # type: ignore[attr-defined]
        else:
            flash(f"Created the list {created.name}.", "info")
            return htmx.see_other(url_for("marketing.list_detail", list_id=created.id))
    return render_template("marketing/lists.html", form=form, lists=marketing.all_lists(session=db.session()))


@bp.get("/marketing/lists/<int:list_id>")
@requires("marketing.act")
def list_detail(list_id: int) -> Any:
    """One list: who is on it, and whether each would be in an export made now (and if not, why)."""
    session = db.session()
    try:
        target = marketing.get_list(session=session, list_id=list_id)
    except marketing.MarketingError:
        abort(404)
    people, total = marketing.members(session=session, list_id=list_id, now=db.now())
    access.viewed("marketing_list", list_id)  # names and consent of everyone on it
    written = mailings.for_list(session=session, list_id=list_id)
    return render_template("marketing/list.html", target=target, people=people, total=total, mailings=written,
                           mailing_form=refusals.shown(MailingForm))  # fmt: skip


@bp.post("/marketing/lists/<int:list_id>/export")
@requires("marketing.act")
def export_csv(list_id: int) -> Response:
    """Download the list as CSV: only people whose consent is current now, each inclusion or exclusion audited.

    A plain form, never htmx (htmx cannot hand a file to the browser); the gate runs however the request comes.
    """
    try:
        export = list_export.export_list(session=db.session(), list_id=list_id, actor=_me(), clock=db.now)
    except marketing.MarketingError:
        abort(404)
    headers = {"Content-Disposition": f'attachment; filename="{export.filename}"', "Cache-Control": "no-store"}
    return Response(stream_with_context(export.lines), mimetype="text/csv", headers=headers)
