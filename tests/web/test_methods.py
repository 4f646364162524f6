"""Only POST changes anything: no GET or HEAD, by anyone, writes a row anywhere (issue #18)."""

from __future__ import annotations

import re

from sqlalchemy import event

from leads.staff import audit
from tests.web.walk import clients, populate, row_counts, urls

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|TRUNCATE|ALTER|DROP|CREATE)\b", re.IGNORECASE)


def test_no_get_or_head_writes_a_row_in_any_table_as_any_role(app, session, make_user, demo_data):
    ids, staff = populate(session, make_user)
    browsers = clients(app, staff)
    written: list[str] = []

    def spy(_conn, _cursor, statement, parameters, _context, _many):
        if WRITE.match(statement) and not _is_view_record(statement, parameters):
            written.append(statement.split("(")[0])

    engine = app.extensions["radnac.engine"]
    event.listen(engine, "before_cursor_execute", spy)
    answered = {}
    try:
        for who, browser in browsers.items():
            for endpoint, method, url in urls(app, ids, {"GET", "HEAD"}):
                before = row_counts(session)
                response = browser.open(url, method=method)
                response.close()
                answered[(who, endpoint)] = response.status_code
                after = row_counts(session)
                grown = {table: after[table] - before[table] for table in after if after[table] != before[table]}
                viewed = grown.pop("auditevent", 0) if _only_views(session, grown, before) else 0
                assert not grown and not written, f"{who} {method} {url} wrote {grown or written} ({viewed} views)"
    finally:
        event.remove(engine, "before_cursor_execute", spy)
    assert sum(status == 200 for status in answered.values()) > 40  # the pages were really shown, not refused
    assert answered[("support", "rights.detail")] == 200


def _is_view_record(statement: str, parameters) -> bool:
    """The one write a GET may make: the access log's own entry that a page showing a person was viewed."""
    return statement.lstrip().upper().startswith("INSERT INTO AUDITEVENT") and audit.VIEWED in str(parameters)


def _only_views(session, grown: dict[str, int], before: dict[str, int]) -> bool:
    if "auditevent" not in grown:
        return False
    newest = audit.recent(session=session, limit=grown["auditevent"])
    return all(event.action == audit.VIEWED for event in newest)
