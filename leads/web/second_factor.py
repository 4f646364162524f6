"""The second factor of a password log-in: the code step, enrolment by QR code, and the admins' policy.

A right password for an enrolled account does not log in: it parks the account in the session (for at most
PENDING_SECONDS) and asks for a code; only a right code logs in. The code step shares the login throttle
(`leads.web.throttle`). Staff who signed in with a password while admins require a second factor can reach
nothing but enrolment and logout until they have one. Single sign-on leaves the second factor to the provider.
"""

from __future__ import annotations

from typing import Any

import segno
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user

from leads import db
from leads.staff import signins, totp, users
from leads.web import htmx, inputs, sessions, throttle
from leads.web.forms import EmptyForm
from leads.web.permissions import public, requires
from leads.web.sign_in_forms import CodeForm, RequireTotpForm, ResetTotpForm

bp = Blueprint("totp", __name__)
METHOD = "auth_method"  # how this session signed in: "password" or "sso"
PENDING_SECONDS = 300
_PENDING_USER, _PENDING_NEXT, _PENDING_AT = "totp_pending_user", "totp_pending_next", "totp_pending_at"
# A forced password change comes first (otherwise the two redirects would send each other round for ever).
_OPEN_WHILE_ENROLLING = frozenset({"totp.enrol", "auth.logout", "auth.password", "static"})
CODE_FAILED = "That code is not right, or it was already used. Try the next one."


def after_password(user: Any, next_url: str) -> Any:
    """Called by the login view once the password matched: log in, or ask for the second factor first."""
    session.clear()  # a fresh session at login: no fixation
    if totp.is_enrolled(session=db.session(), user=user):
        session[_PENDING_USER], session[_PENDING_NEXT] = user.id, next_url
        session[throttle.SECOND_STEP_EMAIL], session[_PENDING_AT] = user.email, db.now().timestamp()
        return htmx.see_other(url_for("totp.login_code"))
    login_user(user)
    sessions.started()  # the session's birth, last use and binding
    session[METHOD] = "password"
    signins.succeeded(session=db.session(), user=user, method="password", address=request.remote_addr, now=db.now())
    return htmx.see_other(next_url)


@bp.route("/login/code", methods=["GET", "POST"])
@public
def login_code() -> Any:
    """The second step: a TOTP or recovery code for the account whose password was just right."""
    user = _pending_user()
    if user is None:
        flash("Please log in again.", "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        if totp.verify(session=db.session(), user=user, code=form.code.data, now=db.now()):
            next_url = session.get(_PENDING_NEXT) or url_for("pages.leads_list")
            session.clear()
            login_user(user)
            sessions.started()
            session[METHOD] = "password"
            signins.succeeded(
                session=db.session(), user=user, method="password+code", address=request.remote_addr, now=db.now()
            )
            return htmx.see_other(next_url)
        signins.code_failed(session=db.session(), user=user, address=request.remote_addr, now=db.now())
        throttle.record_failed_login()
        flash(CODE_FAILED, "error")
    return render_template("auth/code.html", form=form)


@bp.route("/account/second-factor", methods=["GET", "POST"])
def enrol() -> Any:
    """Set up TOTP: scan the QR code, type the first code; the recovery codes are shown once, here.

    Only a POST writes (a GET never changes state): the first visit offers a button that makes the secret; the
    QR code then shows on every visit until a code confirms it."""
    db_session, form = db.session(), CodeForm()
    if totp.is_enrolled(session=db_session, user=current_user):
        left = totp.remaining_recovery_codes(session=db_session, user=current_user)
        return _no_store(render_template("auth/enrolled.html", remaining=left))
    row = totp.secret_of(session=db_session, user=current_user)
    if row is None and request.method == "POST" and request.form.get("start") and EmptyForm().validate_on_submit():
        totp.start_enrolment(session=db_session, user=current_user, now=db.now())
        sessions.forget_signed_in()
        return htmx.see_other(url_for("totp.enrol"))
    if row is None:
        return _no_store(render_template("auth/enrol.html", form=form, qr=None, secret=None))
    if form.validate_on_submit():
        codes = totp.confirm_enrolment(session=db_session, user=current_user, code=form.code.data, now=db.now())
        sessions.forget_signed_in()
        if codes is not None:
            return _no_store(render_template("auth/recovery_codes.html", codes=codes))
        flash(CODE_FAILED, "error")
    uri = totp.provisioning_uri(secret=row.secret, email=current_user.email)
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    return _no_store(render_template("auth/enrol.html", form=form, qr=qr, secret=row.secret))


@bp.post("/admin/second-factor")
@requires("users.manage")
def policy() -> Any:
    """Require (or stop requiring) a second factor of everyone who signs in with a password."""
    form = RequireTotpForm()
    if not form.validate_on_submit():
        abort(400)
    totp.set_required(session=db.session(), required=form.required.data, now=db.now(), actor=current_user)
    sessions.forget_signed_in()
    flash("A second factor is now required." if form.required.data else "A second factor is now optional.", "info")
    return htmx.see_other(url_for("auth.users_admin"))


@bp.post("/admin/second-factor/reset")
@requires("users.manage")
def reset() -> Any:
    """Remove one member of staff's second factor, for someone who lost both phone and recovery codes."""
    form = ResetTotpForm()
    user_id = form.user_id.data if form.validate_on_submit() else None
    known = user_id is not None and 1 <= user_id <= inputs.MAX_ID  # a huge id names nobody (and PostgreSQL refuses it)
    user = users.get(session=db.session(), user_id=user_id) if known else None
    if user is None:
        abort(400)
    totp.reset(session=db.session(), user=user, now=db.now(), actor=current_user)
    sessions.forget_signed_in()
    flash(f"Removed the second factor of {user.email}; they can set up a new one.", "info")
    return htmx.see_other(url_for("auth.users_admin"))


def enrol_first() -> Any:
    """Before each request (`pipeline`): while a second factor is required, password sessions without one may
    only enrol or log out. Every session but a single sign-on one counts as a password session: one that lost
    its mark (a password change logging the browser in again) must not escape the policy."""
    if request.endpoint in _OPEN_WHILE_ENROLLING or session.get(METHOD) == "sso":
        return None
    if not current_user.is_authenticated:
        return None
    state = sessions.signed_in()  # read with the user, in the loader's one statement
    if state.totp_required and not state.totp_enrolled:
        flash("Set up a second factor to continue.", "info")
        return htmx.see_other(url_for("totp.enrol"))
    return None


def _no_store(page: str) -> Any:
    """The secret and the recovery codes must not outlive the page in any cache."""
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


def _pending_user() -> Any:
    user_id, started = session.get(_PENDING_USER), session.get(_PENDING_AT, 0)
    if user_id is None or db.now().timestamp() - started > PENDING_SECONDS:
        return None
    user = users.get(session=db.session(), user_id=user_id)
    return user if user is not None and user.active else None
