"""Single sign-on with the OpenID Connect provider (Microsoft Entra ID in production).

`/sso/login` starts the authorization code flow; `/sso/callback` checks the answer (`leads.web.oidc`), applies
the rule of who may come in (`leads.staff.sso`) and logs in with Flask-Login, the session layer for both ways
in. Every refusal gets a 4xx page with its reason and an audit event. Without OIDC settings these pages answer
404 and the login page shows only the password form. After logging out of a single sign-on session, the login
page offers the provider's own logout where the provider has one (`end_session_endpoint`).
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, user_logged_out

from leads import db
from leads.config import ConfigError
from leads.staff import sso, users
from leads.web import htmx, inputs, oidc, sessions, throttle
from leads.web.permissions import public, requires
from leads.web.second_factor import METHOD
from leads.web.sign_in_forms import SsoMemberForm

bp = Blueprint("sso", __name__)
log = logging.getLogger(__name__)
_NEXT = "sso_next"
_OFFER_LOGOUT = "sso_offer_logout"
UNREACHABLE = "The sign-in provider cannot be reached just now. Try again later, or log in with your password."


def init_app(app: Flask) -> None:
    """Check the role map against the roles (ConfigError at start-up) and register the provider with Authlib."""
    try:
        app.config["OIDC_ROLES"] = sso.parse_role_map(app.config["OIDC_ROLE_MAP"])
    except ValueError as error:
        raise ConfigError(str(error)) from error
    oidc.init_app(app)


@bp.get("/sso/login")
@public
def login() -> Any:
    """Send the browser to the provider, remembering where the member of staff was heading."""
    _enabled_or_404()
    session[_NEXT] = inputs.safe_next(request.args.get("next"))
    try:
        return oidc.authorize_redirect(url_for("sso.callback", _external=True))
    except requests.RequestException:
        log.exception("OpenID Connect provider unreachable")
        return _refused(UNREACHABLE, 503, audit=False)
    except oidc.TokenRefused as refused:
        return _refused(refused.reason, 502)


@bp.get("/sso/callback")
@public
def callback() -> Any:
    """The provider's answer: verify it, match the member of staff, and log in (or refuse, saying why)."""
    _enabled_or_404()
    now, config = db.now(), current_app.config
    try:
        claims = oidc.finish(now=now)
        user = sso.sign_in(
            session=db.session(), issuer=config["OIDC_ISSUER"], claims=claims, role_map=config["OIDC_ROLES"], now=now
        )
    except oidc.TokenRefused as refused:
        return _refused(refused.reason, 400, audit=refused.audit)
    except sso.SignInRefused as refused:  # already audited, with the claims
        return _refused(refused.reason, refused.status, audit=False)
    except requests.RequestException:
        log.exception("OpenID Connect provider unreachable")
        return _refused(UNREACHABLE, 503, audit=False)
    next_url = session.get(_NEXT) or url_for("pages.leads_list")
    session.clear()  # a fresh session at login: no fixation
    login_user(user)
    sessions.started()  # the session's birth, last use and binding
    session[METHOD] = "sso"
    return redirect(next_url, code=303)


@bp.post("/admin/users/sso")
@requires("users.manage")
def add_member() -> Any:
    """Add a member of staff for single sign-on only: bound by verified email at their first sign-in."""
    _enabled_or_404()
    form = SsoMemberForm()
    if not form.validate_on_submit():
        flash("Give an email address and a role.", "error")
        return htmx.see_other(url_for("auth.users_admin"))
    try:
        sso.add_member(
            session=db.session(), email=form.email.data, role=form.role.data, now=db.now(), actor=current_user
        )
        flash(f"Added {form.email.data}: they sign in with {current_app.config['OIDC_PROVIDER_NAME']}.", "info")
    except users.UserError as error:
        flash(str(error), "error")
    return htmx.see_other(url_for("auth.users_admin"))


@bp.app_context_processor
def _login_page_context() -> dict[str, Any]:
    """The login page's single sign-on button, and after an SSO logout the offer of the provider's logout."""
    if request.endpoint != "auth.login" or not current_app.config["OIDC_ENABLED"]:
        return {}
    context: dict[str, Any] = {"sso_provider": current_app.config["OIDC_PROVIDER_NAME"]}
    if session.pop(_OFFER_LOGOUT, False):
        try:
            context["provider_logout_url"] = oidc.end_session_url(url_for("auth.login", _external=True))
        except requests.RequestException:
            log.warning("OpenID Connect provider unreachable: no provider logout offered")
    return context


@user_logged_out.connect
def _remember_sso_logout(_app: Flask, user: Any = None, **_extra: Any) -> None:
    # The logout view clears the whole session after this signal; the flag is set again after the view.
    if session.get(METHOD) == "sso":
        g.sso_logged_out = True


def offer_provider_logout(response: Any) -> Any:
    """After each request (`pipeline`): after an SSO logout, the login page offers the provider's logout."""
    if g.get("sso_logged_out"):
        session[_OFFER_LOGOUT] = True
    return response


def _enabled_or_404() -> None:
    if not current_app.config["OIDC_ENABLED"]:
        abort(404)


def _refused(reason: str, status: int, *, audit: bool = True) -> tuple[str, int]:
    """The refusal page; a refused callback counts against the login's per-address budget (`throttle`), so
    nobody can add refusal events to the audit trail faster than they could fail to log in."""
    if status < 500:
        throttle.record_failed_login()
    if audit:
        sso.refuse(session=db.session(), reason=reason, now=db.now())
    return render_template("auth/sso_refused.html", reason=reason, status=status), status
