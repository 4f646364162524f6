"""Moving a rights request on, on the rights blueprint: its steps (identity, clarification, extension,
closing) and confirming which leads it covers. A refused step shows the request page again with why."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, request, url_for
from flask_login import current_user

from leads import db
from leads.consent.mailer import MailConfigError
from leads.rights import delivery, mentions, privacy_page
from leads.rights import register as rights_register
from leads.rules import delivery as links
from leads.rules import requests, uktime
from leads.web import htmx, inputs
from leads.web.forms import RequestStepForm
from leads.web.permissions import requires
from leads.web.rights.page import bp, load_request, refused
from leads.workspace import queries


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


#: Steps that say something to the person, and what to ask for when it is left out.
TEXT_NEEDED = {
    "ask-clarification": "Write the question asked: the clock stops until they answer it.",
    "extend": "Give the reason for the extension, as told to the person.",
    "close": "Say what was done, or why it was refused, as told to the person.",
}


def _take(step: str, item: Any, form: RequestStepForm, now: datetime) -> None:
    """Call the step's service with what it reads from the form."""
    service, reads = STEPS[step]
    given = {argument: read(form, now) for argument, read in reads.items()}
    service(session=db.session(), request=item, actor=current_user, now=now, **given)


def _complete_and_deliver(item: Any, form: RequestStepForm) -> str:
    """Complete a request made on the privacy page with its bundle prepared, and email the person the link:
    what happened to the link, in words."""
    config, now = current_app.config, db.now()
    done = delivery.complete(session=db.session(), request=item, outcome=form.text.data or "", actor=current_user,
                             now=now, cache=Path(config["EXPORT_CACHE"]), secret=config["SECRET_KEY"],
                             contact=config["PRIVACY_CONTACT"])  # fmt: skip
    if done.token is None or done.expires_at is None:
        return f"No download link was emailed ({done.not_prepared}): answer the person by email."
    link = config["PUBLIC_URL"].rstrip("/") + url_for("privacy.download", token=done.token)
    message = delivery.link_email(sender=config["MAIL_FROM"], request=item, link=link, expires_at=done.expires_at)
    try:
        sent = privacy_page.send(mail_url=config["MAIL_URL"], message=message)
    except MailConfigError:
        sent = False
    delivery.emailed(session=db.session(), request=item, token=done.token, sent=sent, actor=current_user, now=now,
                     cache=Path(config["EXPORT_CACHE"]), secret=config["SECRET_KEY"])  # fmt: skip
    if not sent:
        return "The download link could not be emailed (the mail server did not take it): answer by email."
    until = links.in_words(done.expires_at)
    return f"The person has been emailed a link to download it with a code, until {until}, {links.MAX_DOWNLOADS} times."


@bp.post("/rights/<int:request_id>/step/<step>")
@requires("rights.manage")
def take_step(request_id: int, step: str) -> object:
    """Move the request on: identity, clarification (the clock stops), extension, completion or refusal."""
    item, form = load_request(request_id), RequestStepForm()
    if step not in STEPS:
        abort(404)
    if not form.validate_on_submit():
        field = next((name for name, errors in form.errors.items() if errors), None)
        return refused(item, "Check the date (day, month and year) and the text.", 400, field=field)
    if step in TEXT_NEEDED and not (form.text.data or "").strip():
        return refused(item, TEXT_NEEDED[step], 400, field="text")
    if step == "close" and not form.confirm.data:
        return refused(item, "Tick the box to confirm: closing a request is final.", 400, field="confirm")
    form.on.data = form.on.data or uktime.today(db.now())  # no date typed: today in the UK, not in UTC
    delivering = step == "close" and form.status.data == "completed" and delivery.deliverable(item)
    try:
        sent = _complete_and_deliver(item, form) if delivering else _take(step, item, form, db.now())
    except rights_register.RequestError as error:
        return refused(item, str(error))
    flash(requests.step_sentence(step, status=item.status, due_on=item.due_on), "info")
    if sent:
        flash(sent, "info")
    return htmx.see_other(url_for("rights.detail", request_id=request_id))


@bp.post("/rights/<int:request_id>/leads")
@requires("rights.manage")
def link_lead(request_id: int) -> object:
    """Confirm (or undo) that a lead is the requester's: a match the register found, or an override."""
    item, lead_id = load_request(request_id), request.form.get("lead_id", type=inputs.record_id) or 0
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


@bp.post("/rights/<int:request_id>/quarantine/<int:entity_id>")
@requires("rights.manage")
def decide_mention(request_id: int, entity_id: int) -> object:
    """Say whether unreadable lead details that mention the requester are theirs (into their export and erasure)
    or not (kept out, not asked again on this request)."""
    item, theirs = load_request(request_id), request.form.get("theirs") == "1"
    try:
        mentions.decide(
            session=db.session(), request=item, entity_id=entity_id, theirs=theirs, actor=current_user, now=db.now()
        )
    except rights_register.RequestError as error:
        return refused(item, str(error))
    return htmx.see_other(url_for("rights.detail", request_id=request_id))
