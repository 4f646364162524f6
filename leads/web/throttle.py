"""Login throttling (flask-limiter): failed log-ins are counted per account and per address.

Only FAILED attempts count (`deduct_when`): staff who type their password right are never slowed down.
Once a limit is reached every attempt is refused with 429 *before* the password is checked, so a right
password cannot be told from a wrong one while throttled, and the expensive scrypt check is not run.
The account key is a keyed hash of the typed email, counted whether or not the account exists, so
throttling reveals nothing about which emails are staff; the limiter's store never holds an email.

Counters live in RATELIMIT_STORAGE_URI: `memory://` (one process) or `redis://...` (shared by every
worker and instance; use it whenever more than one process serves the app).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from datetime import UTC, datetime

from flask import Flask, Response, current_app, g, render_template, request, session
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user

from leads import db
from leads.staff import signins, users

log = logging.getLogger(__name__)
_EXT_KEY = "radnac.limiter"
_FAILED = "radnac_login_failed"
LOGIN_ENDPOINT = "auth.login"
SECOND_STEP_ENDPOINT = "totp.login_code"  # the TOTP step of a password log-in (leads/web/second_factor.py)
SECOND_STEP_EMAIL = "totp_pending_email"  # the session key where that step keeps the account's email
ACCOUNT_PAGE_ENDPOINT = "auth.password"  # proves the current password: counted against the account
SSO_CALLBACK_ENDPOINT = "sso.callback"  # the provider's answer (leads/web/sso.py): refusals count per address
UNSUBSCRIBE_ENDPOINT = "unsubscribe.one_click"  # a refused unsubscribe token counts per address (issue #34)
_REFUSED_UNSUBSCRIBE = "radnac_unsubscribe_refused"
PRIVACY_CODE_ENDPOINT = "privacy.send_code"  # codes emailed: per client address and per email (issue #35)
PRIVACY_VERIFY_ENDPOINT = "privacy.verify"  # wrong codes typed: per client address
PRIVACY_DOWNLOAD_CODE_ENDPOINT = "privacy.download_code"  # codes for a download link: per client and per link
PRIVACY_DOWNLOAD_ENDPOINT = "privacy.download_file"  # wrong codes typed for a download: per client address
PRIVACY_ENDPOINTS = (PRIVACY_CODE_ENDPOINT, PRIVACY_VERIFY_ENDPOINT, PRIVACY_DOWNLOAD_CODE_ENDPOINT,
                     PRIVACY_DOWNLOAD_ENDPOINT)  # fmt: skip
_REFUSED_PRIVACY_CODE = "radnac_privacy_code_refused"


def init_app(app: Flask) -> None:
    """Give this app its own limiter (per app, so test apps never share counters) and throttle the login.

    Called by `pipeline`, which places the limiter's request hooks, after the blueprints: it wraps the login view.
    """
    limiter = Limiter(
        key_func=get_remote_address,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        strategy="moving-window",  # "5 per 15 minutes" means any 15 minutes, not clock quarters
        key_prefix=app.config["RATELIMIT_KEY_PREFIX"],
        swallow_errors=True,  # the store is down: log it and let staff log in rather than lock everyone out
    )
    limiter.init_app(app)
    app.extensions[_EXT_KEY] = limiter
    config = app.config
    # Shared limits: a wrong password and a wrong second-factor code count against the same budget.
    per_address = limiter.shared_limit(
        config["LOGIN_LIMIT_PER_ADDRESS"], "login-address", methods=["POST"], deduct_when=_failed
    )
    per_account = limiter.shared_limit(
        config["LOGIN_LIMIT_PER_ACCOUNT"], "login-account", key_func=_account_key, methods=["POST"], deduct_when=_failed
    )
    for endpoint in (LOGIN_ENDPOINT, SECOND_STEP_ENDPOINT):
        app.view_functions[endpoint] = per_account(per_address(app.view_functions[endpoint]))
    # Wrong current passwords on the password page spend the account's budget too: a stolen session cannot
    # guess the password (and then take the account) faster than a log-in could.
    app.view_functions[ACCOUNT_PAGE_ENDPOINT] = per_account(app.view_functions[ACCOUNT_PAGE_ENDPOINT])
    # A refused single sign-on callback (a GET) names no account; it spends the address's budget.
    callback_per_address = limiter.shared_limit(
        config["LOGIN_LIMIT_PER_ADDRESS"], "login-address", methods=["GET"], deduct_when=_failed
    )
    app.view_functions[SSO_CALLBACK_ENDPOINT] = callback_per_address(app.view_functions[SSO_CALLBACK_ENDPOINT])
    # Only refused tokens count: a mail provider posting many people's good links from one address is not slowed.
    unsubscribe_per_address = limiter.limit(
        config["UNSUBSCRIBE_LIMIT_PER_ADDRESS"],
        methods=["POST"],
        deduct_when=lambda _r: bool(g.get(_REFUSED_UNSUBSCRIBE)),
    )
    app.view_functions[UNSUBSCRIBE_ENDPOINT] = unsubscribe_per_address(app.view_functions[UNSUBSCRIBE_ENDPOINT])
    _throttle_privacy_page(app, limiter)
    app.register_error_handler(RateLimitExceeded, _too_many)


def _throttle_privacy_page(app: Flask, limiter: Limiter) -> None:
    """Every code asked for counts (per client address, and per email as a keyed hash): each one writes a row
    and sends an email. Only wrong codes count on the verify step."""
    config = app.config
    per_client = limiter.limit(config["PRIVACY_CODE_LIMIT_PER_ADDRESS"], methods=["POST"])
    per_email = limiter.limit(config["PRIVACY_CODE_LIMIT_PER_EMAIL"], key_func=_privacy_email_key, methods=["POST"])
    app.view_functions[PRIVACY_CODE_ENDPOINT] = per_client(per_email(app.view_functions[PRIVACY_CODE_ENDPOINT]))
    wrong_codes = limiter.limit(
        config["PRIVACY_VERIFY_LIMIT_PER_ADDRESS"],
        methods=["POST"],
        deduct_when=lambda _r: bool(g.get(_REFUSED_PRIVACY_CODE)),
    )
    app.view_functions[PRIVACY_VERIFY_ENDPOINT] = wrong_codes(app.view_functions[PRIVACY_VERIFY_ENDPOINT])
    views = app.view_functions
    per_link = limiter.limit(
        config["PRIVACY_DOWNLOAD_CODE_LIMIT_PER_LINK"], key_func=_privacy_link_key, methods=["POST"]
    )
    views[PRIVACY_DOWNLOAD_CODE_ENDPOINT] = per_client(per_link(views[PRIVACY_DOWNLOAD_CODE_ENDPOINT]))
    wrong_download_codes = limiter.limit(
        config["PRIVACY_VERIFY_LIMIT_PER_ADDRESS"],
        methods=["POST"],
        deduct_when=lambda _r: bool(g.get(_REFUSED_PRIVACY_CODE)),
    )
    views[PRIVACY_DOWNLOAD_ENDPOINT] = wrong_download_codes(views[PRIVACY_DOWNLOAD_ENDPOINT])


def _privacy_email_key() -> str:
    """A keyed hash of the address a code is asked for (never the address)."""
    email = users.normalise_email(request.form.get("email", ""))
    secret = current_app.config["SECRET_KEY"].encode()
    return "privacy:" + hmac.new(secret, email.encode(), hashlib.sha256).hexdigest()[:32]


def _privacy_link_key() -> str:
    """A keyed hash of the download link a code is asked for (codes go to the address its request came from)."""
    token = str((request.view_args or {}).get("token", ""))
    secret = current_app.config["SECRET_KEY"].encode()
    return "privacy-link:" + hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()[:32]


def record_refused_privacy_code() -> None:
    """Called by the privacy page when a code was refused: this request counts against the client address."""
    g.setdefault(_REFUSED_PRIVACY_CODE, True)


def record_failed_login() -> None:
    """Called by the login view when credentials were refused: this request counts against the limits."""
    g.setdefault(_FAILED, True)


def record_refused_unsubscribe() -> None:
    """Called by the unsubscribe view when a token was refused: this request counts against the address."""
    g.setdefault(_REFUSED_UNSUBSCRIBE, True)


def _failed(_response: Response) -> bool:
    return bool(g.get(_FAILED))


def _account_key() -> str:
    """A keyed hash of the account's email: the same for every spelling the login accepts, never the email.

    The code step counts against the account whose password was right (kept in the session), never against a
    field the client posts: an `email` added to the code form would otherwise give each guess a fresh budget."""
    if request.endpoint == SECOND_STEP_ENDPOINT:
        typed = session.get(SECOND_STEP_EMAIL, "")
    elif request.endpoint == ACCOUNT_PAGE_ENDPOINT:
        typed = getattr(current_user, "email", "")
    else:
        typed = request.form.get("email", "")
    email = users.normalise_email(typed)
    secret = current_app.config["SECRET_KEY"].encode()
    return "account:" + hmac.new(secret, email.encode(), hashlib.sha256).hexdigest()[:32]


def _too_many(_error: RateLimitExceeded) -> tuple[str, int, dict[str, str]]:
    """429 with a plain page saying when to try again (the same page whichever login limit was reached; the
    unsubscribe link's own page, unaudited: nobody's account is at stake there)."""
    retry_at = _retry_at()
    wait = max(1, round(retry_at - time.time()))
    when = datetime.fromtimestamp(retry_at, tz=UTC)
    if request.endpoint == UNSUBSCRIBE_ENDPOINT:
        return render_template("unsubscribe/throttled.html", retry_at=when), 429, {"Retry-After": str(wait)}
    if request.endpoint in PRIVACY_ENDPOINTS:
        said = (f"Too many tries. Please wait {max(1, -(-wait // 60))} minutes, then ask for a new code.",)
        return render_template("privacy/layout.html", said=said), 429, {"Retry-After": str(wait)}
    _audit_lock_outs()
    log.warning("login throttled for %s", request.remote_addr)
    page = render_template("auth/throttled.html", retry_at=when, minutes=max(1, -(-wait // 60)))
    return page, 429, {"Retry-After": str(wait)}


def _retry_at() -> float:
    """When the breached limit frees a slot again (epoch seconds)."""
    limiter: Limiter = current_app.extensions[_EXT_KEY]
    breached = [limit for limit in limiter.current_limits if limit.breached]
    if not breached:
        return time.time() + 60
    return max(limit.reset_at for limit in breached)


def _audit_lock_outs() -> None:
    """Audit each breached limit once per window: the first refusal of a lock-out is recorded, the
    rest of the window's are not, so a caller hammering a paused account adds one row, not one per request."""
    limiter: Limiter = current_app.extensions[_EXT_KEY]
    for limit in limiter.current_limits:
        if not limit.breached:
            continue
        once = type(limit.limit)(1, limit.limit.multiples, namespace="LOCKOUT")
        try:
            first = limit.limiter.hit(once, limit.key)
        except Exception:  # the store is down: the throttle fails open, and so does this (logged)
            log.exception("rate-limit store unavailable: lock-out not audited")
            continue
        if first:
            scope = "account" if "login-account" in limit.key else "address"
            email = request.form.get("email") if request.endpoint == LOGIN_ENDPOINT else session.get(SECOND_STEP_EMAIL)
            signins.locked_out(
                session=db.session(), limit=scope, email=email, address=request.remote_addr, now=db.now()
            )
