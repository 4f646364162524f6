"""Retention in a real browser: countdowns tick live without requests, and the upcoming page reads well."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leads import demo
from tests.browser import log_in, shoot, sqlite_database_url
from tests.conftest import PINNED_NOW
from tests.retention.test_sweeper import add_lead

pytestmark = pytest.mark.browser
database_url = pytest.fixture(sqlite_database_url)


def test_countdown_ticks_in_the_page_without_asking_the_server(live_url, page, session, make_user):
    lead = add_lead(session, PINNED_NOW.replace(year=2023) + timedelta(minutes=30), "ticking")
    user = make_user("sales")
    # The browser's clock starts a minute early and is stopped at the pinned time once the page is loaded:
    # logging in and loading the page take real time (more on a loaded machine), which must not tick it.
    page.clock.install(time=PINNED_NOW.timestamp() - 60)
    log_in(page, live_url, user.email)
    requests: list[str] = []
    page.goto(f"{live_url}/leads/{lead.id}")
    page.clock.pause_at(PINNED_NOW.timestamp())
    page.on("request", lambda request: requests.append(request.url))
    badge = page.locator("#retention-card .countdown")
    assert badge.inner_text() == "30 minutes"
    page.clock.run_for(5000)
    assert badge.inner_text() == "29 minutes 55 seconds"
    page.clock.run_for(30 * 60 * 1000)
    assert badge.inner_text() == "due for destruction now"
    assert requests == []  # no request per second (nor any at all)
    shoot(page, "lead-countdown-due")


def test_upcoming_destruction_page(live_url, page, session, make_user):
    demo.load(session=session, now=PINNED_NOW)
    user = make_user("admin")
    log_in(page, live_url, user.email)
    page.click("text=Retention")
    page.wait_for_url(f"{live_url}/retention")
    assert page.locator("h1").inner_text() == "Upcoming destruction"
    assert page.locator("text=On legal hold (1)").is_visible()
    shoot(page, "retention-upcoming")
    page.locator("h2:has-text('Marketplace leads') + p + ul a").first.click()
    assert page.locator("#retention-card").is_visible()
    shoot(page, "lead-retention-card")
