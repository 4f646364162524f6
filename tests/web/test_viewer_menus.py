"""The menus every page shows its viewer come from a cache in each worker, exact at every worker's next request
after a write, whoever wrote (issue #33, item 3; `leads.workspace.viewer`)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import event, text

from leads import create_app
from leads.consent import marketing
from leads.rules.vocabulary import staff_label
from tests.factories import PINNED_NOW, app_config, logged_in


@pytest.fixture
def other_worker(database_url, clock, tmp_path):
    """A second app on the test's database: another gunicorn worker, with a cache of its own."""
    other = create_app(app_config(database_url, clock, str(tmp_path / "other-export-cache")))
    yield other
    other.extensions["radnac.engine"].dispose()


def options(page: str, select_id: str) -> list[str]:
    found = re.search(rf'<select id="{select_id}".*?</select>', page, flags=re.S)
    assert found, select_id
    return re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', found.group(0))


def menus_read(app: Flask, browser, path: str) -> tuple[str, int]:
    """The page at `path`, and how many statements it sent that read a menu's table (the lists, the saved views, or
    the staff: a read of users that is not the session's own, which comes with the viewer version)."""
    sent: list[str] = []
    engine = app.extensions["radnac.engine"]
    record = lambda _c, _cur, statement, *_rest: sent.append(" ".join(statement.split()))  # noqa: E731
    event.listen(engine, "before_cursor_execute", record)
    try:
        page = browser.get(path).get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    menu = re.compile(r'FROM (marketinglist|savedview|"?user"?)\b')
    return page, sum(bool(menu.search(s)) and "viewerversion" not in s for s in sent)


def test_a_write_in_one_worker_or_in_raw_sql_shows_in_another_at_its_next_request(
    app, other_worker, session, make_user
):
    admin = make_user("admin", "admin@radnac.example")
    zed = make_user("sales", "zed@radnac.example")
    lead_id = _a_lead(session)  # the bulk form, with its list menu, shows beside leads
    mine, theirs = logged_in(app, admin), logged_in(other_worker, admin)
    mine.get("/leads")
    page, reads = menus_read(other_worker, theirs, "/leads")
    page, reads = menus_read(other_worker, theirs, "/leads")
    assert reads == 0 and staff_label(zed.email) in options(page, "f-owner")  # warm: served from the cache

    # A saved view made through the first worker's page
    assert mine.post("/views", data={"page": "leads", "name": "Nordic", "query": "country=NO"}).status_code == 303
    page, reads = menus_read(other_worker, theirs, "/leads")
    assert reads == 1 and '<a href="/leads?country=NO">Nordic</a>' in page
    # A list made by a service outside any request (a CLI command, the worker)
    marketing.create_list(session=session, name="Spring offers", description=None, actor=admin, now=PINNED_NOW)
    page, _ = menus_read(other_worker, theirs, "/leads")
    assert options(page, "bulk-list-id") == ["Spring offers"]
    assert "Spring offers" in theirs.get(f"/leads/{lead_id}").get_data(as_text=True)
    # A member of staff renamed and one deactivated in raw SQL (a console): no service told anyone
    session.execute(
        text('UPDATE "user" SET email = :email WHERE id = :id'), {"email": "yan@radnac.example", "id": zed.id}
    )
    session.commit()
    page, _ = menus_read(other_worker, theirs, "/leads")
    assert staff_label("yan@radnac.example") in options(page, "f-owner")
    assert staff_label(zed.email) not in options(page, "f-owner")
    session.execute(text('UPDATE "user" SET active = :no WHERE id = :id'), {"no": False, "id": zed.id})
    session.commit()
    page, _ = menus_read(other_worker, theirs, "/leads")
    assert staff_label("yan@radnac.example") not in options(page, "f-owner")


def test_a_login_elsewhere_does_not_empty_the_cache(app, other_worker, make_user):
    """Signing in and out raise a user's session version: no menu shows it, so the menus stay cached."""
    admin, sales = make_user("admin"), make_user("sales")
    theirs = logged_in(other_worker, admin)
    theirs.get("/leads")
    assert menus_read(other_worker, theirs, "/leads")[1] == 0
    browser = logged_in(app, sales)
    browser.post("/logout")
    assert menus_read(other_worker, theirs, "/leads")[1] == 0


def test_installations_and_the_audit_trail_read_their_menus_once(app, client, auth):
    auth.login("admin")
    for path in ("/installations", "/admin/audit"):
        client.get(path)
        assert menus_read(app, client, path)[1] == 0


def _a_lead(session) -> int:
    from tests.factories import add_lead

    return add_lead(session, PINNED_NOW - timedelta(days=1)).id
