"""Single sign-on through a real OpenID Connect provider (oidc-provider on loopback), in Chromium (issue #20).

The provider's built-in development screens take any password for an account in its accounts file; the app
under test is configured for that provider exactly as production is for Entra ID.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from leads import create_app
from leads.config import utc_now
from leads.models import AuditEvent, StaffIdentity
from leads.staff import users
from tests.browser import log_in, shoot, sqlite_database_url

pytestmark = pytest.mark.browser
database_url = pytest.fixture(sqlite_database_url)


@pytest.fixture
def app(database_url, oidc_provider, clock):
    """The app configured for the loopback provider, CSRF on. Its clock starts at the wall clock's time, since the
    provider's tokens are real; a test moves it to see a real token expire."""
    clock.now = utc_now()
    app = create_app(
        {
            "APP_ENV": "testing",
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "CLOCK": clock,
            **oidc_provider.app_config(),
        }
    )
    yield app
    app.extensions["radnac.engine"].dispose()


def account(login: str, *, email: str | None = None, roles: list[str] | None = None, verified: bool = True) -> dict:
    return {
        login: {
            "oid": f"oid-{login}",
            "email": email or f"{login}@radnac.example",
            "email_verified": verified,
            "roles": roles or [],
        }
    }


def sign_in(page, live_url: str, login: str) -> None:
    """Start at our login page, sign in at the provider (any password), consent, and come back."""
    page.goto(f"{live_url}/login")
    page.click("#sso-login")
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password at all")
    page.click("button.login-submit")
    page.wait_for_selector("input[name=prompt][value=consent]", state="attached")
    page.click("button.login-submit")
    page.wait_for_url(f"{live_url}/**")


def audit_actions(session) -> list[tuple[str, dict]]:
    session.expire_all()
    events = session.exec(select(AuditEvent).where(AuditEvent.action.like("sso.%")).order_by(AuditEvent.id))
    return [(event.action, json.loads(event.details or "{}")) for event in events]


def test_an_added_member_of_staff_signs_in_and_is_bound_by_verified_email(
    live_url, page, session, make_user, oidc_provider
):
    alice = make_user("sales", email="alice@radnac.example")
    oidc_provider.accounts = account("alice")
    sign_in(page, live_url, "alice")
    page.wait_for_url(f"{live_url}/leads")
    assert "alice@radnac.example" in page.locator(".whoami").inner_text()
    assert "sales" in page.locator(".whoami .role").inner_text()
    shoot(page, "sso-signed-in")
    identity = session.exec(select(StaffIdentity)).one()
    assert (identity.user_id, identity.subject, identity.issuer) == (alice.id, "oid-alice", oidc_provider.issuer)
    assert [action for action, _ in audit_actions(session)] == ["sso.sign_in"]


def test_the_login_page_offers_the_provider_and_the_local_form(live_url, page):
    page.goto(f"{live_url}/login")
    assert page.locator("#sso-login").inner_text() == "Sign in with Test Provider"
    assert page.locator("#password").is_visible()
    shoot(page, "sso-login-page")


def test_an_unknown_person_is_refused_and_the_refusal_audited(live_url, page, session, oidc_provider):
    oidc_provider.accounts = account("erin")  # known to the provider, no role here, not added by an admin
    sign_in(page, live_url, "erin")
    assert page.locator("h1").inner_text() == "Sign-in refused"
    assert "an admin has not added you" in page.locator("#sso-reason").inner_text()
    shoot(page, "sso-unknown-refused")
    assert users.get_by_email(session=session, email="erin@radnac.example") is None
    [(action, details)] = audit_actions(session)
    assert action == "sso.refused" and "not a member of staff" in details["reason"]
    page.goto(f"{live_url}/leads")
    page.wait_for_url(f"{live_url}/login?next=**")  # not logged in


def test_a_deactivated_member_of_staff_is_refused_despite_a_valid_token_and_role(
    live_url, page, session, make_user, oidc_provider
):
    frank = make_user("sales", email="frank@radnac.example")
    frank.active = False
    session.add(frank)
    session.commit()
    oidc_provider.accounts = account("frank", roles=["Leads.Admin"])
    sign_in(page, live_url, "frank")
    assert "deactivated" in page.locator("#sso-reason").inner_text()
    session.refresh(frank)
    assert (frank.role, frank.active) == ("sales", False)  # the refused token changed nothing
    assert audit_actions(session)[-1][0] == "sso.refused"


def test_a_mapped_app_role_lets_someone_in_and_the_role_follows_the_provider(live_url, browser, session, oidc_provider):
    oidc_provider.accounts = account("carol", roles=["Leads.Support"])
    for expected in ("support", "admin"):
        context = browser.new_context()
        page = context.new_page()
        sign_in(page, live_url, "carol")
        page.wait_for_url(f"{live_url}/leads")
        assert page.locator(".whoami .role").inner_text() == expected
        shoot(page, f"sso-role-{expected}")
        context.close()
        oidc_provider.accounts = account("carol", roles=["Leads.Admin", "Leads.Sales"])  # changed at the provider
    carol = users.get_by_email(session=session, email="carol@radnac.example")
    session.refresh(carol)
    assert carol.role == "admin" and carol.password_hash == "!sso-only"
    [first, second] = audit_actions(session)
    assert first[1]["provider_role"] == "support"
    assert (second[1]["role_before"], second[1]["provider_role"]) == ("support", "admin")


