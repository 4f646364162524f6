"""Who may do what. Login is required on every endpoint not marked `public`; roles are checked here only.

The role matrix itself is `leads.staff.roles.PERMISSIONS`; this module applies it to requests.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, request, url_for
from flask_login import LoginManager, current_user

from leads.staff.roles import PERMISSIONS, allows
from leads.web import htmx, sessions

F = TypeVar("F", bound=Callable[..., Any])


PASSWORD_CHANGE_ENDPOINTS = frozenset({"auth.password", "auth.logout"})
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to continue."
# flask-login's "strong" protection reads X-Forwarded-For raw, so a stolen cookie replayed with the victim's
# address in that header passed it; `sessions` binds the session to what ProxyFix established instead.
login_manager.session_protection = None


@login_manager.user_loader
def _load_user(token: str) -> Any:
    """The session's user, only while active and while the session's version is theirs (see `sessions`)."""
    return sessions.load_user(token)


@login_manager.unauthorized_handler
def _unauthorized() -> Any:
    return htmx.redirect_to_login(request.full_path if request.method == "GET" else None)


def public(view: F) -> F:
    """Mark a view as reachable without login (login page, health probe, webhook)."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def require_login() -> Any:
    """Before each request (`pipeline`, after `sessions.enforce`): anonymous requests to every endpoint not
    marked `public` go to the login page; a password an admin reset is changed first."""
    if request.endpoint is None:
        return None  # 404/405: let Flask answer
    view = current_app.view_functions.get(request.endpoint)
    if request.endpoint == "static" or getattr(view, "is_public", False):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.must_change_password and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        return htmx.see_other(url_for("auth.password"))  # an admin reset it: the user's own password comes first
    return None


def can(permission: str, user: Any = None) -> bool:
    """Whether `user` (default: the current user) holds `permission`. Unknown permissions are refused."""
    user = current_user if user is None else user
    return bool(getattr(user, "is_authenticated", False)) and allows(user.role, permission)


def requires(permission: str) -> Callable[[F], F]:
    """View decorator: 403 unless the current user holds `permission`."""
    PERMISSIONS[permission]  # fail at import time on a typo

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not can(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = permission  # type: ignore[attr-defined]  # read by the role-matrix test
        return wrapped  # type: ignore[return-value]

    return decorator
