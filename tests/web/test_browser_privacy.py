"""Real Chromium with JavaScript off, on both databases, against a real SMTP server on loopback: the person's own
privacy page. Screenshots land in test-artifacts/ (git-ignored): look at them.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from leads.models import RequestStep, RightsRequest
from leads.rules import uktime
from tests.browser import log_in, open_page, shoot
from tests.marketing_samples import give, make_lead

pytestmark = pytest.mark.browser


def _ask_code(page, live_url: str, email: str) -> str:
    page.goto(f"{live_url}/privacy")
    page.fill("#email", email)
    page.click("button:has-text('Email me a code')")
    page.locator("h1:has-text('Type the code')").wait_for()
    # The stylesheet may still be revalidating when the heading is parsed (it was, under a moved clock), and
    # inner_text follows the layout: compare the words once the page has loaded, not its line breaks.
    page.wait_for_load_state("load")
    return " ".join(page.inner_text("main").split())


def _code(inbox, email: str) -> str:
    return re.search(r"\b(\d{6})\b", inbox.to(email)[-1].get_content()).group(1)


def test_a_person_withdraws_marketing_for_both_leads_and_makes_an_access_request(
    app, live_url, browser, session, clock, smtp_server, make_user
):
    app.config.update(PRIVACY_PAGE=True, MAIL_URL=smtp_server.url)
    first, second = make_lead(session, 1, email="ada@x.example"), make_lead(session, 2, email="ada@x.example")
    give(session, first)
    page = open_page(browser, width=820, javascript=False)

    stranger_answer = _ask_code(page, live_url, "eve@x.example")
    known_answer = _ask_code(page, live_url, "ada@x.example")
    assert stranger_answer == known_answer  # the page says nothing about who we know
    page.fill("#code", "000000" if _code(smtp_server, "ada@x.example") != "000000" else "111111")
    page.click("button:has-text('Continue')")
    assert "wrong or has expired" in page.inner_text("main")
    page.fill("#code", _code(smtp_server, "ada@x.example"))
    page.click("button:has-text('Continue')")
    page.locator("h1:has-text('Your choices')").wait_for()
    shoot(page, "privacy-mine")
    page.click("button:has-text('Withdraw consent for information updates and marketing')")
    assert "we have stopped" in page.inner_text("main")

    page.select_option("#kind", "access")
    page.click("button:has-text('Send the request')")
    assert "received today" in page.inner_text("main")
    shoot(page, "privacy-request")
    (made,) = session.exec(select(RightsRequest)).all()
    assert (made.source, made.received_on) == ("privacy_page", uktime.today(clock.now)) and made.due_on
    steps = [s.step for s in session.exec(select(RequestStep).where(RequestStep.request_id == made.id))]
    assert "identity.emailed_code" in steps
    page.context.close()

    staff = open_page(browser, width=1440)
    log_in(staff, live_url, make_user("admin").email)
    for lead in (first, second):  # both refused on the marketing panel at once
        staff.goto(f"{live_url}/leads/{lead.id}")
        assert "Marketing is not allowed now." in staff.inner_text("main")
    staff.goto(f"{live_url}/rights/{made.id}")
    detail = staff.inner_text("main")
    assert "privacy page" in detail and "Identity verified by a one-time code emailed" in detail
    shoot(staff, "privacy-request-staff")
    staff.context.close()
