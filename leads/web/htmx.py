"""The one module that speaks htmx: fragment-or-page, redirects, confirmations, failures, and the headers htmx
relies on.

Views call `render()`, `see_other()` and `say()`; no view spells an `HX-*` header itself. htmx swaps nothing
on an error response, so a failed in-place save answers in plain words (`failure()`) and static/app.js shows
them beside the control that changed, puts back the value the record still has, and keeps what was typed.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_htmx import HTMX
from flask_htmx.responses import HTMXResponseClientRedirect
from flask_login import current_user
from flask_wtf.csrf import CSRFError

htmx = HTMX()
SAID_EVENT = "leads:said"  # static/app.js listens for it
FAILURES = {
    400: "That could not be saved: the page is out of date. Reload it and try again.",
    401: "Your session has ended, so this was not saved. Log in again: what you typed is kept.",
    403: "Your role does not allow this, so nothing was saved.",
    404: "This record no longer exists (it may have been destroyed), so nothing was saved.",
    500: "Something went wrong and nothing was saved. Please try again.",
}


def init_app(app: Flask) -> None:
    """Bind flask-htmx (its hooks, `vary_on_hx_request` and `send_said`, are in `pipeline`)."""
    htmx.init_app(app)


def vary_on_hx_request(response: Response) -> Response:
    """After each request: mark the response as varying on HX-Request (caches must not mix page and fragment)."""
    response.vary.add("HX-Request")
    return response


def wants_fragment() -> bool:
    """True for an htmx request that swaps part of a page.

    Boosted links and history restores also carry HX-Request, but they need the whole page.
    """
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page_template: str, fragment_template: str, /, **context: Any) -> str:
    """Render the fragment template for an htmx swap, else the whole page (which includes it)."""
    return render_template(fragment_template if wants_fragment() else page_template, **context)


def current_page(default: str) -> str:
    """The path and query of the page a request was made from (htmx's HX-Current-URL, else the Referer), or
    `default` when neither names one. Not trusted: callers pass it through `inputs.safe_next`."""
    came_from = request.headers.get("HX-Current-URL") or request.referrer
    if not came_from:
        return default
    parts = urlsplit(came_from)
    return parts.path + (f"?{parts.query}" if parts.query else "") if parts.path else default


def say(message: str, *, ok: bool = True) -> None:
    """Confirm (or refuse) an action where the user is looking: for an htmx swap, an event that app.js shows
    beside the control that changed; otherwise a flash message on the page the redirect lands on."""
    if wants_fragment():
        g.htmx_said = {"message": message, "ok": ok}
    else:
        flash(message, "info" if ok else "error")


def send_said(response: Response) -> Response:
    """After each request: what `say` kept for an htmx swap goes out as an HX-Trigger event."""
    said = g.pop("htmx_said", None)
    if said is not None:
        response.headers["HX-Trigger"] = json.dumps({SAID_EVENT: said})  # ASCII-escaped: headers are Latin-1
    return response


def session_ended(error: Exception) -> bool:
    """Whether a refused form post is refused because the session ended (its CSRF token went with it): an
    anonymous post to a page that needs login (the login form's own refusal stays a 400)."""
    view = current_app.view_functions.get(request.endpoint or "")
    public = getattr(view, "is_public", False)
    return isinstance(error, CSRFError) and not current_user.is_authenticated and not public


def failure(status: int) -> Response | None:
    """For an htmx request, why it failed in plain words (text/plain, which app.js shows); None otherwise."""
    if not htmx:
        return None
    return Response(FAILURES.get(status, FAILURES[500]), status=status, mimetype="text/plain")


def see_other(location: str) -> Response:
    """Redirect after a mutation with 303, so the browser (or htmx) follows with a GET."""
    return redirect(location, code=303)  # type: ignore[return-value]


def redirect_to_login(next_path: str | None) -> Response:
    """Send an anonymous user to the login page; htmx gets HX-Redirect so the whole page changes. A save
    (`next_path` None: not a GET) is answered 401 instead, in place for htmx, else with a page that says the
    session ended: a redirect would lose what was typed, which the browser's Back button otherwise keeps."""
    target = url_for("auth.login", next=next_path) if next_path else url_for("auth.login")
    if next_path is None:
        return failure(401) or Response(render_template("error.html", status=401), status=401)
    if htmx:
        return HTMXResponseClientRedirect(target, status=401)
    return redirect(target, code=302)  # type: ignore[return-value]
