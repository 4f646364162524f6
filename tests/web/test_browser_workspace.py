"""The workspace in Chromium at 1440 and 820 px, with JavaScript on and off (issue #19).

Screenshots land in test-artifacts/ (git-ignored) so a person can look at what staff see.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from leads import demo
from tests.browser import WIDTHS, log_in, open_page, page_width, shoot, sqlite_database_url
from tests.conftest import PINNED_NOW

pytestmark = pytest.mark.browser
database_url = pytest.fixture(sqlite_database_url)
BOTH = [(w, js) for w in WIDTHS for js in (True, False)]


def _tag(width: int, javascript: bool) -> str:
    return f"{width}-{'js' if javascript else 'nojs'}"


@pytest.mark.parametrize(("width", "javascript"), BOTH)
def test_support_finds_the_failed_installs_and_why(live_url, browser, session, make_user, width, javascript):
    demo.load(session=session, now=PINNED_NOW)
    page = open_page(browser, width=width, javascript=javascript)
    log_in(page, live_url, make_user("support").email)
    page.goto(f"{live_url}/")
    page.click("a.tile:has-text('needing help')")
    page.wait_for_url("**/installations?state=needs_help")
    expect(page.locator(".result-count")).to_have_text("60 installations match")
    assert page.locator("#installations-table .reason").count() == 20
    assert set(page.locator("#installations-table .state").all_inner_texts()) <= {
        "Install failed",
        "Uninstall blocked by an error",
    }
    shoot(page, f"installations-needs-help-{_tag(width, javascript)}")
    assert page_width(page)[0] <= page_width(page)[1]  # no sideways scroll

    page.click("a[rel=next]")
    page.wait_for_url("**start=21*")
    expect(page.locator(".pager-where").first).to_have_text("21-40 of 60")
    table_top = page.evaluate("document.getElementById('installations-table').getBoundingClientRect().top")
    assert -2 <= table_top <= 60  # the new page is shown from the top of the table, not its bottom

    page.select_option("#f-state", "")
    page.select_option("#f-plan", "radnac-managed")
    if not javascript:
        page.click("button:has-text('Apply')")
    page.wait_for_url("**plan=radnac-managed*")
    expect(page.locator(".result-count")).to_contain_text("match")
    assert set(page.locator("#installations-table tbody td:nth-child(3)").all_inner_texts()) <= {
        "radnac-managed 2.4.1",
        "radnac-managed 2.5.0",
    }
    page.fill("#q", "rg-radnac-0007")
    if javascript:
        page.wait_for_url("**q=rg-radnac-0007*")
    else:
        page.click("button:has-text('Apply')")
    expect(page.locator(".result-count")).to_have_text("1 installation match")
    code = page.locator("#installations-table .long-id code").first
    assert code.get_attribute("title") and code.evaluate("e => e.scrollWidth > e.clientWidth")  # cut, full on hover
    assert page.locator("button.copy").first.is_visible() == javascript
    shoot(page, f"installations-search-{_tag(width, javascript)}")
    page.context.close()
