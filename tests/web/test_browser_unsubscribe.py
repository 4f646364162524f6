"""Real Chromium with JavaScript off: the unsubscribe link in an email the app sent through a real SMTP server.

Screenshots land in test-artifacts/ (git-ignored): look at them.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from leads.consent import mailer, mailings, marketing, sending
from leads.models import ConsentRecord
from tests.browser import open_page, shoot, sqlite_database_url
from tests.marketing_samples import give, make_lead, make_list

pytestmark = pytest.mark.browser
database_url = pytest.fixture(sqlite_database_url)


def test_the_link_in_the_email_unsubscribes_with_one_button_and_no_javascript(live_url, browser, session, clock,
                                                                               smtp_server):  # fmt: skip
    zoe = make_lead(session, 1, first_name="Zoë")
    give(session, zoe)
    target = make_list(session)
    marketing.add_to_list(session=session, list_id=target.id, lead_ids=[zoe.id], actor="system:test", now=clock.now)
    mailing = mailings.create(session=session, list_id=target.id, subject="News for {first_name}",
                              body="Hello {first_name}", actor="system:test", now=clock.now)  # fmt: skip
    mailings.queue(session=session, mailing_id=mailing.id, actor="system:test", now=clock.now)
    with mailer.Transport(mailer.parse_url(smtp_server.url)) as transport:
        sender = sending.Sender(transport, "RADNAC <m@radnac.example>", None, live_url, None, "test-secret")
        sending.send_due(session=session, sender=sender, clock=clock)
    (email,) = smtp_server.messages
    link = re.search(r'href="([^"]+/unsubscribe/[^"]+)"', email.get_body(("html",)).get_content()).group(1)

    page = open_page(browser, width=820, javascript=False)
    page.goto(link)  # what a link scanner does too: nothing is recorded by looking
    assert session.exec(select(ConsentRecord).where(ConsentRecord.granted == False)).all() == []  # noqa: E712
    shoot(page, "unsubscribe-confirm")
    page.click("button:has-text('Unsubscribe')")
    page.locator("h1:has-text('You are unsubscribed')").wait_for()
    shoot(page, "unsubscribe-done")
    (withdrawal,) = session.exec(select(ConsentRecord).where(ConsentRecord.granted == False)).all()  # noqa: E712
    assert withdrawal.person_id == zoe.person_id and withdrawal.method == "unsubscribe_link"
    page.goto(link)
    assert "already been used" in page.inner_text("main")
    page.context.close()
