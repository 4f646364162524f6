"""The workspace in Chromium at 1440 and 820 px, with JavaScript on and off (issue #19).

Screenshots land in test-artifacts/ (git-ignored) so a person can look at what staff see.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from leads.models import AuditEvent, Lead
from tests.browser import WIDTHS, log_in, open_page, page_width, shoot, sqlite_database_url
from tests.factories import PASSWORD, PINNED_NOW

pytestmark = pytest.mark.browser
database_url = pytest.fixture(sqlite_database_url)
BOTH = [(w, js) for w in WIDTHS for js in (True, False)]


def _tag(width: int, javascript: bool) -> str:
    return f"{width}-{'js' if javascript else 'nojs'}"


@pytest.mark.parametrize(("width", "javascript"), BOTH)
def test_support_finds_the_failed_installs_and_why(live_url, browser, session, make_user, width, javascript, demo_data):
    page = open_page(browser, width=width, javascript=javascript)
    log_in(page, live_url, make_user("support").email)
    page.goto(f"{live_url}/")
    page.click("a.tile:has-text('needing help')")
    page.wait_for_url("**/installations?state=needs_help")
    expect(page.locator(".result-count")).to_have_text("60 installations match")
    assert page.locator("#installations-table .reason").count() == 20
    assert set(page.locator("#installations-table .state").all_inner_texts()) <= {
        "Install failed",
        "Uninstall blocked by an error",
    }
    shoot(page, f"installations-needs-help-{_tag(width, javascript)}")
    assert page_width(page)[0] <= page_width(page)[1]  # no sideways scroll

    page.click("a[rel=next]")
    page.wait_for_url("**start=21*")
    expect(page.locator(".pager-where").first).to_have_text("21-40 of 60")
    # The new page is shown from the top of the table, not its bottom (htmx scrolls once the swap settles, so
    # look a few times; wait_for_function would need eval, which the page's CSP rightly refuses).
    for _ in range(50):
        table_top = page.evaluate("document.getElementById('installations-table').getBoundingClientRect().top")
        if -2 <= table_top <= 60:
            break
        page.wait_for_timeout(100)
    assert -2 <= table_top <= 60

    page.select_option("#f-state", "")
    page.select_option("#f-plan", "radnac-managed")
    if not javascript:
        page.click("button:has-text('Apply')")
    page.wait_for_url("**plan=radnac-managed*")
    expect(page.locator(".result-count")).to_contain_text("match")
    assert set(page.locator("#installations-table tbody td:nth-child(3)").all_inner_texts()) <= {
        "radnac-managed 2.4.1",
        "radnac-managed 2.5.0",
    }
    page.fill("#q", "rg-radnac-0007")
    if javascript:
        page.wait_for_url("**q=rg-radnac-0007*")
    else:
        page.click("button:has-text('Apply')")
    expect(page.locator(".result-count")).to_have_text("1 installation match")
    code = page.locator("#installations-table .long-id code").first
    assert code.get_attribute("title") and code.evaluate("e => e.scrollWidth > e.clientWidth")  # cut, full on hover
    assert page.locator("button.copy").first.is_visible() == javascript
    shoot(page, f"installations-search-{_tag(width, javascript)}")
    page.context.close()


def _log_in_here(page, email: str) -> None:
    """Fill the login form the page is on (it carries ?next=), and wait to leave it."""
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.mark.parametrize("width", WIDTHS)
def test_saves_say_how_they_went_keep_focus_and_survive_an_ended_session(
    live_url, browser, session, make_user, width, demo_data
):
    user = make_user("sales")
    page = open_page(browser, width=width)
    log_in(page, live_url, user.email)
    page.goto(f"{live_url}/leads/1")
    page.select_option("#status", "qualified")
    page.click("#nurture-card form:has(#status) button")
    expect(page.locator("#nurture-card .save-status")).to_have_text("Status changed to qualified.")
    assert page.evaluate("document.activeElement.id") == "status"  # focus goes back to the control that changed
    shoot(page, f"lead-saved-{width}")

    # Every response refreshes the session cookie, static files too: one Chromium fetches after the page's
    # load (its favicon) would set it again after the clearing below. Wait for the network to go quiet.
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()  # the session ends (as when logging out in another tab)
    page.select_option("#status", "lost")
    page.click("#nurture-card form:has(#status) button")
    expect(page.locator("#nurture-card .save-status")).to_contain_text("Your session has ended")
    expect(page.locator("#status")).to_have_value("qualified")  # the select shows what the lead still has
    page.fill("#body", "Called: wants a demo next week")
    page.click("#lead-log button[type=submit]")
    status = page.locator("#lead-log .save-status")
    expect(status).to_contain_text("Your session has ended")
    shoot(page, f"lead-session-ended-{width}")
    status.locator("a", has_text="Log in again").click()
    _log_in_here(page, user.email)
    assert page.url.endswith("/leads/1")
    expect(page.locator("#body")).to_have_value("Called: wants a demo next week")  # what was typed is back
    page.click("#lead-log button[type=submit]")
    expect(page.locator("#lead-log .save-status")).to_have_text("Added to the log.")
    expect(page.locator("#lead-timeline .timeline")).to_contain_text("Called: wants a demo next week")
    page.reload()
    expect(page.locator("#body")).to_have_value("")  # saved, so the draft is gone
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_without_javascript_saves_are_confirmed_on_the_page_they_land_on(
    live_url, browser, session, make_user, width, demo_data
):
    page = open_page(browser, width=width, javascript=False)
    log_in(page, live_url, make_user("sales").email)
    page.goto(f"{live_url}/leads/1")
    page.select_option("#status", "contacted")
    page.click("#nurture-card form:has(#status) button")
    expect(page.locator(".flash-info")).to_have_text("Status changed to contacted.")
    page.wait_for_load_state("networkidle")  # no late response sets the session cookie again (see above)
    page.context.clear_cookies()
    page.fill("#body", "typed")
    page.click("#lead-log button[type=submit]")
    expect(page.locator("h1")).to_have_text("Your session has ended")
    shoot(page, f"session-ended-nojs-{width}")
    page.context.close()


@pytest.mark.parametrize(("width", "javascript"), BOTH)
def test_my_follow_ups_queue_from_the_dashboard_tile(
    live_url, browser, session, make_user, width, javascript, demo_data
):
    from datetime import timedelta

    from leads.models import LeadNote

    user = make_user("sales")
    for n, hours in enumerate((-50, -3, 6, 30)):
        session.add(
            LeadNote(
                lead_id=n + 1,
                kind="follow_up",
                body=f"Ring back ({hours}h)",
                at=PINNED_NOW - timedelta(days=3),
                author=user.email,
                follow_up_on=PINNED_NOW + timedelta(hours=hours),
            )
        )
    session.commit()
    page = open_page(browser, width=width, javascript=javascript)
    log_in(page, live_url, user.email)
    page.goto(f"{live_url}/")
    tile = page.locator("a.tile", has_text="of your follow-ups overdue")
    expect(tile).to_contain_text("2 of your follow-ups overdue, 1 due by this time tomorrow")
    tile.click()
    page.wait_for_url("**/follow-ups")
    expect(page.locator("#followups-table tbody tr")).to_have_count(4)  # everything open, overdue first
    expect(page.locator("#followups-table tbody tr").first).to_contain_text("Ring back (-50h)")
    expect(page.locator("nav.tabs a")).to_have_text(["Open (4)", "Overdue (2)", "Due (2)", "Done (0)"])
    assert page_width(page)[0] <= page_width(page)[1]
    shoot(page, f"follow-ups-{_tag(width, javascript)}")
    page.locator("#followups-table tbody tr").first.get_by_role("button", name="Mark the follow-up").click()
    expect(page.locator("#followups-table tbody tr")).to_have_count(3)
    expect(page.locator(".save-status" if javascript else ".flash-info")).to_have_text("Marked done.")
    page.click("nav.tabs >> text=Done")
    expect(page.locator("#followups-table tbody tr")).to_have_count(1)
    expect(page.locator("#followups-table")).to_contain_text("Ring back (-50h)")
    page.context.close()


@pytest.mark.parametrize(("width", "javascript"), BOTH)
def test_support_links_an_installation_to_a_lead_by_hand(
    live_url, browser, session, make_user, width, javascript, demo_data
):
    from sqlmodel import select

    from leads.models import Installation, Lead

    installation = session.exec(select(Installation).where(Installation.lead_id.is_(None))).first()
    lead = session.get(Lead, 9)
    page = open_page(browser, width=width, javascript=javascript)
    log_in(page, live_url, make_user("support").email)
    page.goto(f"{live_url}/installations/{installation.id}")
    page.fill("#lead_q", lead.email)
    if not javascript:
        page.click("#installation-lead button:has-text('Search')")
    candidate = page.locator("#installation-lead .link-candidate", has_text=lead.display_name)
    expect(candidate).to_have_count(1)
    shoot(page, f"installation-link-search-{_tag(width, javascript)}")
    assert page_width(page)[0] <= page_width(page)[1]
    candidate.get_by_role("button").click()
    expect(page.locator(".flash-info")).to_have_text("Linked.")
    expect(page.locator("#installation-lead")).to_contain_text(lead.display_name)
    expect(page.locator("#installation-lead")).to_contain_text("Undo link")
    page.context.close()


@pytest.mark.parametrize(("width", "javascript"), BOTH)
def test_a_leads_page_leads_with_its_controls_and_one_timeline(
    live_url, browser, session, make_user, width, javascript, demo_data
):
    page = open_page(browser, width=width, javascript=javascript)
    log_in(page, live_url, make_user("sales").email)
    page.goto(f"{live_url}/leads/3")
    for control in ("#status", "#body"):
        assert page.locator(control).bounding_box()["y"] < 700, control  # near the top, not under the page
    page.select_option("#status", "qualified")
    page.click("#nurture-card form:has(#status) button")
    expect(page.locator("#lead-timeline li").first).to_contain_text("Status changed")
    page.fill("#body", "Sent the pricing sheet")
    page.click("#lead-log button[type=submit]")
    first = page.locator("#lead-timeline li").first
    expect(first).to_contain_text("Sent the pricing sheet")
    expect(first).to_contain_text("GMT")
    assert page_width(page)[0] <= page_width(page)[1]
    shoot(page, f"lead-timeline-{_tag(width, javascript)}")
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_names_are_found_typed_without_accents(live_url, browser, session, make_user, width, demo_data):
    page = open_page(browser, width=width)
    log_in(page, live_url, make_user("sales").email)
    for typed, expected in (("lefevre", "Lefèvre"), ("jorgensen", "Jørgensen")):
        page.fill("#q", typed)
        page.wait_for_url(f"**q={typed}*")
        names = page.locator("#leads-table tbody td.name a").all_inner_texts()
        assert names and all(expected in name for name in names), names
    shoot(page, f"leads-folded-search-{width}")
    page.context.close()


PAGES = [
    "/",
    "/leads",
    "/leads/2",
    "/installations",
    "/installations/2",
    "/follow-ups",
    "/retention",
    "/grants",
    "/marketing/lists",
    "/admin/users",
    "/admin/sync",
    "/admin/plans",
]


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(live_url, browser, session, make_user, width, demo_data):
    page = open_page(browser, width=width)
    log_in(page, live_url, make_user("admin").email)
    wide = {}
    for path in PAGES:
        page.goto(f"{live_url}{path}")
        scroll, view = page_width(page)
        if scroll > view:
            wide[path] = scroll
            shoot(page, f"too-wide-{width}-{path.strip('/').replace('/', '-') or 'dashboard'}")
    assert wide == {}
    page.context.close()


@pytest.mark.parametrize(("width", "javascript"), BOTH)
def test_select_all_on_the_page_and_change_status_in_bulk(
    live_url, browser, session, make_user, width, javascript, demo_data
):
    user = make_user("sales")
    page = open_page(browser, width=width, javascript=javascript)
    log_in(page, live_url, user.email)
    page.click("#tick-all" if javascript else "a.nojs:has-text('Tick all')")  # a checkbox, or a link without script
    boxes = page.locator("#leads-table input[form=bulk-add]")
    expect(boxes.first).to_be_checked()
    assert all(boxes.nth(n).is_checked() for n in range(boxes.count())) and boxes.count() == 20
    page.select_option("#bulk-owner", str(user.id))  # listed by name
    page.click("button:has-text('Set owner')")
    expect(page.locator("#bulk-result")).to_contain_text("Changed 20 to owner")
    shoot(page, f"leads-bulk-{_tag(width, javascript)}")
    page.goto(f"{live_url}/leads")
    page.click("text=My leads")
    expect(page.locator(".result-count")).to_have_text("20 leads match")
    assert page_width(page)[0] <= page_width(page)[1]
    page.context.close()


@pytest.mark.parametrize(("width", "javascript"), BOTH)
def test_a_saved_view_brings_back_its_filters(live_url, browser, session, make_user, width, javascript, demo_data):
    page = open_page(browser, width=width, javascript=javascript)
    log_in(page, live_url, make_user("support").email)
    page.goto(f"{live_url}/installations")
    page.select_option("#f-state", "needs_help")
    if not javascript:
        page.click("button:has-text('Apply')")
    page.wait_for_url("**state=needs_help*")
    expect(page.locator(".result-count")).to_have_text("60 installations match")
    page.fill("#view-name", "Needs help")
    page.click("button:has-text('Save view')")
    expect(page.locator(".flash-info")).to_have_text("Saved the view “Needs help”.")
    page.goto(f"{live_url}/installations")
    expect(page.locator(".result-count")).to_have_text("240 installations")
    page.click(".saved-views a:has-text('Needs help')")
    expect(page.locator(".result-count")).to_have_text("60 installations match")
    shoot(page, f"saved-view-{_tag(width, javascript)}")
    assert page_width(page)[0] <= page_width(page)[1]
    page.context.close()


def test_search_results_never_take_the_focus_back(live_url, browser, session, make_user, demo_data):
    """Issue #31: typing a search, then moving to another field before the results arrive, leaves the focus
    where it went; the results swap in around it."""
    page = open_page(browser, width=1440)
    log_in(page, live_url, make_user("sales").email)
    with page.expect_response(lambda answer: "q=" in answer.url):
        page.fill("#q", "a")
        page.focus("#view-name")
    page.wait_for_timeout(200)  # let htmx settle the swap
    expect(page.locator("#view-name")).to_be_focused()
    page.keyboard.type("Mine")
    expect(page.locator("#view-name")).to_have_value("Mine")
    page.context.close()


@pytest.mark.parametrize("control", ["#status", "#owner_id"])
def test_arrowing_through_a_select_changes_nothing_until_saved(
    live_url, browser, session, make_user, control, demo_data
):
    """Issue #31: a keyboard or screen-reader user browsing the Status or Owner options changes nothing; the
    change is made (once, one timeline row) when they press Save, or Enter on the select."""
    page = open_page(browser, width=1440)
    log_in(page, live_url, make_user("sales").email)
    page.goto(f"{live_url}/leads/3")
    rows = page.locator("#lead-timeline li").count()
    page.focus(control)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(500)  # long enough for a save-on-change to have answered
    assert session.exec(select(AuditEvent).where(AuditEvent.action.like("lead.%.change"))).all() == []
    expect(page.locator("#lead-timeline li")).to_have_count(rows)
    chosen = page.locator(control).input_value()
    if control == "#status":
        page.locator(f"#nurture-card form:has({control}) button").click()
    else:
        page.keyboard.press("Enter")  # Enter saves, as in a text field
    expect(page.locator("#nurture-card .save-status")).to_contain_text("changed")
    expect(page.locator(control)).to_have_value(chosen)
    expect(page.locator("#lead-timeline li")).to_have_count(rows + 1)
    assert len(session.exec(select(AuditEvent).where(AuditEvent.action.like("lead.%.change"))).all()) == 1
    page.context.close()


def test_a_bulk_change_shows_in_the_rows_and_tells_refused_namesakes_apart(
    live_url, browser, session, make_user, demo_data
):
    """Issue #31: after a bulk change the rows it changed show their new status without a reload, and two
    refused people with one name are told apart (email, company)."""
    page = open_page(browser, width=1440)
    log_in(page, live_url, make_user("sales").email)
    boxes = page.locator("#leads-table input[form=bulk-add]")
    ids = [int(boxes.nth(n).get_attribute("value")) for n in range(4)]
    for n, lead_id in enumerate(ids[2:]):
        lead = session.get(Lead, lead_id)
        lead.first_name, lead.last_name, lead.company = "Freja", "Hansen", f"Company {n}"
        lead.processing_restricted = True
        session.add(lead)
    session.commit()
    emails = [session.get(Lead, lead_id).email for lead_id in ids[2:]]
    page.reload()
    for lead_id in ids:
        page.check(f"#leads-table input[value='{lead_id}']")
    page.select_option("#bulk-status", "qualified")
    page.click("button:has-text('Set status')")
    expect(page.locator("#bulk-result")).to_contain_text("Changed 2 to “qualified”.")
    for lead_id in ids[:2]:
        expect(page.locator(f"#leads-table tr:has(input[value='{lead_id}']) span.status").first).to_have_text(
            "qualified"
        )
    refusals = page.locator("#bulk-result .refusals li")
    expect(refusals).to_have_count(2)
    said = refusals.all_inner_texts()
    assert sorted(n for n, text in enumerate(said) for e in emails if e in text) == [0, 1]  # one each
    assert {n for n, text in enumerate(said) for c in ("Company 0", "Company 1") if c in text} == {0, 1}
    shoot(page, "leads-bulk-refused-1440")
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_bulk_status_change_is_undone_from_its_confirmation(live_url, browser, session, make_user, width, demo_data):
    """Issue #31: a bulk status change shows in the rows, its confirmation offers Undo, and Undo puts every row
    back as it was (on the list page the change was made from)."""
    page = open_page(browser, width=width)
    log_in(page, live_url, make_user("sales").email)
    boxes = page.locator("#leads-table input[form=bulk-add]")
    ids = [int(boxes.nth(n).get_attribute("value")) for n in range(3)]
    before = {lead_id: session.get(Lead, lead_id).nurture_status for lead_id in ids}
    target = next(s for s in ("lost", "customer", "qualified") if s not in before.values())
    for lead_id in ids:
        page.check(f"#leads-table input[value='{lead_id}']")
    page.select_option("#bulk-status", target)
    page.click("button:has-text('Set status')")
    expect(page.locator("#bulk-result")).to_contain_text(f"Changed 3 to “{target}”.")
    for lead_id in ids:
        expect(page.locator(f"#lead-status-{lead_id}")).to_have_text(target)
    expect(page.locator("#bulk-result .undo-offer")).to_contain_text("undo this for 10 minutes")
    shoot(page, f"leads-bulk-undo-offer-{width}")
    page.click("#bulk-result .undo-offer button")
    expect(page.locator(".flash-info")).to_have_text("Undone: 3 changes put back as they were.")
    for lead_id, status in before.items():
        expect(page.locator(f"#lead-status-{lead_id}")).to_have_text(status)
    shoot(page, f"leads-bulk-undone-{width}")
    assert page_width(page)[0] <= page_width(page)[1]
    session.expire_all()
    assert {lead_id: session.get(Lead, lead_id).nurture_status for lead_id in ids} == before
    page.context.close()


@pytest.mark.parametrize(("width", "javascript"), BOTH)
def test_a_status_change_offers_undo_and_the_trail_says_it_in_words(
    live_url, browser, session, make_user, width, javascript, demo_data
):
    """Issue #31: the lead page's status change offers Undo (in the card with htmx, in the flash without), Undo
    puts it back, and the audit trail tells both in sentences, with one "viewed" per page opened."""
    sam = make_user("sales", email="sam.jones@radnac.example")
    lead = session.get(Lead, 3)
    before = lead.nurture_status
    after = "qualified" if before != "qualified" else "contacted"
    page = open_page(browser, width=width, javascript=javascript)
    log_in(page, live_url, sam.email)
    page.goto(f"{live_url}/leads/3")
    page.select_option("#status", after)
    page.locator("#nurture-card form:has(#status) button").click()
    offer = page.locator(".undo-offer")
    expect(offer).to_contain_text("You can undo this for 10 minutes")
    expect(page.locator("#status")).to_have_value(after)
    shoot(page, f"lead-undo-offer-{_tag(width, javascript)}")
    offer.locator("button").click()
    expect(page.locator(".flash-info").first).to_contain_text("Undone: 1 change put back as it was.")
    expect(page.locator("#status")).to_have_value(before)
    assert page_width(page)[0] <= page_width(page)[1]
    page.context.close()

    admin = open_page(browser, width=width, javascript=javascript)
    log_in(admin, live_url, make_user("admin").email)
    admin.goto(f"{live_url}/admin/audit?actor={sam.id}&kind=leads")
    rows = admin.locator("table.audit tbody tr")
    expect(rows).to_have_count(2)
    name = lead.display_name
    expect(rows.nth(0)).to_contain_text(
        f"Sam Jones changed {name}'s status from {after} to {before} (undoing an earlier change)."
    )
    expect(rows.nth(1)).to_contain_text(f"Sam Jones changed {name}'s status from {before} to {after}.")
    shoot(admin, f"audit-trail-{_tag(width, javascript)}")
    admin.goto(f"{live_url}/admin/audit?actor={sam.id}&kind=viewed")
    expect(admin.locator("table.audit tbody tr", has_text=f"Sam Jones viewed {name}.")).to_have_count(
        3  # the page opened, and again after each save and the undo: with htmx only the undo reloads it
        if not javascript
        else 2
    )
    assert page_width(admin)[0] <= page_width(admin)[1]
    admin.context.close()
