"""Real Chromium: open a person from their lead, withdraw consent once, and see every lead of theirs refused.

Screenshots land in test-artifacts/ (git-ignored): look at them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.browser import log_in, shoot, sqlite_database_url
from tests.factories import PINNED_NOW
from tests.marketing_samples import give, make_lead

pytestmark = pytest.mark.browser
database_url = pytest.fixture(sqlite_database_url)


def test_withdrawing_consent_on_the_person_page_refuses_both_leads(live_url, page, session, make_user):
    first = make_lead(session, 40, first_name="Ada", last_name="Lovelace", email="Ada@X.example")
    second = make_lead(session, 2, first_name="Ada", last_name="Lovelace", email="ada@x.example")
    give(session, first, at=PINNED_NOW - timedelta(days=3))
    log_in(page, live_url, make_user("sales", "sam.sales@radnac.example").email)

    page.goto(f"{live_url}/leads/{second.id}")
    assert "Allowed" in page.locator("#marketing-panel").inner_text()  # the consent given on the other lead
    page.click("#person-card a")
    page.wait_for_url(f"{live_url}/people/{first.person_id}")
    assert page.locator("#person-leads li").count() == 2
    page.click("text=Record consent given or withdrawn, for all their leads")
    # Each record above has its own (closed) correction form with the same fields: use the recording form's.
    record = page.locator("#person-consent details", has_text="Record consent given or withdrawn, for all their leads")
    record.locator("input[name=decision][value=withdrawn]").check()
    page.select_option("#consent-method", "email_reply")
    page.fill("#consent-evidence", "Replied “please stop” to the newsletter (sales@ mailbox)")
    record.locator("button[type=submit]").click()
    page.locator("#person-consent .consent-withdrawn").first.wait_for()
    decisions = page.locator("#person-marketing li")
    assert decisions.count() == 2
    for n in range(2):
        assert "Refused. Marketing consent was withdrawn on 25 November 2026" in decisions.nth(n).inner_text()
    shoot(page, "person-withdrawn-both-leads-refused")
    page.goto(f"{live_url}/leads/{first.id}")
    assert "withdrawn on 25 November 2026" in page.locator("#marketing-panel").inner_text()
