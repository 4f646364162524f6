"""The second factor in Chromium: enrolment by QR code under the CSP, recovery codes, then a log-in with a code."""

from __future__ import annotations

import pyotp
import pytest

from tests.browser import log_in, shoot, sqlite_database_url, watch_console
from tests.factories import PASSWORD, PINNED_NOW

pytestmark = pytest.mark.browser
database_url = pytest.fixture(sqlite_database_url)


def test_enrol_by_qr_code_then_log_in_with_a_code(live_url, page, make_user, clock):
    from datetime import timedelta

    user = make_user("sales")
    errors = watch_console(page)
    log_in(page, live_url, user.email)
    page.click(".whoami a.second-factor")
    page.wait_for_url(f"{live_url}/account/second-factor")
    page.click("text=Set it up")  # only a POST makes the secret (issue #18)
    assert page.locator("img.qr").evaluate("img => img.complete && img.naturalWidth > 100")  # the SVG drew
    shoot(page, "totp-enrol")
    secret = page.locator("#totp-secret").inner_text()
    page.fill("#code", pyotp.TOTP(secret).at(PINNED_NOW))
    page.click("button[type=submit].primary")
    assert page.locator("#recovery-codes li").count() == 10
    shoot(page, "totp-recovery-codes")
    page.click(".whoami button[type=submit]")
    page.wait_for_url(f"{live_url}/login")

    clock.now = PINNED_NOW + timedelta(seconds=30)
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_url}/login/code")
    page.fill("#code", pyotp.TOTP(secret).at(clock.now))
    shoot(page, "totp-code-step")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_url}/leads")
    assert errors == []
