"""A support engineer opens a grant on the customer's written consent, logs a message and closes the request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from leads.grants import plans
from tests.browser import WIDTHS, log_in, open_page, page_width, shoot, sqlite_database_url
from tests.factories import PINNED_NOW, add_installation, open_grant

pytestmark = pytest.mark.browser
database_url = pytest.fixture(sqlite_database_url)


def test_open_a_grant_log_a_message_and_close_the_request(live_url, page, session, make_user):
    installation = add_installation(session, None, "contoso-radnac")
    installation.plan_name = "radnac-managed"
    session.add(installation)
    session.commit()
    plans.set_model(session=session, plan_name="radnac-managed", model="publisher_managed", actor="t", now=PINNED_NOW)
    user = make_user("support")
    log_in(page, live_url, user.email)

    page.goto(f"{live_url}/installations/{installation.id}")
    page.click("text=Open a grant with the customer's written consent")
    page.fill("#support_request_ref", "SR-3141")
    page.fill("#consent_given_by", "Priya Shah, IT lead at Contoso")
    page.fill("#consent_given_at", "2026-11-24T16:00")
    page.fill(
        "#consent_evidence", "Email of 24 Nov 16:00: 'Yes, please access our deployment to fix the RADIUS issue.'"
    )
    page.click("button:has-text('Open grant')")
    page.wait_for_url(f"{live_url}/grants/*")
    # 10 days from the consent (24 Nov 16:00), not from opening the grant (25 Nov 09:30).
    assert page.locator("#grant-status .countdown").inner_text() == "9 days 6 hours"

    page.select_option("#direction", "out")
    page.fill("#summary", "Asked for the RADIUS server log")
    page.click("button:has-text('Log message')")
    assert page.locator(".flash").inner_text().startswith("Message logged")
    page.fill("#description", "radius.log, 3 MB")
    page.click("button:has-text('Record')")
    assert page.locator("text=radius.log, 3 MB").is_visible()
    shoot(page, "grant-open")

    page.check("#confirm")  # closing destroys what is held: it waits for a tick (issue #31)
    page.click("button:has-text('Close the support request')")
    assert "support request closed" in page.locator("#grant-status").inner_text()
    assert page.locator("text=radius.log, 3 MB").count() == 0
    assert page.locator("text=Destroyed when the grant lapsed").count() == 2
    shoot(page, "grant-lapsed")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_grants_times_are_typed_and_shown_in_uk_time(width, live_url, browser, session, make_user, clock):
    """Issue #19, 10: a summer morning's consent typed as the office clock showed it, shown back with BST."""
    clock.now = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)  # 10:30 BST
    installation = add_installation(session, None, "fabrikam-radnac")
    installation.plan_name = "radnac-managed"
    session.add(installation)
    session.commit()
    plans.set_model(session=session, plan_name="radnac-managed", model="publisher_managed", actor="t", now=clock.now)
    # A browser set up as in the office (UK locale and zone), its clock at the server's.
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB", timezone_id="Europe/London")
    page = context.new_page()
    page.clock.install(time=clock.now.timestamp())
    log_in(page, live_url, make_user("support").email)

    page.goto(f"{live_url}/installations/{installation.id}/grants/new")
    expect(page.locator("label[for=consent_given_at]")).to_have_text("Consent given at (UK time, dd/mm/yyyy hh:mm)")
    page.fill("#support_request_ref", "SR-2718")
    page.fill("#consent_given_by", "Ana Silva, IT lead at Fabrikam")
    page.fill("#consent_given_at", "01/07/2026 10:15")  # 09:15 UTC: a quarter of an hour ago
    page.fill("#consent_evidence", "Email of 1 Jul 10:15: 'Yes, please look at our deployment.'")
    page.click("button:has-text('Open grant')")
    page.wait_for_url(f"{live_url}/grants/*")
    status = page.locator("#grant-status")
    expect(status).to_contain_text("Consent given01 Jul 2026 10:15 BST")
    expect(status).to_contain_text("Opened01 Jul 2026 10:30 BST")
    expect(page.locator("#grant-lapse-at")).to_contain_text("11 Jul 2026 10:15 BST")
    expect(page.locator("#grant-status .countdown")).to_contain_text("9 days 23 hours")
    expect(page.locator("label[for=at]")).to_have_text("Sent or received at (UK time, dd/mm/yyyy hh:mm)")
    assert page.locator("#at").input_value() == "01/07/2026 10:30"  # the office clock, not UTC

    page.fill("#summary", "Asked for the RADIUS log")
    page.fill("#at", "01/07/2026 10:20")
    page.click("button:has-text('Log message')")
    expect(page.locator(".timeline time").first).to_have_text("01 Jul 2026 10:20 BST")
    assert page_width(page)[0] <= page_width(page)[1]  # nothing scrolls sideways
    shoot(page, f"grant-uk-time-{width}")

    page.goto(f"{live_url}/grants")
    expect(page.locator("table.grid tbody tr").first).to_contain_text("01 Jul 2026 10:20 BST")
    shoot(page, f"grants-list-uk-time-{width}")
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_refused_message_keeps_what_was_typed_and_focuses_the_field(width, live_url, browser, session, make_user):
    """Issue #31: the message form, below the fold, refused for its empty summary keeps the direction and time
    typed and puts the focus (scrolled into view) on the summary, with why beside it."""
    installation = add_installation(session, None, "northwind-radnac")
    installation.plan_name = "radnac-managed"
    session.add(installation)
    session.commit()
    plans.set_model(session=session, plan_name="radnac-managed", model="publisher_managed", actor="t", now=PINNED_NOW)
    user = make_user("support")
    grant = open_grant(session, installation, user, now=PINNED_NOW)
    page = open_page(browser, width=width)
    log_in(page, live_url, user.email)
    page.set_viewport_size({"width": width, "height": 500})
    page.goto(f"{live_url}/grants/{grant.id}")
    page.select_option("#direction", "out")
    page.fill("#at", "2026-11-24T15:45")
    page.click("button:has-text('Log message')")
    page.wait_for_load_state()
    expect(page.locator("#direction")).to_have_value("out")
    expect(page.locator("#at")).to_have_value("2026-11-24T15:45")
    expect(page.locator("#summary")).to_be_focused()
    expect(page.locator("#summary")).to_be_in_viewport()
    expect(page.locator("#summary-error")).to_be_visible()
    shoot(page, f"grant-message-refused-{width}")
    page.context.close()


