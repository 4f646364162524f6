"""RADNAC Leads: the application factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, render_template
from flask_wtf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from leads import cli, config, db
from leads.web import htmx, inputs, pipeline, templating

ROOT = Path(__file__).resolve().parent.parent
csrf = CSRFProtect()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: documented defaults, then the environment, then `test_config` (tests only)."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(config.build(app.instance_path, os.environ, test_config))
    if app.config["TRUSTED_PROXY_COUNT"]:  # believe X-Forwarded-For only from our own proxies
        count = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]
    db.init_app(app)
    _check_tombstone_key(app)
    inputs.init_app(app)  # before the blueprints: their `<int:...>` rules take the bounded converter
    htmx.init_app(app)
    cli.init_app(app)
    _register_blueprints(app)
    pipeline.init_app(app, csrf=csrf)  # every request hook, in order; after the blueprints (it wraps the login)
    _register_error_pages(app)
    templating.init_app(app)
    return app


def _check_tombstone_key(app: Flask) -> None:
    """Refuse to start (ConfigError, saying why) if TOMBSTONE_KEY changed while tombstones exist."""
    from leads import tombstones  # a domain module: imported once the app's engine exists

    engine = app.extensions["radnac.engine"]
    try:
        tombstones.check_key_at_startup(engine=engine, key=app.config["TOMBSTONE_KEY"], now=app.config["CLOCK"]())
    except Exception:
        engine.dispose()  # the app is not going to start: leave no connection behind
        raise


def _register_blueprints(app: Flask) -> None:
    """One blueprint per area of pages, imported here so that the web layer loads after the app exists."""
    from leads.web import (
        access,
        auth,
        followups,
        mailings,
        marketing,
        nurture,
        pages,
        people,
        privacy,
        retention,
        saved_views,
        second_factor,
        sso,
        undo,
        unsubscribe,
        webhooks,
    )
    from leads.web import grants as grant_pages
    from leads.web import jobs as job_pages
    from leads.web import rights as rights_pages

    areas = (
        auth,
        rights_pages,
        nurture,
        undo,
        followups,
        saved_views,
        grant_pages,
        retention,
        pages,
        people,
        webhooks,
        marketing,
        mailings,
        unsubscribe,
        privacy,
    )
    for area in (*areas, access, second_factor, sso, job_pages):
        app.register_blueprint(area.bp)
    sso.init_app(app)  # the provider, when OIDC settings are given
    csrf.exempt(webhooks.bp)  # Azure authenticates with the sig parameter; it has no session to forge
    csrf.exempt(unsubscribe.bp)  # mail providers post one-click unsubscribes without a session; the token is signed


def _register_error_pages(app: Flask) -> None:
    for status in (400, 403, 404, 405, 413, 415, 500):
        app.register_error_handler(status, _error_page(status))


def _error_page(status: int) -> Any:
    def handler(error: Exception) -> Any:
        answer = 401 if htmx.session_ended(error) else status
        # A reason the app gave (abort(400, "…")) is shown; werkzeug's stock descriptions are not.
        reason = getattr(error, "description", None)
        if reason == getattr(type(error), "description", None) or not isinstance(reason, str):
            reason = None
        return htmx.failure(answer) or (render_template("error.html", status=answer, reason=reason), answer)

    return handler
