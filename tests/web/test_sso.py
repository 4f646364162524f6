"""Single sign-on pages without a browser: settings, the login page with and without a provider, refusals."""

from __future__ import annotations

import pytest
from sqlmodel import select

from leads import create_app
from leads.config import ConfigError
from leads.models import AuditEvent
from tests.factories import free_port

BASE = {"APP_ENV": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": "sqlite://"}


def test_without_oidc_settings_the_login_page_shows_only_the_local_form(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'id="password"' in page
    assert "sso-login" not in page and "Sign in with" not in page
    assert client.get("/sso/login").status_code == 404
    assert client.get("/sso/callback?state=x&code=y").status_code == 404


def test_a_tenant_id_is_enough_to_name_entra_ids_issuer():
    app = create_app({**BASE, "OIDC_TENANT_ID": "0000-tenant", "OIDC_CLIENT_ID": "c", "OIDC_CLIENT_SECRET": "s"})
    assert app.config["OIDC_ISSUER"] == "https://login.microsoftonline.com/0000-tenant/v2.0"
    assert app.config["OIDC_ENABLED"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"OIDC_ISSUER": "https://op.example", "OIDC_CLIENT_ID": "c"}, "OIDC_CLIENT_SECRET"),
        ({"OIDC_CLOCK_SKEW_SECONDS": "3600"}, "OIDC_CLOCK_SKEW_SECONDS"),
        ({"OIDC_ROLE_MAP": "Leads.Admin=superuser"}, "OIDC_ROLE_MAP"),
        ({"OIDC_ROLE_MAP": "=admin"}, "OIDC_ROLE_MAP"),
    ],
)
def test_unsafe_or_incomplete_sso_settings_stop_the_app_starting(settings, message):
    with pytest.raises(ConfigError, match=message):
        create_app({**BASE, **settings})


def _app(database_url, clock, **settings):
    return create_app({**BASE, "DATABASE_URL": database_url, "CLOCK": clock, "WTF_CSRF_ENABLED": False, **settings})


def test_an_unreachable_provider_gets_a_503_page_and_the_password_form_still_works(
    database_url, clock, make_user, oidc_provider
):
    from tests.factories import PASSWORD

    settings = {**oidc_provider.app_config(), "OIDC_ISSUER": f"http://127.0.0.1:{free_port()}"}
    app = _app(database_url, clock, **settings)
    client = app.test_client()
    response = client.get("/sso/login")
    assert response.status_code == 503
    assert "cannot be reached" in response.get_data(as_text=True)
    user = make_user("sales")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 303
    app.extensions["radnac.engine"].dispose()


def _started_state(client) -> str:
    """Start a sign-in from this client, as a browser would: the `state` the provider would send back."""
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(client.get("/sso/login").headers["Location"]).query)["state"][0]


FORGED_TEXT = "Call the helpdesk on +44 20 7946 0000 and read them your password. " * 64  # ~4 KB


def test_a_callback_no_sign_in_here_started_is_refused_and_writes_nothing(database_url, clock, session, oidc_provider):
    """Issue #32, finding 2: a provider error or a forged `state`, sent by anyone without a sign-in started in
    their session, is refused with a reason; it writes no row and the attacker's text is shown nowhere."""
    app = _app(database_url, clock, **oidc_provider.app_config())
    client = app.test_client()
    denied = client.get("/sso/callback", query_string={"error": "x", "error_description": FORGED_TEXT})
    forged = client.get("/sso/callback", query_string={"code": "stolen", "state": "made-up", "error_description": "x"})
    for answer in (denied, forged):
        assert answer.status_code == 400
        assert "state does not match" in answer.get_data(as_text=True)
        assert "helpdesk" not in answer.get_data(as_text=True)
    assert session.exec(select(AuditEvent)).all() == []
    app.extensions["radnac.engine"].dispose()


def test_a_provider_error_for_a_sign_in_started_here_is_audited_without_its_text_and_throttled(
    database_url, clock, session, oidc_provider
):
    """Only the provider's registered error code is kept (never its free text), and refused callbacks share the
    login's per-address budget: 20 refusals per address, then 429 before anything is written."""
    app = _app(database_url, clock, **oidc_provider.app_config())
    client = app.test_client()
    answers = []
    for _ in range(25):
        query = {"state": _started_state(client), "error": "access_denied", "error_description": FORGED_TEXT}
        answers.append(client.get("/sso/callback", query_string=query).status_code)
    assert answers == [400] * 20 + [429] * 5
    rows = session.exec(select(AuditEvent).where(AuditEvent.action == "sso.refused")).all()
    assert len(rows) == 20  # and the lock-out itself, once: tests/web/test_auth_events.py
    assert all("access_denied" in row.details and "helpdesk" not in row.details for row in rows)
    other = app.test_client()
    query = {"state": _started_state(other), "error": FORGED_TEXT[:40]}
    page = other.get("/sso/callback", query_string=query, environ_base={"REMOTE_ADDR": "192.0.2.77"})
    assert page.status_code == 400 and "an unrecognised error" in page.get_data(as_text=True)
    assert "helpdesk" not in session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first().details
    app.extensions["radnac.engine"].dispose()


def test_sign_in_starts_the_code_flow_with_pkce_state_and_nonce(database_url, clock, oidc_provider):
    from urllib.parse import parse_qs, urlsplit

    app = _app(database_url, clock, **oidc_provider.app_config())
    response = app.test_client().get("/sso/login?next=/dashboard")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}" == oidc_provider.issuer
    assert query["response_type"] == ["code"] and query["client_id"] == [oidc_provider.client_id]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 20
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}
    app.extensions["radnac.engine"].dispose()


def test_an_admin_adds_someone_for_single_sign_on_only(database_url, clock, session, make_user, oidc_provider):
    from leads.staff import sso, users
    from tests.factories import PASSWORD, AuthActions

    app = _app(database_url, clock, **oidc_provider.app_config())
    client = app.test_client()
    AuthActions(client, make_user).login("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert 'action="/admin/users/sso"' in page and "Test Provider sign-in" in page
    response = client.post("/admin/users/sso", data={"email": "Nia@RADNAC.example", "role": "support"})
    assert response.headers["Location"] == "/admin/users"
    nia = users.get_by_email(session=session, email="nia@radnac.example")
    assert (nia.role, nia.password_hash) == ("support", sso.NO_PASSWORD)
    assert users.authenticate(session=session, email=nia.email, password=PASSWORD) is None
    again = client.post(
        "/admin/users/sso", data={"email": "nia@radnac.example", "role": "sales"}, follow_redirects=True
    )
    assert "already exists" in again.get_data(as_text=True)
    app.extensions["radnac.engine"].dispose()


def test_without_a_provider_there_is_no_sso_member_form(client, auth):
    auth.login("admin")
    assert "sso-member" not in client.get("/admin/users").get_data(as_text=True)
    assert client.post("/admin/users/sso", data={"email": "a@radnac.example", "role": "sales"}).status_code == 404
