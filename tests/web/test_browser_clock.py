"""Countdowns tick from the server's clock, not the browser's (issue #27, 1).

The page carries the server's time; static/countdown.js keeps the offset between it and the browser's clock.
A PC whose clock is wrong, and a test whose server clock is pinned, both show the server's countdown.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from leads.grants import grants, plans
from tests.browser import log_in, shoot, sqlite_database_url
from tests.factories import PINNED_NOW, add_installation

pytestmark = pytest.mark.browser
database_url = pytest.fixture(sqlite_database_url)

# The grant lapses 10 days after its consent: given 8 days 18 hours 30 minutes before the server's now, it has 1 day
# 5 hours 30 minutes left, inside the last two days that the script ticks second by second.
CONSENT_AGE = timedelta(days=8, hours=18, minutes=30)
SERVER_SAYS = "1 day 5 hours"


def _grant_lapsing_tomorrow(session, make_user):
    installation = add_installation(session, None, "clock-radnac")
    installation.plan_name = "radnac-managed"
    session.add(installation)
    session.commit()
    plans.set_model(session=session, plan_name="radnac-managed", model="publisher_managed", actor="t", now=PINNED_NOW)
    user = make_user("support")
    return user, grants.open_grant(
        session=session,
        installation_id=installation.id,
        support_request_ref="SR-1",
        consent_given_by="Priya Shah",
        consent_given_at=PINNED_NOW - CONSENT_AGE,
        consent_evidence="Email: 'yes, please look'",
        actor=user,
        now=PINNED_NOW,
    )


@pytest.mark.parametrize(
    "browser_off_by",
    [timedelta(days=548), timedelta(days=-365), timedelta(hours=1), timedelta(0)],
    ids=["browser-18-months-ahead", "browser-a-year-behind", "browser-an-hour-ahead", "browser-right"],
)
def test_the_countdown_ticks_from_the_servers_clock(browser_off_by, live_url, browser, session, make_user):
    user, grant = _grant_lapsing_tomorrow(session, make_user)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # The browser's clock runs (ticks advance it) from a time far from the server's pinned one.
    page.clock.install(time=(PINNED_NOW + browser_off_by).timestamp())
    log_in(page, live_url, user.email)
    page.goto(f"{live_url}/grants/{grant.id}")
    countdown = page.locator("#grant-status .countdown")
    # The script has ticked (it rewrites the text each second inside the last two days) ...
    page.clock.run_for(3_000)
    # ... and still says what the server says: 3 seconds later it is still "1 day 5 hours".
    expect(countdown).to_have_text(SERVER_SAYS)
    assert "countdown-due" not in (countdown.get_attribute("class") or "")
    shoot(page, f"countdown-{browser_off_by.days}d")
    context.close()


def test_the_page_carries_the_servers_time(client, auth):
    """The server's clock rides in a meta tag on every page, the script's only source of 'now'."""
    auth.login("support")
    html = client.get("/leads").get_data(as_text=True)
    assert f'<meta name="server-time" content="{PINNED_NOW.isoformat()}">' in html
