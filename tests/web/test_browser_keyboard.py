"""Keyboard and locale in Chromium (issue #31, finding 10): the skip link, the tick-all checkbox, the states'
text size and dates written the British way whatever the browser's own locale."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import log_in, shoot, sqlite_database_url

pytestmark = pytest.mark.browser
database_url = pytest.fixture(sqlite_database_url)


def test_the_first_tab_stop_skips_to_the_main_content(live_url, page, make_user):
    """There were 11-17 tab stops before the search box; the first now jumps past the menu."""
    log_in(page, live_url, make_user("sales").email)
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_text("Skip to main content")
    expect(skip).to_be_visible()  # shown when focused, not only to screen readers
    shoot(page, "keyboard-skip-link", full_page=False)
    page.keyboard.press("Enter")
    expect(page.locator(":focus")).to_have_id("main")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")  # the next stop is in the page
    assert page.evaluate("document.activeElement.closest('header') === null")


def test_the_tick_all_header_is_a_labelled_checkbox(live_url, page, make_user, demo_data):
    """The header's "All" looked like text; it is a checkbox named for what it ticks, worked with the keyboard."""
    log_in(page, live_url, make_user("sales").email)
    tick_all = page.get_by_role("checkbox", name="All 20 leads on this page")
    rows = page.locator("#leads-table tbody input[type=checkbox]")
    tick_all.focus()
    page.keyboard.press("Space")
    expect(tick_all).to_be_checked()
    assert [rows.nth(n).is_checked() for n in range(rows.count())] == [True] * 20
    rows.first.uncheck()
    assert tick_all.evaluate("box => box.indeterminate") and not tick_all.is_checked()
    tick_all.focus()
    page.keyboard.press("Space")  # mixed, then Space: all ticked again
    expect(tick_all).to_be_checked()
    page.locator("label[for=tick-all]").click()  # its label works too
    assert [rows.nth(n).is_checked() for n in range(rows.count())] == [False] * 20
    page.locator("#leads-table thead").screenshot(path="test-artifacts/keyboard-tick-all.png")


def test_dates_are_written_dd_mm_yyyy_in_an_en_us_browser(live_url, browser, make_user):
    """Chromium shows a date input in its own locale's order (mm/dd/yyyy in en-US) whatever the page's lang:
    the en-GB page's date boxes say dd/mm/yyyy and take it, and a wrong one is refused and kept as typed."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    assert page.evaluate("navigator.language") == "en-US"
    log_in(page, live_url, make_user("support").email)
    page.goto(f"{live_url}/rights/new")
    received = page.get_by_label("Received on (dd/mm/yyyy)")
    expect(received).to_have_attribute("placeholder", "dd/mm/yyyy")
    page.select_option("#kind", "access")
    page.fill("#requester_name", "Ada Lovelace")
    page.fill("#requester_email", "ada@x.example")
    received.fill("23/31/2026")  # not a day
    page.click("button[type=submit].primary")
    expect(page.locator("#received_on-error")).to_have_text("Write the date as dd/mm/yyyy, e.g. 25/11/2026.")
    expect(received).to_have_value("23/31/2026")  # kept as typed, to correct
    expect(page.locator("#requester_name")).to_have_value("Ada Lovelace")
    shoot(page, "keyboard-date-en-US-refused", full_page=False)
    received.fill("03/11/2026")
    page.click("button[type=submit].primary")
    expect(page.get_by_text("3 Nov 2026").first).to_be_visible()  # 3 November, not 11 March
    context.close()
