"""Real Chromium with JavaScript off, on both databases, against a real SMTP server on loopback: the person's own
privacy page. Screenshots land in test-artifacts/ (git-ignored): look at them.
"""

from __future__ import annotations

import re
import zipfile
from datetime import timedelta
from pathlib import Path

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


def _download_code(page, inbox, email: str) -> str:
    """Ask for a code on the download page: the answer comes after the mail server took the email."""
    before = len(inbox.to(email))
    with page.expect_navigation():
        page.click("button:has-text('Email me')")
    assert len(inbox.to(email)) == before + 1 and "We have emailed you a code" in page.inner_text("main")
    return _code(inbox, email)


def _download(page, code: str):
    page.fill("#code", code)
    with page.expect_download() as started:
        page.click("button:has-text('Download')")
    return zipfile.ZipFile(started.value.path())


def test_an_access_request_made_on_the_page_is_completed_by_staff_and_downloaded_with_a_fresh_code(
    app, live_url, browser, session, clock, smtp_server, make_user
):
    app.config.update(PRIVACY_PAGE=True, MAIL_URL=smtp_server.url, PUBLIC_URL=live_url)
    make_lead(session, 1, email="ada@x.example")
    person = open_page(browser, width=820, javascript=False)
    _ask_code(person, live_url, "ada@x.example")
    used = _code(smtp_server, "ada@x.example")
    person.fill("#code", used)
    person.click("button:has-text('Continue')")
    person.select_option("#kind", "access")
    person.click("button:has-text('Send the request')")
    assert "received today" in person.inner_text("main")
    (made,) = session.exec(select(RightsRequest)).all()

    staff = open_page(browser, width=1440)
    log_in(staff, live_url, make_user("support").email)
    staff.goto(f"{live_url}/rights")
    row = " ".join(staff.locator("tr", has_text="ada@x.example").inner_text().split())
    # Received on the pinned day (Wed 25 Nov 2026); due a month later, moved past Christmas Day and the
    # Boxing Day holiday (Mon 28 Dec, Saturday's substitute) to the next working day.
    assert "25 Nov 2026" in row and "Privacy page" in row and "Tue 29 Dec 2026" in row, row
    assert made.received_on == uktime.today(clock.now)
    staff.goto(f"{live_url}/rights/{made.id}")
    staff.click("button:has-text('Confirm it is theirs')")
    staff.fill("#close-text", "Your access export is ready to download.")
    staff.check("#close-confirm")
    staff.click("#close-request button[type=submit]")
    staff.locator("text=emailed a link to download it").wait_for()
    shoot(staff, "privacy-delivery-staff")
    staff.context.close()

    letter = smtp_server.to("ada@x.example")[-1].get_content()
    link = re.search(r"(http://\S+/privacy/download/\S+)", letter).group(1)
    assert "09:30 on Wednesday 2 December 2026 (UK time)" in letter and "3 downloads" in letter
    person.goto(link)
    person.fill("#code", used)  # the code the page sent earlier: used, so refused
    person.click("button:has-text('Download')")
    assert "wrong or has expired" in person.inner_text("main")
    expired = _download_code(person, smtp_server, "ada@x.example")
    clock.now = clock.now + timedelta(minutes=16)
    person.fill("#code", expired)
    person.click("button:has-text('Download')")
    assert "wrong or has expired" in person.inner_text("main")
    shoot(person, "privacy-download-refused")
    for _ in range(3):
        bundle = _download(person, _download_code(person, smtp_server, "ada@x.example"))
        assert {"letter.html", "person.json", "manifest.json"} <= set(bundle.namelist())
    person.goto(link)
    assert "This link no longer works" in person.inner_text("main")
    shoot(person, "privacy-download-gone")
    assert list(Path(app.config["EXPORT_CACHE"]).iterdir()) == []  # the prepared file is gone from the cache
    person.context.close()
