"""A support engineer opens a grant on the customer's written consent, logs a message and closes the request."""

from __future__ import annotations

import pytest

from leads.grants import plans
from tests.browser import log_in, shoot, sqlite_database_url
from tests.conftest import PINNED_NOW
from tests.retention.test_sweeper import add_installation

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

    page.click("button:has-text('Close the support request')")
    assert "support request closed" in page.locator("#grant-status").inner_text()
    assert page.locator("text=radius.log, 3 MB").count() == 0
    assert page.locator("text=Destroyed when the grant lapsed").count() == 2
    shoot(page, "grant-lapsed")
