"""Retention in a real browser: countdowns tick live without requests, and the upcoming page reads well."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser import WIDTHS, log_in, open_page, page_width, shoot, sqlite_database_url
from tests.factories import PINNED_NOW, add_lead

pytestmark = pytest.mark.browser
database_url = pytest.fixture(sqlite_database_url)


def test_countdown_ticks_in_the_page_without_asking_the_server(live_url, page, session, make_user):
    lead = add_lead(session, PINNED_NOW.replace(year=2023) + timedelta(minutes=30), "ticking")
    user = make_user("sales")
    # The script counts from the server's time the page carries, so the browser's own clock may read anything;
    # it is stopped before the page loads so that loading it (real time, more on a loaded machine) ticks nothing.
    page.clock.install(time=PINNED_NOW.timestamp() - 60)
    log_in(page, live_url, user.email)
    page.clock.pause_at(PINNED_NOW.timestamp())
    requests: list[str] = []
    page.goto(f"{live_url}/leads/{lead.id}")
    page.on("request", lambda request: requests.append(request.url))
    badge = page.locator("#retention-card .countdown")
    assert badge.inner_text() == "30 minutes"
    page.clock.run_for(5000)
    assert badge.inner_text() == "29 minutes 55 seconds"
    page.clock.run_for(30 * 60 * 1000)
    assert badge.inner_text() == "due for destruction now"
    # No request per second (nor any at all): a late favicon or stylesheet fetch of the load itself aside.
    assert [url for url in requests if "/static/" not in url] == []
    shoot(page, "lead-countdown-due")


def test_upcoming_destruction_page(live_url, page, session, make_user, demo_data):
    user = make_user("admin")
    page.clock.install(time=PINNED_NOW.timestamp())  # any clock would do: countdown.js keeps the server's
    log_in(page, live_url, user.email)
    page.click("text=Retention")
    page.wait_for_url(f"{live_url}/retention")
    assert page.locator("h1").inner_text() == "Upcoming destruction"
    assert page.locator("text=On legal hold (1)").is_visible()
    shoot(page, "retention-upcoming")
    page.locator("#due-lead .due-list a").first.click()
    assert page.locator("#retention-card").is_visible()
    shoot(page, "lead-retention-card")


@pytest.mark.parametrize(("width", "javascript"), [(w, js) for w in WIDTHS for js in (True, False)])
def test_retention_and_dashboard_agree_by_name_with_countdowns(
    live_url, browser, session, make_user, width, javascript
):
    """Issue #19 item 9: names and countdowns on /retention, grants present, the dashboard's counts, the chart
    titled, and no sideways scroll at 820 pixels, with JavaScript on and off."""
    from tests.factories import seed_every_kind

    seed_every_kind(session, make_user("admin"))
    page = open_page(browser, width=width, javascript=javascript)
    if javascript:
        page.clock.install(time=PINNED_NOW.timestamp())  # any clock would do: countdown.js keeps the server's
    log_in(page, live_url, make_user("support").email)
    page.goto(f"{live_url}/")
    tiles = {days: page.locator(f"#due-{days} strong").inner_text() for days in (7, 30)}
    expect(page.locator("#destruction-chart-title")).to_be_visible()
    chart = page.locator("#destruction-chart").bounding_box()
    row = page.locator("#retention-tiles").bounding_box()  # the tiles span the content column
    assert chart["width"] >= row["width"] - 1  # the chart fills its container
    label_size = page.locator(".chart-labels li").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert label_size >= 14
    tag = f"{width}-{'js' if javascript else 'nojs'}"
    shoot(page, f"dashboard-retention-{tag}")
    assert page_width(page)[0] <= page_width(page)[1]
    page.click("#due-30")
    page.wait_for_url("**/retention?days=30")
    assert {days: page.locator(f"#due-{days} strong").inner_text() for days in (7, 30)} == tiles
    expect(page.locator("#due-window-total")).to_have_text(tiles[30])
    expect(page.locator("#due-lead .due-list li").first).to_contain_text("Ada Lovelace")
    expect(page.locator("#due-support_grant .due-list li").first).to_contain_text("Support access to app")
    expect(page.locator("#due-support_grant .due-list .countdown").first).to_be_visible()
    assert page.locator("#due-lead .countdown").count() >= 5
    shoot(page, f"retention-by-name-{tag}")
    assert page_width(page)[0] <= page_width(page)[1]


def test_a_countdown_reaching_zero_on_retention_reads_due_not_destroyed_in_due(live_url, page, session, make_user):
    add_lead(session, PINNED_NOW.replace(year=2023) + timedelta(seconds=30), "soon")
    page.clock.install(time=PINNED_NOW.timestamp() - 60)
    log_in(page, live_url, make_user("sales").email)
    page.clock.pause_at(PINNED_NOW.timestamp())  # before the page: loading it must tick nothing
    page.goto(f"{live_url}/retention")
    row = page.locator("#due-lead .due-list li").first
    expect(row).to_contain_text("destroyed in 30 seconds")
    page.clock.run_for(31_000)
    expect(row.locator(".countdown")).to_have_text("due for destruction now")
    assert "destroyed in" not in row.inner_text()
