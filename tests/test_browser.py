"""Real headless Chromium (Debian's) driven by Playwright: log in and browse the leads.

Screenshots land in test-artifacts/ (git-ignored) so a person can look at what staff see.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from leads import demo
from tests.conftest import ARTIFACTS, PASSWORD, PINNED_NOW

pytestmark = pytest.mark.browser


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Browser tests run on SQLite only: the server shares one file with the test."""
    import shutil

    path = tmp_path / "browser.db"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture
def live_url(app) -> Iterator[str]:
    """The app served over HTTP on a free loopback port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_staff_log_in_and_browse_leads(live_url, page, session, make_user):
    demo.load(session=session, now=PINNED_NOW)
    user = make_user("sales", "sam.sales@radnac.example")

    page.goto(f"{live_url}/leads")
    assert page.url.startswith(f"{live_url}/login")  # anonymous: sent to log in
    page.fill("#email", user.email)
    page.fill("#password", "wrong password")
    page.click("button[type=submit]")
    assert page.locator(".flash-error").inner_text() == "Email or password not recognised."
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_url}/leads")
    assert page.locator("h1").inner_text() == "Leads"
    assert page.locator("#leads-table tbody tr").count() == 20
    assert "600 in all" in page.locator(".pager").inner_text()
    shoot(page, "leads-list")

    # The pager swaps the table in place with htmx and pushes the URL.
    first_name = page.locator("#leads-table tbody tr td a").first.inner_text()
    page.click("a[rel=next]")
    page.wait_for_url(f"{live_url}/leads?page=2")
    assert "Page 2 of 30" in page.locator(".pager").inner_text()
    assert page.locator("#leads-table tbody tr td a").first.inner_text() != first_name

    page.locator("#leads-table tbody tr td a").first.click()
    page.wait_for_url(f"{live_url}/leads/*")
    assert page.locator("h2", has_text="Contact").is_visible()
    shoot(page, "lead-detail")

    page.click("text=Installations")
    assert "240 in all" in page.locator(".pager").inner_text()
    shoot(page, "installations")


def test_pages_work_without_javascript(live_url, browser, session, make_user):
    demo.load(session=session, now=PINNED_NOW)
    user = make_user("support")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_url}/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.click("a[rel=next]")
    assert page.url.endswith("/leads?page=2")
    assert "Page 2 of 30" in page.locator(".pager").inner_text()
    context.close()
