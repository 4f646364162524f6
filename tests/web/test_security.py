"""Security headers on every kind of response, and templates that need no inline script or style."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from leads import create_app
from leads.web import security
from tests.notification_samples import MARKETPLACE

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
EXPECTED = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
SECRET = "header-test-secret"


def assert_headers(response, hsts: bool = False):
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (response.request.path, name)
    assert ("Strict-Transport-Security" in response.headers) == hsts


def test_the_policy_forbids_inline_code_and_eval():
    policy = security.CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert policy == EXPECTED["Content-Security-Policy"]


def test_every_kind_of_response_carries_the_headers(app, client, auth):
    app.config["WEBHOOK_SECRET"] = SECRET
    responses = [
        client.get("/login"),
        client.get("/leads"),  # anonymous: a redirect
        client.get("/no/such/page"),
        client.get("/static/app.css"),
        client.post(
            f"/webhooks/azure/resource?sig={SECRET}", data=json.dumps(MARKETPLACE), content_type="application/json"
        ),
        client.post("/webhooks/azure/resource?sig=wrong", data="{}", content_type="application/json"),
    ]
    auth.login("sales")
    responses += [
        client.get("/leads"),
        client.get("/leads", headers={"HX-Request": "true"}),
        client.get("/admin/users"),
    ]
    assert [r.status_code for r in responses] == [200, 302, 404, 200, 200, 401, 200, 200, 403]
    for response in responses:
        assert_headers(response)
        response.close()  # the static file is streamed


def test_a_throttled_login_carries_the_headers(client):
    for _ in range(6):
        response = client.post("/login", data={"email": "x@radnac.example", "password": "wrong password"})
    assert response.status_code == 429
    assert_headers(response)


def test_an_unexpected_error_page_carries_the_headers(app, client):
    from leads.web.permissions import public

    @public
    def boom():
        raise RuntimeError("unexpected")

    app.add_url_rule("/boom", "boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as production does, with the 500 page
    response = client.get("/boom")
    assert response.status_code == 500
    assert_headers(response)


@pytest.mark.parametrize(("env", "hsts"), [("production", True), ("development", False), ("testing", False)])
def test_hsts_only_outside_development_and_testing(database_url, env, hsts):
    app = create_app(
        {
            "APP_ENV": env,
            "SECRET_KEY": "a-long-production-secret-for-this-test",
            "TOMBSTONE_KEY": "a-separate-long-tombstone-key-for-this-test",
            "DATABASE_URL": database_url,
            "WEB_CONCURRENCY": 1,
        }
    )
    response = app.test_client().get("/login")
    assert_headers(response, hsts=hsts)
    if hsts:
        assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    app.extensions["radnac.engine"].dispose()


def test_htmx_is_configured_to_need_no_eval_inline_script_or_inline_style():
    base = (TEMPLATES / "base.html").read_text()
    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", base).group(1))
    assert config["allowEval"] is False  # hx-on, js: values and event filters would need eval
    assert config["allowScriptTags"] is False  # swapped fragments never run scripts
    assert config["includeIndicatorStyles"] is False  # htmx would inject a <style> element
    assert "style" not in config["attributesToSettle"]  # settling would set style attributes


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_hold_no_inline_script_style_or_handlers(template):
    html = template.read_text()
    # A letter to the person is one file they keep and open anywhere (from the ZIP, offline), so its stylesheet
    # is inside it; on our pages it is only ever shown in a sandboxed frame under its own policy.
    if template.relative_to(TEMPLATES).parts[0] != "letters":
        assert not re.search(r"<style", html, re.I)
    assert not re.search(r"\sstyle=", html, re.I)
    assert not re.search(r"\son[a-z]+=", html, re.I)  # onclick= and friends
    assert not re.search(r"hx-on|hx-vars|js:|javascript:", html, re.I)
    for script in re.findall(r"<script[^>]*>", html, re.I):
        assert re.search(r"\ssrc=", script), script  # external files only


def test_no_store_on_every_response_to_a_logged_in_user_and_on_every_download(app, session, make_user, demo_data):
    from tests.web.walk import clients, populate, urls

    ids, staff = populate(session, make_user)
    browsers = clients(app, staff)
    anonymous = browsers.pop("anonymous").get("/login")
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")  # nothing private on the login page
    seen = 0
    for browser in browsers.values():
        for endpoint, method, url in urls(app, ids, {"GET", "POST"}):
            if endpoint in ("static", "auth.logout"):
                continue
            response = browser.open(url, method=method, headers={"HX-Request": "true"} if seen % 2 else {})
            response.close()
            assert response.headers.get("Cache-Control") == "no-store", f"{method} {url}: {response.status_code}"
            seen += 1
    downloads = [  # one at a time: a streamed download keeps its request context until it is closed
        ("support", f"/rights/{ids['request_id']}/bundle/access"),
        ("support", "/rights/export.csv"),
        ("sales", f"/marketing/lists/{ids['list_id']}/export"),
    ]
    for who, url in downloads:
        download = browsers[who].post(url)
        assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"], url
        assert download.headers["Cache-Control"] == "no-store"
        download.close()
    assert seen > 100
