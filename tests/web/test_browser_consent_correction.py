"""Real Chromium, JavaScript off: a consent record entered with the wrong date is corrected on the lead's page; the
original stays in the history, struck through and saying who corrected it, when and why, and the right one is
current (issue #31). Screenshots at 1440 and 820 px land in test-artifacts/ (git-ignored): look at them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from leads.models import ConsentRecord
from tests.browser import WIDTHS, log_in, open_page, page_width, shoot, sqlite_database_url
from tests.factories import PINNED_NOW
from tests.marketing_samples import give, make_lead

pytestmark = pytest.mark.browser
database_url = pytest.fixture(sqlite_database_url)


def test_a_wrong_date_is_corrected_without_javascript_and_the_original_stays_marked(
    live_url, browser, session, make_user
):
    zoe = make_lead(session, 1, first_name="Zoë", last_name="Müller")
    wrong = give(session, zoe, at=PINNED_NOW - timedelta(days=40))  # 16 October, typed for 16 November
    sam = make_user("sales", "sam.sales@radnac.example")
    page = open_page(browser, width=1440, javascript=False)
    log_in(page, live_url, sam.email)
    page.goto(f"{live_url}/leads/{zoe.id}")
    entry = page.locator(f"#consent-record-{wrong.id}")
    entry.locator("summary", has_text="Correct this record").click()
    form = entry.locator("form")
    assert form.locator(f"#fix{wrong.id}-at").input_value() == "16/10/2026 10:30"  # starts from the record (BST)

    form.locator(f"#fix{wrong.id}-at").fill("16/11/2026 09:30")
    form.locator(f"#fix{wrong.id}-replace").check()
    form.locator("button", has_text="Correct").click()  # no reason given: refused, nothing typed lost
    entry = page.locator(f"#consent-record-{wrong.id}")
    assert "Say why the record is wrong" in entry.inner_text()
    assert entry.locator(f"#fix{wrong.id}-at").input_value() == "16/11/2026 09:30"
    assert entry.locator(f"#fix{wrong.id}-replace").is_checked()
    assert entry.locator(f"#fix{wrong.id}-reason").get_attribute("aria-invalid") == "true"

    entry.locator(f"#fix{wrong.id}-reason").fill("Typed October for November: their email is of 16 November")
    entry.locator("button", has_text="Correct").click()
    page.wait_for_url(f"{live_url}/leads/{zoe.id}")
    assert "Corrected: the record stays in the history" in page.inner_text("main")

    session.expire_all()
    right = session.exec(select(ConsentRecord).where(ConsentRecord.id != wrong.id)).one()
    original = page.locator(f"#consent-record-{wrong.id}")
    said = original.locator(".correction").inner_text()
    assert said == (
        "Entered in error. Corrected on 25 Nov 2026 09:30 GMT by sam.sales@radnac.example: "
        "Typed October for November: their email is of 16 November"
    )
    struck = original.locator(".entry").evaluate("e => getComputedStyle(e).textDecorationLine")
    assert struck == "line-through"
    assert original.locator("summary").count() == 0  # corrected once; its replacement can be corrected instead
    current = page.locator(f"#consent-record-{right.id}")
    assert "superseded" not in (current.get_attribute("class") or "")
    assert "16 Nov 2026 09:30 GMT" in current.locator(".entry time").inner_text()
    activity = page.locator("main").inner_text()
    assert "Consent given: Information updates and marketing (entered in error, corrected)" in activity
    marketing = page.locator("#consent-panel dt:has-text('marketing') + dd").inner_text()
    assert marketing == "Granted since 16 Nov 2026 09:30 GMT"
    page.context.close()

    for width in WIDTHS:
        tab = open_page(browser, width=width, javascript=False)
        log_in(tab, live_url, sam.email)
        tab.goto(f"{live_url}/leads/{zoe.id}")
        tab.locator(f"#consent-record-{right.id} summary").click()  # the form too, as staff would see it open
        tab.locator("#consent-panel").scroll_into_view_if_needed()
        edge = tab.locator("#consent-panel").evaluate("e => e.getBoundingClientRect().right")
        controls = tab.locator(f"#consent-record-{right.id} form").locator("input, select, textarea, p, fieldset")
        rights = controls.evaluate_all("all => all.map(e => e.getBoundingClientRect().right)")
        assert max(rights) <= edge, f"{width}px: the correction form sticks out of its card"
        scroll, view = page_width(tab)
        assert scroll <= view, f"{width}px: the page scrolls sideways ({scroll} > {view})"
        shoot(tab, f"consent-correction-{width}")
        tab.context.close()
