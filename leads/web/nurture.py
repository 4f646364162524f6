"""Nurture actions on a lead (status, owner, log) and installation links. htmx swaps a fragment; without
JavaScript the same forms post and redirect back."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from flask import Blueprint, abort, request, url_for
from flask_login import current_user

from leads import db
from leads.rules import uktime
from leads.rules.vocabulary import staff_label
from leads.staff import users
from leads.web import htmx, inputs, refusals, undo
from leads.web.forms import NoteForm
from leads.web.permissions import requires
from leads.workspace import nurture, queries, timeline

bp = Blueprint("nurture", __name__)


def _lead(lead_id: int) -> Any:
    return queries.get_lead(session=db.session(), lead_id=lead_id) or abort(404)


def _back(lead: Any, fragment: str, /, since: int | None = None, **context: object) -> object:
    """The updated fragment and the timeline for htmx (200, so htmx swaps it, errors included); a redirect
    otherwise. With `since` (an undo mark), the answer offers Undo for the changes made after it."""
    page = url_for("pages.lead_detail", lead_id=lead.id)
    offer = undo.offer(since, page) if since is not None else None
    if htmx.wants_fragment():
        entries = timeline.for_lead(session=db.session(), lead=lead)
        answer = "_partials/lead-log-answer.html"
        return htmx.render(answer, answer, fragment=fragment, timeline=entries, lead=lead, undo=offer, **context)
    undo.flash_offer(offer)
    return htmx.see_other(page)


@bp.post("/leads/<int:lead_id>/status")
@requires("leads.nurture")
def change_status(lead_id: int) -> object:
    """Change the nurture status inline."""
    lead, status = _lead(lead_id), request.form.get("status", "")
    return _nurture_card(
        lead,
        lambda: nurture.set_status(session=db.session(), lead=lead, status=status, actor=current_user, now=db.now()),
        f"Status changed to {status}.",
    )


@bp.post("/leads/<int:lead_id>/owner")
@requires("leads.nurture")
def change_owner(lead_id: int) -> object:
    """Assign the lead to a member of staff inline."""
    lead, owner = _lead(lead_id), request.form.get("owner_id", type=inputs.record_id)
    return _nurture_card(
        lead,
        lambda: nurture.set_owner(session=db.session(), lead=lead, owner_id=owner, actor=current_user, now=db.now()),
        "Owner changed.",
    )


def _nurture_card(lead: Any, action: Callable[[], object], done: str) -> object:
    since = undo.mark()
    error = _try(action, done)
    staff = users.list_users(session=db.session())
    return _back(lead, "_partials/nurture-card.html", since=since, staff=staff, nurture_error=error)


@bp.post("/leads/<int:lead_id>/notes")
@requires("leads.nurture")
def add_note(lead_id: int) -> object:
    """Add an entry to the lead's log."""
    lead, form = _lead(lead_id), NoteForm()
    error = (
        "Write the entry."
        if not form.validate_on_submit()
        else _try(
            lambda: nurture.add_note(
                session=db.session(),
                lead=lead,
                kind=form.kind.data,
                body=form.body.data,
                actor=current_user,
                now=db.now(),
                follow_up_on=uktime.from_local(form.follow_up_on.data) if form.follow_up_on.data else None,
            ),
            "Added to the log.",
        )
    )
    if error is None:
        form = NoteForm(formdata=None)
    elif not htmx.wants_fragment():
        return refusals.show_again("pages.lead_detail", form, lead_id=lead_id)
    return _back(lead, "_partials/lead-log.html", note_form=form, note_error=error)


@bp.post("/leads/bulk/status")
@requires("leads.nurture")
def bulk_status() -> object:
    """Change the status of every ticked lead (each gated and audited, as one change is)."""
    status = request.form.get("status", "")
    return _bulk(
        f"“{status}”",
        lambda lead: nurture.set_status(
            session=db.session(), lead=lead, status=status, actor=current_user, now=db.now()
        ),
    )


@bp.post("/leads/bulk/owner")
@requires("leads.nurture")
def bulk_owner() -> object:
    """Give every ticked lead the chosen owner (or nobody)."""
    owner = request.form.get("owner_id", type=inputs.record_id)
    name = next((staff_label(u.email) for u in users.list_users(session=db.session()) if u.id == owner), "nobody")
    return _bulk(
        f"owner {name}",
        lambda lead: nurture.set_owner(
            session=db.session(), lead=lead, owner_id=owner, actor=current_user, now=db.now()
        ),
    )


def _bulk(changed_to: str, change: Callable[[Any], object]) -> object:
    """Apply `change` to each ticked lead; the answer says how many changed and who was refused, and why."""
    ids, since = request.form.getlist("lead_id", type=inputs.record_id), undo.mark()
    leads = queries.leads_by_id(session=db.session(), lead_ids=ids)
    done, refused = [], []
    for lead in leads.values():
        try:
            change(lead)
            done.append(lead)
        except nurture.NurtureError as error:
            refused.append((lead, str(error)))
    result = SimpleNamespace(
        done=done, refused=refused, unchanged=[], changed_to=changed_to, missing=[i for i in ids if i not in leads]
    )
    error = None if ids else "Tick at least one lead."
    staff = users.list_users(session=db.session())
    return htmx.render(
        "marketing/added.html",
        "_partials/bulk-result.html",
        result=result if ids else None,
        error=error,
        oob_rows=htmx.wants_fragment(),
        undo=undo.offer(since, htmx.current_page(url_for("pages.leads_list"))),
        owners={user.id: staff_label(user.email) for user in staff},
    )


@bp.post("/installations/<int:installation_id>/link")
@requires("leads.nurture")
def link_installation(installation_id: int) -> object:
    """Confirm that an installation belongs to a lead (lead_id given) or undo the link (no lead_id)."""
    found = queries.get_installation(session=db.session(), installation_id=installation_id) or abort(404)
    lead_id = request.form.get("lead_id", type=inputs.record_id)
    lead, since = (_lead(lead_id) if lead_id else None), undo.mark()
    back = request.form.get("back") == "lead" and (lead_id or found[0].lead_id)
    try:  # linking is a gated action: a restricted or objecting person's installation is not linked
        nurture.link(session=db.session(), installation=found[0], lead=lead, actor=current_user, now=db.now())
        htmx.say("Linked." if lead else "Link undone.")
    except nurture.NurtureError as error:
        htmx.say(str(error), ok=False)
    target = (
        url_for("pages.lead_detail", lead_id=back)
        if back
        else url_for("pages.installation_detail", installation_id=installation_id)
    )
    undo.flash_offer(undo.offer(since, target))
    return htmx.see_other(target)


def _try(action: Callable[[], object], done: str) -> str | None:
    """Run a nurture action and say how it went; the refusal's message, or None when it worked. For htmx the
    refusal is only returned: the fragment shows it in place, beside the control (and what was typed)."""
    try:
        action()
    except nurture.NurtureError as error:
        if not htmx.wants_fragment():
            htmx.say(str(error), ok=False)
        return str(error)
    htmx.say(done)
    return None
