"""RADNAC Leads: the application factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, render_template
from flask_wtf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from leads import cli, config, db
from leads.web import htmx, permissions, security, templating, throttle

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
    permissions.init_app(app)
    cli.init_app(app)
    _register_blueprints(app)
    throttle.init_app(app)  # wraps the login view, so after the blueprints
    security.init_app(app)
    _register_error_pages(app)
    templating.init_app(app)
    return app


def _register_blueprints(app: Flask) -> None:
    """One blueprint per area of pages, imported here so that the web layer loads after the app exists."""
    from leads.web import auth, marketing, nurture, pages, retention, webhooks
    from leads.web import grants as grant_pages
    from leads.web import jobs as job_pages
    from leads.web import rights as rights_pages

    for area in (auth, rights_pages, nurture, grant_pages, retention, pages, webhooks, marketing, job_pages):
        app.register_blueprint(area.bp)
    csrf.exempt(webhooks.bp)  # Azure authenticates with the sig parameter; it has no session to forge


def _register_error_pages(app: Flask) -> None:
    for status in (400, 403, 404, 500):
        app.register_error_handler(status, _error_page(status))


def _error_page(status: int) -> Any:
    def handler(_error: Exception) -> tuple[str, int]:
        return render_template("error.html", status=status), status

    return handler
