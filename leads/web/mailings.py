"""Marketing email written and sent from the app: write one for a list, preview it for a member, queue it.

The worker sends each queued copy through the consent gate at that moment (`leads/consent/sending.py`); these
pages only write, show and queue. Thin: parse, call one service, render or redirect.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_login import current_user

from leads import db
from leads.consent import mailings, marketing
from leads.web import htmx, refusals
from leads.web.forms import EmptyForm
from leads.web.marketing_forms import MailingForm
from leads.web.permissions import requires

bp = Blueprint("mailings", __name__)


def _me() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


@bp.post("/marketing/lists/<int:list_id>/mailings")
@requires("marketing.act")
def create(list_id: int) -> Any:
    """Save a new marketing email for the list (not sent yet) and show its preview."""
    form = MailingForm()
    if not form.validate_on_submit():  # the list's page again, with what was typed and why beside it
        return refusals.show_again("marketing.list_detail", form, list_id=list_id)
    try:
        mailing = mailings.create(session=db.session(), list_id=list_id, subject=form.subject.data,
                                  body=form.body.data, actor=_me(), now=db.now())  # fmt: skip
    except marketing.MarketingError:
        abort(404)
    return htmx.see_other(url_for("mailings.show", mailing_id=mailing.id))


@bp.get("/marketing/mailings/<int:mailing_id>")
@requires("marketing.act")
def show(mailing_id: int) -> Any:
    """The email, previewed for a chosen member (`?lead_id=`), and what became of each copy sent."""
    session = db.session()
    try:
        mailing = mailings.get(session=session, mailing_id=mailing_id)
    except marketing.MarketingError:
        abort(404)
    lead_id = request.args.get("lead_id", type=int)
    shown = mailings.preview_for(session=session, mailing=mailing, lead_id=lead_id, now=db.now())
    return render_template(
        "marketing/mailing.html",
        mailing=mailing,
        preview=shown,
        members=mailings.members(session=session, mailing=mailing),
        outcomes=mailings.outcomes(session=session, mailing_id=mailing_id),
        form=EmptyForm(),
    )


@bp.post("/marketing/mailings/<int:mailing_id>/send")
@requires("marketing.act")
def send(mailing_id: int) -> Any:
    """Queue a copy for every member; the worker decides each at the moment it sends it."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        count = mailings.queue(session=db.session(), mailing_id=mailing_id, actor=_me(), now=db.now())
    except marketing.MarketingError as error:
        flash(str(error), "error")
        return htmx.see_other(url_for("mailings.show", mailing_id=mailing_id))
    flash(f"Queued {count} email{'s' if count != 1 else ''}. Each is checked against the person's consent at the "
          "moment it is sent.", "info")  # fmt: skip
    return htmx.see_other(url_for("mailings.show", mailing_id=mailing_id))
