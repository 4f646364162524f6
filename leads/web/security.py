"""Security headers on every response (pages, fragments, errors, static files and the webhook), and
`Cache-Control: no-store` on every download and every response to a logged-in member of staff.

The Content-Security-Policy allows scripts and styles from this origin only: no inline script, no inline
style, no eval. htmx is configured not to need them (templates/base.html, `htmx-config`), and a browser
test (tests/test_browser_security.py) proves the pages work under this policy.
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Lead and installation URLs carry record ids; other sites learn nothing, not even our origin.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
}
#: Two years, subdomains too: only ever sent outside development/testing, where the app is served over HTTPS.
HSTS = "max-age=63072000; includeSubDomains"


def add_headers(response: Response) -> Response:
    """After each request (`pipeline`): the headers on every response; HSTS only in production (local HTTP
    must keep working)."""
    headers = dict(HEADERS)
    if current_app.config["APP_ENV"] == "production":
        headers["Strict-Transport-Security"] = HSTS
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    if _private(response):
        response.headers["Cache-Control"] = "no-store"
    return response


def _private(response: Response) -> bool:
    """Whether no cache (browser, proxy, disk) may keep this response: every download, and everything shown to
    a logged-in member of staff except the static files, which are the same for everyone and hold no data."""
    if response.headers.get("Content-Disposition", "").startswith("attachment"):
        return True
    return request.endpoint != "static" and bool(getattr(current_user, "is_authenticated", False))
