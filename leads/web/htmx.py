"""The one module that speaks htmx: fragment-or-page, redirects, and the headers htmx relies on.

Views call `render()` and `see_other()`; no view spells an `HX-*` header itself.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, redirect, render_template, url_for
from flask_htmx import HTMX
from flask_htmx.responses import HTMXResponseClientRedirect

htmx = HTMX()


def init_app(app: Flask) -> None:
    """Bind flask-htmx and mark every response as varying on HX-Request (caches must not mix them)."""
    htmx.init_app(app)
    app.after_request(_vary_on_hx_request)


def _vary_on_hx_request(response: Response) -> Response:
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


def see_other(location: str) -> Response:
    """Redirect after a mutation with 303, so the browser (or htmx) follows with a GET."""
    return redirect(location, code=303)  # type: ignore[return-value]


def redirect_to_login(next_path: str | None) -> Response:
    """Send an anonymous user to the login page; htmx gets HX-Redirect so the whole page changes."""
    target = url_for("auth.login", next=next_path) if next_path else url_for("auth.login")
    if htmx:
        return HTMXResponseClientRedirect(target, status=401)
    return redirect(target, code=302)  # type: ignore[return-value]
