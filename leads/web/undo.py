"""Undo from the pages: the offer a confirmation carries (a POST form, so it works without JavaScript; htmx
boosts it), and the one route that takes it. What may be undone, and for how long, is `workspace.undo`'s."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, request
from flask_login import current_user

from leads import db
from leads.web import htmx, inputs
from leads.web.permissions import requires
from leads.workspace import undo

bp = Blueprint("undo", __name__)
#: How long the offer stands, in minutes, as the pages say it.
MINUTES = int(undo.UNDO_WINDOW.total_seconds() // 60)


@dataclass(frozen=True)
class Offer:
    """Undo for these changes (audit event ids), then back to `back` (a same-site path)."""

    event_ids: list[int]
    back: str


def mark() -> int:
    """Call before a change: where the audit trail stood (`offer` finds what the change wrote after it)."""
    return undo.mark(session=db.session())


def offer(since: int, back: str) -> Offer | None:
    """The Undo the current member of staff is offered for the reversible changes made since `since` (None if
    there are none). A page or fragment that renders includes `_partials/undo-offer.html` with it;
    a view that redirects calls `flash_offer`."""
    actor = current_user._get_current_object()  # type: ignore[attr-defined]
    ids = undo.offered(session=db.session(), actor=actor, since=since)
    return Offer(ids, inputs.safe_next(back)) if ids else None


def flash_offer(made: Offer | None) -> None:
    """Carry the offer to the page a redirect lands on (`_partials/flashes.html` shows it as a form)."""
    if made is not None:
        flash(f"{','.join(map(str, made.event_ids))}|{made.back}", "undo")


@bp.post("/undo")
@requires("leads.nurture")
def undo_changes() -> object:
    """Undo the changes named (`event`, one or more audit event ids), then go back where the offer was shown."""
    ids = request.form.getlist("event", type=inputs.record_id)
    back = inputs.safe_next(request.form.get("back"))
    if not ids:
        abort(400, "Say which change to undo: the Undo button names it.")
    actor = current_user._get_current_object()  # type: ignore[attr-defined]
    result = undo.undo(session=db.session(), event_ids=ids, actor=actor, now=db.now())
    if result.restored:
        count = len(result.restored)
        htmx.say(
            f"Undone: {count} change{'' if count == 1 else 's'} put back as {'it was' if count == 1 else 'they were'}."
        )
    for reason in dict.fromkeys(reason for _, reason in result.refused):
        htmx.say(reason, ok=False)
    return htmx.see_other(back)
