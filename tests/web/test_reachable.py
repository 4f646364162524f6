"""Nobody is shown a link to a page they cannot open (issue #31): each role walks every page reachable from the
dashboard over the demo data, following every link, and meets no 403."""

from __future__ import annotations

from collections import Counter, deque
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import HTTPException

from tests.web.walk import ROLES, clients, parse, populate

PER_ENDPOINT = 3  # distinct URLs opened per endpoint: enough to meet each page's links, bounded over 600 leads
SKIPPED = {"static", "auth.logout"}


def walk(app, browser) -> dict[str, list[str]]:
    """Breadth-first from the dashboard: {url answering 403: the pages that link to it}."""
    adapter = app.url_map.bind("localhost")
    queue, seen, opened, forbidden = deque([("/", "(start)")]), {"/"}, Counter(), {}
    while queue:
        url, came_from = queue.popleft()
        answer = browser.get(url)
        if answer.status_code == 403:
            forbidden.setdefault(url, []).append(came_from)
            continue
        if answer.status_code != 200 or answer.mimetype != "text/html":
            continue
        for href in parse(answer.get_data(as_text=True)).links:
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith("/") or href in seen:
                continue
            try:
                endpoint, _ = adapter.match(parts.path, method="GET")
            except HTTPException:
                continue
            if endpoint in SKIPPED or opened[endpoint] >= PER_ENDPOINT:
                continue
            seen.add(href)
            opened[endpoint] += 1
            queue.append((href, url))
    return forbidden


@pytest.mark.parametrize("role", ROLES)
def test_no_page_links_a_role_to_a_page_it_cannot_open(app, session, make_user, role, demo_data):
    _ids, staff = populate(session, make_user)
    browser = clients(app, {role: staff[role]})[role]
    assert walk(app, browser) == {}


def test_the_dashboard_shows_lapsing_support_access_only_to_who_can_open_grants(app, session, make_user, demo_data):
    _ids, staff = populate(session, make_user)
    seen = {role: browser.get("/").get_data(as_text=True) for role, browser in clients(app, staff).items()}
    assert "Grant #" in seen["support"] and "Grant #" in seen["admin"]  # the demo data has one lapsing
    assert "Support access lapsing" not in seen["sales"] and "Grant #" not in seen["sales"]
