"""The person's letter in Chromium: previewed on the request page, and as the person sees it on screen
(1440 px) and printed, for a person we hold much about and one we hold nothing about (test-artifacts/)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from leads.rights import actions, letters
from tests.browser import log_in, open_page, shoot, sqlite_database_url, watch_console
from tests.factories import PINNED_NOW, ada_in_full, nobody

pytestmark = pytest.mark.browser
database_url = pytest.fixture(sqlite_database_url)


def test_staff_preview_the_letter_on_the_request_page(live_url, page, session, make_user):
    request, _, actor = ada_in_full(session, make_user)
    errors = watch_console(page)
    log_in(page, live_url, actor.email)
    page.goto(f"{live_url}/rights/{request.id}")
    page.click("#request-actions summary:has-text('Preview the letter in the access export')")
    letter = page.frame_locator("#request-actions iframe[title='The letter in the access export']")
    expect(letter.locator("h1")).to_have_text("The information we hold about you")
    expect(letter.locator("body")).to_contain_text("as Microsoft sent them when you asked us to contact you")
    shoot(page, "letter-preview-on-request-page")
    # The letter has no script; under `make test-any-date` Playwright's clock injects one into every frame,
    # which the letter's sandbox rightly blocks. Anything else in the console is an error of ours.
    assert [e for e in errors if "the document's frame is sandboxed" not in e] == []


@pytest.mark.parametrize("who", ["rich", "empty"])
def test_the_letters_on_screen_and_printed(browser, session, make_user, who):
    request = ada_in_full(session, make_user)[0] if who == "rich" else nobody(session, make_user)[0]
    for kind in ("access", "portability"):
        page = letters.render(
            kind=kind, person=actions.addressee(request), sections=actions.sections(session=session, request=request),
            now=PINNED_NOW,
        )  # fmt: skip
        tab = open_page(browser, width=1440, javascript=False)
        tab.set_content(page)
        expect(tab.locator("h1")).to_be_visible()
        shoot(tab, f"letter-{kind}-{who}-1440")
        tab.emulate_media(media="print")
        shoot(tab, f"letter-{kind}-{who}-print")
        tab.context.close()