def test_an_over_long_support_reference_is_refused_with_a_reason_not_cut(live_url, page, session, make_user):
    """Issue #31: a 700-character reference pasted into the form is kept whole and refused with why, rather than
    cut to 100 characters by the browser without a word."""
    installation = add_installation(session, None, "northwind-radnac")
    installation.plan_name = "radnac-managed"
    session.add(installation)
    session.commit()
    plans.set_model(session=session, plan_name="radnac-managed", model="publisher_managed", actor="t", now=PINNED_NOW)
    log_in(page, live_url, make_user("support").email)
    page.goto(f"{live_url}/installations/{installation.id}/grants/new")
    reference = "SR-4242 " + "x" * 692
    expect(page.locator("#support_request_ref")).to_have_attribute("maxlength", "100")  # typing stops there
    page.fill("#support_request_ref", reference)  # one insertion, as a paste: let in whole (static/app.js)
    page.fill("#consent_given_by", "Priya Shah, IT lead at Northwind")
    page.fill("#consent_given_at", "2026-11-24T16:00")
    page.fill("#consent_evidence", "Email of 24 Nov 16:00: 'Yes, please look.'")
    page.click("button:has-text('Open grant')")
    expect(page.locator("#support_request_ref-error")).to_contain_text("100 characters")
    expect(page.locator("#support_request_ref")).to_have_value(reference)  # all of it, to shorten by hand
    assert "/grants/new" in page.url


@pytest.mark.parametrize("width", WIDTHS)
def test_closing_asks_for_a_tick_and_the_list_says_whose_grant(width, live_url, browser, session, make_user):
    """Issue #31: the close form says what goes and waits for its box (a browser-required checkbox too);
    the list names the installation. Both fit the width without sideways scroll."""
    installation = add_installation(session, None, "tailspin-radnac")
    installation.plan_name = "radnac-managed"
    session.add(installation)
    session.commit()
    plans.set_model(session=session, plan_name="radnac-managed", model="publisher_managed", actor="t", now=PINNED_NOW)
    user = make_user("support")
    grant = open_grant(session, installation, user)
    page = open_page(browser, width=width)
    log_in(page, live_url, user.email)
    page.goto(f"{live_url}/grants")
    expect(page.locator("table.grid tbody tr").first).to_contain_text("tailspin-radnac")
    assert page_width(page)[0] <= page_width(page)[1]
    shoot(page, f"grants-list-{width}")
    page.goto(f"{live_url}/grants/{grant.id}")
    page.click("button:has-text('Close the support request')")  # not ticked: the browser holds it back
    expect(page.locator("#grant-status")).not_to_contain_text("support request closed")
    expect(page.locator("#grant-status")).to_contain_text("This cannot be undone.")
    assert page_width(page)[0] <= page_width(page)[1]
    shoot(page, f"grant-close-confirm-{width}")
    page.context.close()
