"""Login, logout, sessions, roles, and the rule that every endpoint but a few needs login."""

from __future__ import annotations

import re

import pytest
from werkzeug.routing import Rule

from leads import create_app
from leads.web.auth import LOGIN_FAILED
from tests.factories import PASSWORD, PUBLIC_ENDPOINTS


def _example_url(app, rule: Rule) -> str:
    values = {arg: 1 if isinstance(rule._converters[arg].to_python("1"), int) else "x" for arg in rule.arguments}
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def _protected_requests(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, _example_url(app, rule)


def test_only_the_expected_endpoints_are_public(app):
    public = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint == "static" or getattr(app.view_functions[rule.endpoint], "is_public", False)
    }
    assert public == PUBLIC_ENDPOINTS


def test_every_other_endpoint_refuses_anonymous_requests(app, client):
    requests = list(_protected_requests(app))
    assert len(requests) >= 6  # the walk really found the app's pages
    for method, url in requests:
        plain = client.open(url, method=method)
        htmx = client.open(url, method=method, headers={"HX-Request": "true"})
        assert htmx.status_code == 401, (method, url)
        if method == "GET":
            assert plain.status_code == 302, (method, url)
            assert plain.headers["Location"].startswith("/login"), (method, url)
            assert htmx.headers["HX-Redirect"].startswith("/login"), (method, url)
        else:  # a save: refused where it was made (a redirect would lose what was typed), saying why (#19)
            assert plain.status_code == 401 and "Your session has ended" in plain.get_data(as_text=True)
            assert "session has ended" in htmx.get_data(as_text=True) and "HX-Redirect" not in htmx.headers


def test_login_page_and_health_probe_are_public(client):
    assert client.get("/login").status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json == {"status": "ok"}


def test_login_then_leads_then_logout(client, make_user):
    user = make_user("sales")
    response = client.post("/login?next=/leads", data={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/leads"
    assert client.get("/leads").status_code == 200
    logout = client.post("/logout")
    assert logout.status_code == 303
    assert logout.headers["Clear-Site-Data"] == '"cache", "storage"'  # issue #32: nothing kept in the browser
    assert client.get("/leads").status_code == 302


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_login_never_redirects_off_site(client, make_user, next_url):
    user = make_user("sales")
    response = client.post("/login", query_string={"next": next_url}, data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/leads"


def test_unknown_user_and_wrong_password_get_the_same_answer(client, make_user):
    user = make_user("sales")
    wrong = client.post("/login", data={"email": user.email, "password": "not the password"})
    unknown = client.post("/login", data={"email": "nobody@radnac.example", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 200
    assert LOGIN_FAILED.encode() in wrong.data and LOGIN_FAILED.encode() in unknown.data
    assert client.get("/leads").status_code == 302


def test_deactivated_user_cannot_log_in_and_loses_an_open_session(app, client, make_user, session):
    user = make_user("support")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    user.active = False
    session.add(user)
    session.commit()
    assert client.get("/leads").status_code == 302
    assert LOGIN_FAILED.encode() in client.post("/login", data={"email": user.email, "password": PASSWORD}).data


def test_session_cookie_flags(client, make_user):
    user = make_user("sales")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_login_rotates_the_session(client, make_user):
    user = make_user("sales")
    client.get("/login")
    with client.session_transaction() as before:
        before["planted"] = "by an attacker"
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after["_user_id"] == f"{user.id}:{user.session_version}"


@pytest.mark.parametrize("role", ["sales", "support"])
def test_only_admins_manage_users(client, auth, role):
    auth.login(role)
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users/1", data={"role": "admin", "active": "y"}).status_code == 403


def test_admin_adds_a_user_who_can_then_log_in(client, auth):
    auth.login("admin")
    response = client.post(
        "/admin/users", data={"email": "new.person@radnac.example", "role": "support", "password": "a long password!"}
    )
    assert response.status_code == 303
    assert b"new.person@radnac.example" in client.get("/admin/users").data
    auth.logout()
    login = client.post("/login", data={"email": "new.person@radnac.example", "password": "a long password!"})
    assert login.status_code == 303


def test_admin_cannot_deactivate_themself(client, auth):
    admin = auth.login("admin")
    client.post(f"/admin/users/{admin.id}", data={"role": "admin"})  # active unchecked
    page = client.get("/admin/users")
    assert page.status_code == 200  # still an active admin
    assert b"cannot remove your own admin role" in page.data


def test_csrf_is_enforced_on_forms_when_enabled(database_url, clock, make_user):
    app = create_app({"APP_ENV": "testing", "SECRET_KEY": "s", "DATABASE_URL": database_url, "CLOCK": clock})
    user = make_user("sales")
    client = app.test_client()
    refused = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert refused.status_code == 400
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").data).group(1)
    accepted = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token.decode()})
    assert accepted.status_code == 303
    page = client.get("/leads").data.decode()
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    assert client.post("/logout").status_code == 400  # no token: refused
    assert client.post("/logout", headers={"X-CSRFToken": header_token}).status_code == 303  # htmx's header works
    app.extensions["radnac.engine"].dispose()


def test_the_staff_page_gets_its_sign_in_settings_from_its_own_view(app, client, auth):
    """Views pass what a template shows (issue #14): no other blueprint's context processor adds to this page."""
    auth.login("admin")
    with app.test_request_context("/admin/users"):
        offered = {name for processors in app.template_context_processors.values() for p in processors for name in p()}
    assert offered.isdisjoint({"totp_policy_form", "totp_reset_form", "totp_enrolled", "sso_member_form"})
    page = client.get("/admin/users").get_data(as_text=True)
    assert 'id="second-factor-policy"' in page and 'id="sso-member"' not in page  # no provider configured
