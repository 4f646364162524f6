"""Login, logout, the health probe, and the admins' user management pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from leads import db
from leads.jobs import runs, schedule
from leads.staff import signins, totp, users
from leads.web import htmx, inputs, second_factor, sessions, throttle
from leads.web.forms import (
    ROLE_CHOICES,
    EmptyForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    UserCreateForm,
    UserUpdateForm,
)
from leads.web.permissions import public, requires
from leads.web.sign_in_forms import RequireTotpForm, ResetTotpForm, SsoMemberForm

bp = Blueprint("auth", __name__)
LOGIN_FAILED = "Email or password not recognised."
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> object:
    """Show the login form; on success rotate the session and go where the user was heading."""
    if current_user.is_authenticated:
        return redirect(url_for("pages.leads_list"))
    if request.method == "POST" and request.mimetype not in FORM_TYPES:
        # The throttle counts the account typed in the parsed form; a JSON body (which flask-wtf would also
        # read) would be checked against the password yet counted against no account.
        abort(415, "Log in with the login form.")
    form = LoginForm()
    if form.validate_on_submit():
        user = users.authenticate(
            session=db.session(), email=form.email.data, password=form.password.data, hash_method=_hash_method()
        )
        if user is not None:  # the second factor, if enrolled, before the session is the user's
            return second_factor.after_password(user, inputs.safe_next(request.args.get("next")))
        signins.failed(session=db.session(), email=form.email.data, address=request.remote_addr, now=db.now())
        throttle.record_failed_login()
        flash(LOGIN_FAILED, "error")
    return render_template("auth/login.html", form=form), 200


@bp.post("/logout")
def logout() -> object:
    """End this user's sessions, everywhere (POST with CSRF, so no other site can log staff out)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    me = current_user._get_current_object()
    signins.logged_out(session=db.session(), user=me, address=request.remote_addr, now=db.now())
    users.end_sessions(session=db.session(), user=me)  # every copy of the cookie
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    response = htmx.see_other(url_for("auth.login"))
    # The browser drops whatever it kept of the pages it was shown; not "cookies": the flash lives there.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.get("/healthz")
@public
def healthz() -> tuple[dict[str, object], int]:
    """Liveness and database reachability, for the load balancer; and, still 200 (the web itself is fine),
    whether a job has not started for over twice its interval (the worker is down or stuck), not which."""
    if not db.ping():
        return {"status": "database unavailable"}, 503
    late = runs.late_jobs(session=db.session(), now=db.now(), every=schedule.EVERY)
    # Which jobs, and since when, is for staff (/admin/jobs): anyone can ask this probe.
    return {"status": "jobs late" if late else "ok"}, 200


@bp.route("/admin/users", methods=["GET", "POST"])
@requires("users.manage")
def users_admin() -> object:
    """List staff and add one."""
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            users.create_user(
                session=db.session(),
                email=form.email.data,
                password=form.password.data,
                role=form.role.data,
                now=db.now(),
                actor=current_user,
                hash_method=_hash_method(),
            )
        except users.UserError as error:
            (form.password if isinstance(error, users.PasswordError) else form.email).errors.append(str(error))
        else:
            flash(f"Added {form.email.data}.", "info")
            return htmx.see_other(url_for("auth.users_admin"))
    staff = users.list_users(session=db.session())
    forms = {"form": form, "reset_form": PasswordResetForm(formdata=None), **_sign_in_settings()}
    return render_template("admin/users.html", staff=staff, roles=ROLE_CHOICES, **forms)


def _sign_in_settings() -> dict[str, Any]:
    """The staff page's sign-in settings (templates/_partials/second-factor-policy.html and the single sign-on
    form): whether admins require a second factor, who is enrolled, and adding a member by the provider."""
    db_session = db.session()
    settings: dict[str, Any] = {
        "totp_policy_form": RequireTotpForm(required=sessions.signed_in().totp_required),  # the loader's read
        "totp_reset_form": ResetTotpForm(),
        "totp_enrolled": totp.enrolled_user_ids(session=db_session),
    }
    if current_app.config["OIDC_ENABLED"]:
        settings.update(sso_member_form=SsoMemberForm(), sso_provider=current_app.config["OIDC_PROVIDER_NAME"])
    return settings


@bp.post("/admin/users/<int:user_id>")
@requires("users.manage")
def user_update(user_id: int) -> object:
    """Change one user's role or active flag."""
    user, form = _user_or_404(user_id), UserUpdateForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        users.update_user(
            session=db.session(),
            user=user,
            role=form.role.data,
            active=form.active.data,
            now=db.now(),
            actor=current_user,
        )
        flash(f"Updated {user.email}.", "info")
    except users.UserError as error:
        flash(str(error), "error")
    return htmx.see_other(url_for("auth.users_admin"))


@bp.route("/account/password", methods=["GET", "POST"])
def password() -> object:
    """Change your own password (required first after an admin reset); your other sessions end."""
    form, me = PasswordChangeForm(), current_user._get_current_object()
    if form.validate_on_submit():
        try:
            users.change_password(
                session=db.session(),
                user=me,
                current=form.current.data,
                new=form.new.data,
                now=db.now(),
                hash_method=_hash_method(),
            )
        except users.PasswordError as error:
            if isinstance(error, users.WrongPassword):  # a stolen session guessing: the account's budget
                throttle.record_failed_login()
                signins.current_password_failed(
                    session=db.session(), user=me, address=request.remote_addr, now=db.now()
                )
            form.new.errors.append(str(error))
        else:
            _log_in_again(me)
            flash("Password changed. Any other session of yours has ended.", "info")
            return htmx.see_other(url_for("pages.leads_list"))
    return render_template("auth/password.html", form=form, forced=me.must_change_password)


@bp.post("/admin/users/<int:user_id>/password")
@requires("users.manage")
def user_password_reset(user_id: int) -> object:
    """Give a user a temporary password, which they must change at their next login; their sessions end."""
    user, form = _user_or_404(user_id), PasswordResetForm()
    if not form.validate_on_submit():
        flash("Type the temporary password.", "error")
        return htmx.see_other(url_for("auth.users_admin"))
    try:
        users.reset_password(
            session=db.session(),
            user=user,
            new=form.password.data,
            now=db.now(),
            actor=current_user,
            hash_method=_hash_method(),
        )
        flash(f"New password set for {user.email}: they must choose their own when they next log in.", "info")
    except users.UserError as error:
        flash(str(error), "error")
    return htmx.see_other(url_for("auth.users_admin"))


def _user_or_404(user_id: int) -> Any:
    """The member of staff an admin page changes, or 404."""
    return users.get(session=db.session(), user_id=user_id) or abort(404)


def _log_in_again(user: object) -> None:
    """Keep this browser logged in under the user's new session version (every other session has ended)."""
    session.clear()
    login_user(user)
    sessions.started()
    session[second_factor.METHOD] = "password"  # it proved the password: held to the second-factor policy


def _hash_method() -> str:
    """How this app hashes passwords: scrypt, except under the testing config (`leads.config`)."""
    return current_app.config["PASSWORD_HASH_METHOD"]
