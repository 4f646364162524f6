"""My follow-ups: the queue of one's own follow-ups (open, overdue, due, done), each marked done with one click."""

from __future__ import annotations

from flask import Blueprint, current_app, request, url_for
from flask_login import current_user

from leads import db
from leads.web import htmx, undo
from leads.web.permissions import requires
from leads.workspace import followups

bp = Blueprint("followups", __name__)


@bp.get("/follow-ups")
@requires("leads.nurture")
def queue(offer: undo.Offer | None = None) -> str:
    """The signed-in member of staff's follow-ups; htmx swaps just the table (with `offer`, after marking one
    done, the table offers to undo it)."""
    session, query = db.session(), followups.parse(request.values)  # a POST to mark done says which part
    listing = followups.queue(
        session=session,
        author=current_user.email,
        query=query,
        now=db.now(),
        per_page=current_app.config["LEADS_PER_PAGE"],
    )
    return htmx.render(
        "followups/queue.html",
        "_partials/followups-table.html",
        listing=listing,
        query=query,
        leads=followups.leads_for(session=session, notes=listing.items),
        counts=followups.counts(session=session, author=current_user.email, now=db.now()),
        shows=followups.SHOWS,
        now=db.now(),
        undo=offer,
    )


@bp.post("/follow-ups/<int:note_id>/done")
@requires("leads.nurture")
def mark_done(note_id: int) -> object:
    """Mark one follow-up done, then show the same part of the queue again."""
    since = undo.mark()
    try:
        followups.mark_done(session=db.session(), note_id=note_id, actor=current_user, now=db.now())
    except followups.FollowUpError as error:
        htmx.say(str(error), ok=False)
    else:
        htmx.say("Marked done.")
    back = url_for("followups.queue", show=request.form.get("show") or "open")
    offer = undo.offer(since, back)
    if htmx.wants_fragment():
        return queue(offer=offer)
    undo.flash_offer(offer)
    return htmx.see_other(back)
