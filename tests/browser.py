"""Browser-test fixtures (a pytest plugin, loaded from conftest.py): Debian's Chromium driven by Playwright.

Session-scoped Playwright must exist once per run, so these live here and not in a test module.
Screenshots land in test-artifacts/ (git-ignored) so a person can look at what staff see.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests import clock_shift
from tests.factories import PASSWORD

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
# Without these, Chromium tries to reach Google's services, which this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def sqlite_database_url(sqlite_url: str) -> str:
    """Browser modules use this as their `database_url`: the server thread and the test share one SQLite file
    (with the demo data in it when the test asks for `demo_data`)."""
    return sqlite_url


@pytest.fixture
def live_url(app) -> Iterator[str]:
    """The app served over HTTP on a free loopback port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


class ShiftedBrowser:
    """The Browser, whose every new context's clock starts at this process's wall clock.

    Under `make test-any-date` that clock is moved (a year and a half ahead, a year back: tests/clock_shift.py),
    and so is the browser's: every browser test then runs as on that date. Otherwise contexts are left as
    they are."""

    def __init__(self, browser) -> None:
        self._browser = browser

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        context.clock.install(time=time.time())  # the moved wall clock; it runs on from there
        return context

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run (its clock moved with this process's under a shift)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield ShiftedBrowser(chromium) if clock_shift.SHIFT else chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser context and page, 1280x900."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def shoot(page, name: str, *, full_page: bool = True) -> None:
    """Save a screenshot (of the whole page, or of the window) as test-artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def watch_console(page) -> list[str]:
    """Every console error and page error, as text (Chromium reports CSP violations as console errors)."""
    seen: list[str] = []

    def on_console(message) -> None:
        where = message.location["url"]
        if message.type == "error" and not where.endswith("/favicon.ico"):  # the browser's own probe, not a page
            seen.append(f"{message.text} at {where}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.append(str(error)))
    return seen


def log_in(page, live_url: str, email: str) -> None:
    """Log in through the login form and land on the leads page."""
    page.goto(f"{live_url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_url}/leads")


WIDTHS = (1440, 820)  # the desktop and the tablet staff use (issue #19)


def open_page(browser, *, width: int, javascript: bool = True):
    """A fresh context and page `width` pixels wide, with JavaScript on or off; close its `.context` after."""
    context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=javascript)
    return context.new_page()


def page_width(page) -> tuple[int, int]:
    """(scroll width, viewport width) of the document: equal when nothing makes the page scroll sideways."""
    return page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
