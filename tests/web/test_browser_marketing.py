"""Real Chromium: record a person's consent on their page, then add them to a marketing list, with htmx and without.

Screenshots land in test-artifacts/ (git-ignored): look at them.
"""

from __future__ import annotations

import re

import pytest

from tests.browser import log_in, shoot, sqlite_database_url
from tests.marketing_samples import make_lead, make_list

pytestmark = pytest.mark.browser
database_url = pytest.fixture(sqlite_database_url)


def test_record_consent_then_add_to_a_list(live_url, page, session, make_user):
    zoe = make_lead(session, 1, first_name="Zoë", last_name="Müller", company="Contoso")
    nadia = make_lead(session, 2, first_name="Nadia", last_name="Never")
    make_list(session, "RADNAC 3.0 launch")
    log_in(page, live_url, make_user("sales", "sam.sales@radnac.example").email)

    page.goto(f"{live_url}/leads/{zoe.id}")
    assert "Marketing is not allowed now." in page.locator("#marketing-panel").inner_text()
    page.evaluate("window.stillTheSamePage = true")  # a full reload would lose it; htmx swaps keep it
    page.click("text=Record consent given or withdrawn")
    page.select_option("#consent-method", "email_reply")
    page.fill("#consent-evidence", "Replied “yes please” to our follow-up of 20 November (sales@ mailbox)")
    page.click("#consent-panel button[type=submit]")
    page.locator("#consent-panel .consent-granted").first.wait_for()
    assert (
        "Recorded: consent given for information updates and marketing." in page.locator("#consent-panel").inner_text()
    )
    assert (
        "Allowed: relies on marketing consent given on 25 November 2026"
        in page.locator("#marketing-panel").inner_text()
    )

    page.select_option("#add-list-id", label="RADNAC 3.0 launch")
    page.click("#marketing-panel button:has-text('Add to list')")
    page.locator("#marketing-panel", has_text="Added to RADNAC 3.0 launch.").wait_for()
    assert page.locator("#marketing-panel a", has_text="RADNAC 3.0 launch").is_visible()
    assert page.evaluate("window.stillTheSamePage") is True
    shoot(page, "marketing-lead-consent-and-list")

    page.goto(f"{live_url}/leads")
    page.check(f"input[name=lead_id][value='{zoe.id}']")
    page.check(f"input[name=lead_id][value='{nadia.id}']")
    page.click("#bulk-add button[type=submit]")
    result = page.locator("#bulk-result", has_text="Refused 1:")
    result.wait_for()
    text = result.inner_text()
    assert "Added 0 to “RADNAC 3.0 launch”. 1 already on it." in text
    assert re.search(r"Nadia Never \(p\d+@x\.example, Contoso\): There is no marketing consent on record", text)
    shoot(page, "marketing-bulk-add")

    page.click("text=Marketing lists")
    page.click("text=RADNAC 3.0 launch")
    assert "Zoë Müller" in page.locator("table.grid").inner_text()
    shoot(page, "marketing-list")


def test_bulk_add_works_without_javascript(live_url, browser, session, make_user):
    lead = make_lead(session, 1, first_name="Nadia", last_name="Never")
    make_list(session, "RADNAC 3.0 launch")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()  # a page without JavaScript
    log_in(page, live_url, make_user("sales").email)
    page.check(f"input[name=lead_id][value='{lead.id}']")
    page.click("#bulk-add button[type=submit]")
    assert page.url == f"{live_url}/marketing/lists/add"
    assert re.search(
        r"Nadia Never \(p\d+@x\.example, Contoso\): There is no marketing consent",
        page.locator("#bulk-result").inner_text(),
    )
    context.close()