def forge(page, live_url: str, parameter: str) -> None:
    """Our /sso/login answers with a redirect to the provider; make it send the provider another `parameter`."""

    def handler(route) -> None:
        response = route.fetch(max_redirects=0)
        location = response.headers["location"].replace(f"{parameter}=", f"{parameter}=forged", 1)
        route.fulfill(response=response, headers={**response.headers, "location": location})

    page.route(lambda url: url.startswith(f"{live_url}/sso/login"), handler)


def test_a_forged_state_is_refused(live_url, page, session, make_user, oidc_provider):
    make_user("sales", email="gina@radnac.example")
    oidc_provider.accounts = account("gina")
    forge(page, live_url, "state")
    sign_in(page, live_url, "gina")
    assert page.locator("h1").inner_text() == "Sign-in refused"
    assert "state does not match" in page.locator("#sso-reason").inner_text()
    assert session.exec(select(StaffIdentity)).first() is None
    assert audit_actions(session) == []  # no sign-in of this browser's matched: nothing to audit (issue #32)


def test_a_token_with_another_nonce_is_refused(live_url, page, session, make_user, oidc_provider):
    """The provider really signs a token carrying a nonce this browser's sign-in never sent."""
    make_user("sales", email="kim@radnac.example")
    oidc_provider.accounts = account("kim")
    forge(page, live_url, "nonce")
    sign_in(page, live_url, "kim")
    assert page.locator("h1").inner_text() == "Sign-in refused"
    assert "ID token failed verification" in page.locator("#sso-reason").inner_text()
    assert "nonce" in audit_actions(session)[-1][1]["reason"]
    assert session.exec(select(StaffIdentity)).first() is None


def test_a_real_token_that_expired_is_refused(live_url, page, session, make_user, oidc_provider, clock):
    """The provider's ID tokens live an hour; on the app's clock, two hours have passed when it arrives."""
    make_user("sales", email="lou@radnac.example")
    oidc_provider.accounts = account("lou")
    page.goto(f"{live_url}/login")
    clock.now = utc_now() + timedelta(hours=2)
    sign_in(page, live_url, "lou")
    assert "ID token failed verification" in page.locator("#sso-reason").inner_text()
    assert "expired" in audit_actions(session)[-1][1]["reason"]


def test_a_replayed_callback_is_refused(live_url, browser, page, session, make_user, oidc_provider):
    make_user("sales", email="hal@radnac.example")
    oidc_provider.accounts = account("hal")
    callbacks: list[str] = []
    page.on("request", lambda request: callbacks.append(request.url) if "/sso/callback" in request.url else None)
    sign_in(page, live_url, "hal")
    page.wait_for_url(f"{live_url}/leads")
    [callback] = callbacks
    page.goto(callback)  # the same browser: its state (and nonce) were used up by the first sign-in
    assert "state does not match" in page.locator("#sso-reason").inner_text()
    other = browser.new_context().new_page()
    other.goto(callback)  # someone else with the stolen URL: no state of theirs matches it
    assert "state does not match" in other.locator("#sso-reason").inner_text()
    other.context.close()
    # Neither replay matches a sign-in started in its session: refused, not audited (issue #32).
    assert [action for action, _ in audit_actions(session)] == ["sso.sign_in"]


def test_signing_out_ends_the_session_and_offers_the_providers_logout(live_url, page, make_user, oidc_provider):
    make_user("sales", email="ivy@radnac.example")
    oidc_provider.accounts = account("ivy")
    sign_in(page, live_url, "ivy")
    page.wait_for_url(f"{live_url}/leads")
    page.click(".whoami button[type=submit]")
    page.wait_for_url(f"{live_url}/login")
    offer = page.locator("#provider-logout")
    assert offer.inner_text() == "Sign out of Test Provider too"
    shoot(page, "sso-logged-out-offer")
    page.goto(f"{live_url}/leads")
    page.wait_for_url(f"{live_url}/login?next=**")  # the app session is over whatever the provider does
    assert page.locator("#provider-logout").count() == 0  # offered once, right after the logout


def test_the_providers_logout_comes_back_to_the_login_page(live_url, page, make_user, oidc_provider):
    make_user("sales", email="jo@radnac.example")
    oidc_provider.accounts = account("jo")
    sign_in(page, live_url, "jo")
    page.wait_for_url(f"{live_url}/leads")
    page.click(".whoami button[type=submit]")
    page.wait_for_url(f"{live_url}/login")
    page.click("#provider-logout")
    page.wait_for_url(f"{oidc_provider.issuer}/**")
    page.click("button[name=logout]")  # the provider asks "sign out?"
    page.wait_for_url(f"{live_url}/login*")
    page.click("#sso-login")
    page.wait_for_selector("input[name=login]")  # the provider's session is gone: it asks who you are again


def test_an_admin_adds_someone_for_sso_only_who_then_signs_in(live_url, browser, page, make_user, oidc_provider):
    admin = make_user("admin")
    log_in(page, live_url, admin.email)
    page.goto(f"{live_url}/admin/users")
    page.fill("#sso-email", "max@radnac.example")
    page.select_option("#sso-role", "support")
    page.click("#sso-member button[type=submit]")
    page.wait_for_url(f"{live_url}/admin/users")
    assert "they sign in with Test Provider" in page.locator(".flash").inner_text()
    shoot(page, "sso-staff-page")
    oidc_provider.accounts = account("max")
    other = browser.new_context().new_page()
    sign_in(other, live_url, "max")
    other.wait_for_url(f"{live_url}/leads")
    assert other.locator(".whoami .role").inner_text() == "support"
    other.context.close()
