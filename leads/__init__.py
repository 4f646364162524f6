"""RADNAC Leads: the application factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, render_template
from flask_wtf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from leads import auth, cli, config, db, grants, htmx, lifecycle, nurture, retention, rights, security, throttle
from leads.models import NURTURE_STATUSES

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
    csrf.init_app(app)
    htmx.init_app(app)
    auth.init_app(app)
    cli.init_app(app)
    _register_blueprints(app)
    throttle.init_app(app)  # wraps the login view, so after the blueprints
    security.init_app(app)
    _register_error_pages(app)
    app.jinja_env.globals.update(
        can=auth.can,
        plain_state=lambda state: lifecycle.PLAIN_WORDS.get(state, state),
        countdown=lambda kind, start, on_hold=False, deadline_at=None: retention.countdown(
            kind, start, now=db.now(), on_hold=on_hold, deadline_at=deadline_at
        ),
        grant_lapse_at=grants.lapse_at,
        nurture_statuses=NURTURE_STATUSES,
        note_kinds=nurture.NOTE_KINDS,
        rights_kinds=rights.KINDS,
        rights_statuses=rights.STATUSES,
        rights_urgencies={**rights.URGENCIES, "closed": "Closed"},
        rights_terminal=rights.TERMINAL,
        rights_urgency=lambda due, today: rights.urgency(due, today=today),
    )
    return app


def _register_blueprints(app: Flask) -> None:
    from leads import (
        accounts,
        grants_views,
        marketing_views,
        nurture_views,
        retention_views,
        rights_views,
        views,
        webhooks,
    )

    app.register_blueprint(accounts.bp)
    app.register_blueprint(rights_views.bp)
    app.register_blueprint(nurture_views.bp)
    app.register_blueprint(grants_views.bp)
    app.register_blueprint(retention_views.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(marketing_views.bp)
    csrf.exempt(webhooks.bp)  # Azure authenticates with the sig parameter; it has no session to forge


def _register_error_pages(app: Flask) -> None:
    for status in (400, 403, 404, 500):
        app.register_error_handler(status, _error_page(status))


def _error_page(status: int) -> Any:
    def handler(_error: Exception) -> tuple[str, int]:
        return render_template("error.html", status=status), status

    return handler
