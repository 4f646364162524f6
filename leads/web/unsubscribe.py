"""GET/POST /unsubscribe/<token>: the one-click unsubscribe link of every marketing email (RFC 8058).

Public and CSRF-exempt: the POST comes from the person's mail provider (`List-Unsubscribe=One-Click`) or from the
page's one button, with no session. The token is the authentication: signed, naming person, purpose and message.
A GET only shows the button, so link scanners that fetch every URL unsubscribe nobody. Refused tokens count
against the address's budget (`throttle`), and the body is bounded by MAX_CONTENT_LENGTH; a good token writes at
most once (a replay changes nothing).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

from leads import db
from leads.consent import unsubscribe as unsubscribing
from leads.web import throttle
from leads.web.permissions import public

bp = Blueprint("unsubscribe", __name__)


@bp.get("/unsubscribe/<token>")
@public
def confirm(token: str) -> Any:
    """A page with one button that unsubscribes (a POST); a bad link says so, and nothing changes."""
    found = unsubscribing.message_for(session=db.session(), token=token, secret=current_app.config["SECRET_KEY"])
    if found is None:
        return render_template("unsubscribe/invalid.html"), 404
    return render_template("unsubscribe/confirm.html", token=token, used=found.unsubscribed_at is not None)


@bp.post("/unsubscribe/<token>")
@public
def one_click(token: str) -> Any:
    """Withdraw marketing consent at once (a provider's one-click POST, or the page's button)."""
    state = unsubscribing.unsubscribe(
        session=db.session(), token=token, secret=current_app.config["SECRET_KEY"], now=db.now()
    )
    if state == "invalid":
        throttle.record_refused_unsubscribe()
        return render_template("unsubscribe/invalid.html"), 404
    return render_template("unsubscribe/done.html", already=state == "already")
