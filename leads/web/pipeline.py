"""The request pipeline: every hook that runs around a view, registered here and nowhere else, listed in the order
Flask runs them. tests/web/test_pipeline.py checks that the app holds exactly these hooks, in this order.

The extensions (flask-wtf, flask-login, flask-limiter) register their own hooks from `init_app`; `_installed`
runs that and takes the hooks back, so that this module places them with ours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask_wtf import CSRFProtect

from leads import db
from leads.web import htmx, inputs, permissions, second_factor, security, sessions, sso, throttle


@dataclass(frozen=True)
class Pipeline:
    """The app's hooks, each list in the order the hooks run."""

    before_request: list[Callable[..., Any]] = field(default_factory=list)
    after_request: list[Callable[..., Any]] = field(default_factory=list)
    teardown_request: list[Callable[..., Any]] = field(default_factory=list)
    teardown_appcontext: list[Callable[..., Any]] = field(default_factory=list)


def init_app(app: Flask, *, csrf: CSRFProtect) -> Pipeline:
    """Register every request hook of the app (after the blueprints: the throttle wraps the login view)."""
    csrf_hooks = _installed(app, csrf.init_app)
    login_hooks = _installed(app, permissions.login_manager.init_app)
    throttle_hooks = _installed(app, throttle.init_app)
    pipeline = Pipeline(
        before_request=[
            inputs.refuse_nul,  # 400 for a NUL in any query or form value, before anything reads one
            *csrf_hooks.before_request,  # 400 for a form POST without this session's CSRF token
            sessions.enforce,  # a session that has ended (idle, too old, moved, revoked) is logged out here
            permissions.require_login,  # so that login is required of it: every view not marked public
            second_factor.enrol_first,  # while a second factor is required, password sessions must enrol
            *throttle_hooks.before_request,  # 429 for a throttled login, before the password is checked
        ],
        after_request=[
            security.add_headers,  # security headers; no-store for downloads and whatever staff see
            *throttle_hooks.after_request,  # the limiter's headers (when RATELIMIT_HEADERS_ENABLED)
            sso.offer_provider_logout,  # after an SSO logout, the login page offers the provider's logout
            *login_hooks.after_request,  # flask-login's remember-me cookie
            htmx.send_said,  # a confirmation said during an htmx swap, as an event beside the control
            htmx.vary_on_hx_request,  # caches keep the page and its fragment apart
        ],
        teardown_request=[*throttle_hooks.teardown_request],
        teardown_appcontext=[db.close_session],  # each request's (and command's) database session is closed
    )
    for hook in pipeline.before_request:
        app.before_request(hook)
    for hook in reversed(pipeline.after_request):  # Flask runs after-request hooks last registered first
        app.after_request(hook)
    for hook in pipeline.teardown_request:
        app.teardown_request(hook)
    for hook in pipeline.teardown_appcontext:
        app.teardown_appcontext(hook)
    app.extensions["radnac.pipeline"] = pipeline
    return pipeline


def _installed(app: Flask, init_app: Callable[[Flask], Any]) -> Pipeline:
    """Run an extension's `init_app` and take back the request hooks it registered, to be placed by the caller."""
    registries = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    marks = [len(registry.get(None, [])) for registry in registries]
    init_app(app)
    taken = []
    for registry, mark in zip(registries, marks, strict=True):
        hooks = registry.setdefault(None, [])
        taken.append(hooks[mark:])
        del hooks[mark:]
    return Pipeline(*taken)
