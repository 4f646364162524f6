"""A rights request in the browser: register it, confirm the person's lead, erase, and the lead is gone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import log_in, shoot, sqlite_database_url

pytestmark = pytest.mark.browser
database_url = pytest.fixture(sqlite_database_url)


def test_register_a_request_erase_the_person_and_the_lead_is_gone(live_url, page, session, make_user, demo_data):
    log_in(page, live_url, make_user("support").email)
    page.goto(f"{live_url}/leads?q=noah")
    lead_link = page.locator("#leads-table tbody tr td.name a").first
    name = lead_link.inner_text()
    lead_link.click()
    email = page.locator("dt:has-text('Email') + dd").inner_text()

    page.click("nav >> text=Rights")
    page.click("text=Register a request")
    page.select_option("#kind", "erasure")
    page.fill("#requester_name", name)
    page.fill("#requester_email", email.upper())
    page.select_option("#channel", "email")
    page.fill("#received_on", "2026-11-24")
    page.fill("#details", "Please delete everything you hold about me.")
    page.click("button:has-text('Register')")
    expect(page.locator("#request-deadline")).to_contain_text("Due Thursday 24 December 2026")
    expect(page.locator("#request-advice")).to_contain_text("Applies")
    expect(page.locator("#request-steps")).not_to_contain_text("Proof of identity arrived")  # not asked for yet
    expect(page.locator("#request-actions")).to_contain_text("Verify the person")
    page.click("#request-leads button:has-text('Confirm it is theirs')")
    expect(page.locator("#request-leads")).to_contain_text(name)
    page.click("form[action$='/step/ask-identity'] button:has-text('Save')")
    expect(page.locator("#request-deadline")).to_contain_text("Clock stopped")
    page.click("form[action$='/step/identity-received'] button:has-text('Save')")  # arrived today, 25 Nov
    expect(page.locator("#request-deadline")).to_contain_text(
        "Due Tuesday 29 December 2026"
    )  # 25-28 Dec: holidays, weekend
    shoot(page, "rights-request")

    page.click("#request-actions a:has-text('Erase everything')")
    expect(page.locator("#erase-confirm")).to_contain_text("This destroys 1 lead")
    expect(page.locator("#erase-confirm")).to_contain_text(name)
    shoot(page, "rights-erase-confirm")
    page.click("#erase-confirm button:has-text('Erase')")
    expect(page.locator(".flash")).to_contain_text("Erased 1 lead")
    history = page.locator("#request-history")
    for step in ("Request registered", "Lead confirmed", "Proof of identity asked for", "Proof of identity arrived"):
        expect(history).to_contain_text(step)
    expect(history).to_contain_text("Erasure carried out")
    shoot(page, "rights-erased-history")
    page.goto(f"{live_url}/leads?q={email}")
    expect(page.locator("#leads-table")).to_contain_text("No leads match")
