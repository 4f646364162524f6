"""The pages work under the Content-Security-Policy in real Chromium: htmx swaps, no violation reported."""

from __future__ import annotations

import pytest

from tests.browser import log_in, shoot, sqlite_database_url, watch_console

pytestmark = pytest.mark.browser
database_url = pytest.fixture(sqlite_database_url)


def test_browsing_under_the_policy_reports_no_violation(live_url, page, session, make_user, demo_data):
    user = make_user("admin")
    errors = watch_console(page)
    missing: list[str] = []
    page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)

    log_in(page, live_url, user.email)
    assert page.locator("#leads-table tbody tr").count() == 20
    page.evaluate("window.stillTheSamePage = true")
    page.click("a[rel=next]")
    page.wait_for_url("**/leads?after=*")
    assert page.locator("a[rel=prev]").is_visible()
    assert page.evaluate("window.stillTheSamePage === true")  # htmx swapped the table; no full page load
    page.locator("#q").fill("a")
    page.wait_for_url("**/leads?q=a*")
    page.locator("#leads-table tbody tr td.name a").first.click()
    page.wait_for_url(f"{live_url}/leads/*")
    assert page.locator("h2", has_text="Contact").is_visible()
    shoot(page, "csp-lead-detail")
    for link in (
        "Dashboard",
        "Installations",
        "Retention",
        "Rights",
        "Grants",
        "Marketing lists",
        "Sync",
        "Jobs",
        "Plans",
        "Staff",
    ):
        page.click(f"nav >> text={link}")
        page.wait_for_load_state()
    shoot(page, "csp-staff")
    assert missing == []
    assert errors == []


def test_a_violation_would_be_seen(live_url, page):
    """The control: the same listener does catch a violation, so an empty list above means something."""
    errors = watch_console(page)
    page.goto(f"{live_url}/login")
    page.evaluate("document.head.insertAdjacentHTML('beforeend', '<style>body { color: red }</style>')")
    page.wait_for_function("document.querySelectorAll('style').length === 1")
    page.evaluate("() => new Promise(resolve => setTimeout(resolve, 0))")  # let the console event arrive
    assert any("Content Security Policy" in error for error in errors), errors


def test_a_throttled_login_says_when_to_try_again(live_url, page):
    errors = watch_console(page)
    for _ in range(6):
        page.goto(f"{live_url}/login")
        page.fill("#email", "someone@radnac.example")
        page.fill("#password", "not the password")
        page.click("button[type=submit]")
    assert page.locator("h1").inner_text() == "Too many failed log-ins"
    assert "Try again after" in page.locator("main").inner_text()
    shoot(page, "login-throttled")
    assert errors == [] or all("429" in error for error in errors)  # only the refused POST itself
