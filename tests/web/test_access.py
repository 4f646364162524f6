"""Access is recorded: every page showing one person's data writes an audit event (who, which record, when, no
personal data), and admins read the trail on /admin/audit, filtered and keyset-paged (issue #18)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from leads.models import AuditEvent, Lead
from leads.rules.vocabulary import staff_label
from leads.staff import audit
from tests.factories import PINNED_NOW, logged_in
from tests.web.walk import populate


def views(session) -> list[AuditEvent]:
    session.expire_all()
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == audit.VIEWED).order_by(AuditEvent.id)))


def test_each_page_showing_one_persons_data_records_who_viewed_which_record_and_when(
    app, session, make_user, clock, demo_data
):
    ids, staff = populate(session, make_user)
    lead = session.get(Lead, ids["lead_id"])
    pages = {
        "support": [
            (f"/leads/{ids['lead_id']}", "lead", ids["lead_id"]),
            (f"/installations/{ids['installation_id']}", "installation", ids["installation_id"]),
            (f"/grants/{ids['grant_id']}", "grant", ids["grant_id"]),
            (f"/rights/{ids['request_id']}", "rights_request", ids["request_id"]),
            (f"/people/{lead.person_id}", "person", lead.person_id),
        ],
        "sales": [(f"/marketing/lists/{ids['list_id']}", "marketing_list", ids["list_id"])],
    }
    for role, visits in pages.items():
        viewer = logged_in(app, staff[role])
        for path, _kind, _id in visits:
            assert viewer.get(path).status_code == 200, path
    recorded = views(session)
    expected = [(staff[role].id, kind, str(record)) for role, visits in pages.items() for _p, kind, record in visits]
    assert [(e.actor_user_id, e.record_type, e.record_id) for e in recorded] == expected
    assert all(e.at == clock.now for e in recorded)
    for event in recorded:  # who and which record, never what was on the page
        text = f"{event.details} {event.record_id}"
        assert not any(v and v in text for v in (lead.email, lead.first_name, lead.last_name, lead.company))
    assert logged_in(app, staff["support"]).get("/leads/999999").status_code == 404
    assert len(views(session)) == len(expected)  # nothing shown, nothing recorded


def test_the_audit_page_shows_a_view_and_filters_by_staff_record_and_date(app, session, make_user, clock, demo_data):
    ids, staff = populate(session, make_user)
    reader = logged_in(app, staff["sales"])
    reader.get(f"/leads/{ids['lead_id']}")
    clock.now = PINNED_NOW + timedelta(days=2)
    reader.get(f"/installations/{ids['installation_id']}")
    admin = logged_in(app, staff["admin"])
    page = admin.get("/admin/audit", query_string={"actor": staff["sales"].id}).data.decode()
    assert page.count(staff["sales"].email) >= 2 and f"lead {ids['lead_id']}" in page
    assert "When (UK time)" in page and "UTC" not in page  # the trail reads in UK time, to the second
    assert re.search(r">\d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d (GMT|BST)</time>", page)
    one = admin.get("/admin/audit", query_string={"record_type": "lead", "record_id": ids["lead_id"]}).data.decode()
    assert f'href="/leads/{ids["lead_id"]}"' in one and "viewed" in one
    day = PINNED_NOW.date() + timedelta(days=2)
    dated = admin.get("/admin/audit", query_string={"actor": staff["sales"].id, "since": day, "until": day})
    text = dated.data.decode()
    assert f"installation {ids['installation_id']}" in text and f"lead {ids['lead_id']}" not in text
    assert logged_in(app, staff["support"]).get("/admin/audit").status_code == 403


def _rows(response) -> str:
    """The trail's table body: what the entries say, without the filters above them."""
    page = response.data.decode()
    return page[page.index("<tbody>") : page.index("</tbody>")]


def test_a_page_opened_is_one_view_however_many_fragments_it_then_loads(app, session, make_user, demo_data):
    """Issue #31: one "viewed" row per page a person opened; the fragments htmx swaps into it (the lead search
    on an installation's page, a status saved on a lead's page) log nothing of their own."""
    ids, staff = populate(session, make_user)
    viewer = logged_in(app, staff["support"])
    before = len(views(session))
    assert viewer.get(f"/installations/{ids['installation_id']}").status_code == 200
    fragment = {"HX-Request": "true"}
    for typed in ("a", "ad", "ada"):
        answer = viewer.get(
            f"/installations/{ids['installation_id']}", query_string={"lead_q": typed}, headers=fragment
        )
        assert answer.status_code == 200 and 'id="installation-lead"' in answer.data.decode()
    assert viewer.get(f"/leads/{ids['lead_id']}").status_code == 200
    viewer.post(f"/leads/{ids['lead_id']}/status", data={"status": "contacted"}, headers=fragment)
    opened = [(e.record_type, e.record_id) for e in views(session)[before:]]
    assert opened == [("installation", str(ids["installation_id"])), ("lead", str(ids["lead_id"]))]


def test_the_trail_reads_in_sentences_and_filters_by_kind(app, session, make_user, demo_data):
    """Issue #31: each entry is a sentence naming the member of staff and the person, never an action code or
    JSON; the kind filter shows only that kind."""
    ids, staff = populate(session, make_user)
    lead = session.get(Lead, ids["lead_id"])
    worker = logged_in(app, staff["sales"])
    worker.get(f"/leads/{lead.id}")
    before = lead.nurture_status
    after = "qualified" if before != "qualified" else "contacted"
    worker.post(f"/leads/{lead.id}/status", data={"status": after})
    admin = logged_in(app, staff["admin"])
    who = staff_label(staff["sales"].email)
    changes = _rows(admin.get("/admin/audit", query_string={"kind": "leads", "actor": staff["sales"].id}))
    assert f"{who} changed {lead.display_name}&#39;s status from {before} to {after}." in changes
    assert "viewed" not in changes and "lead.status.change" not in changes and "{&#34;" not in changes
    seen = _rows(admin.get("/admin/audit", query_string={"kind": "viewed", "actor": staff["sales"].id}))
    assert f"{who} viewed {lead.display_name}." in seen and "changed" not in seen
    assert admin.get("/admin/audit", query_string={"kind": "nonsense"}).status_code == 400


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ({"actor": "9" * 30}, "actor must be"),
        ({"since": "yesterday"}, "since must be a date"),
        ({"after": "9999-12-31T23:59:59~1"}, "page link is damaged"),
        ({"after": "2026-01-01T00:00:00+00:00~x"}, "page link is damaged"),
    ],
)
def test_a_malformed_filter_is_a_400_that_says_why(app, make_user, args, reason):
    response = logged_in(app, make_user("admin")).get("/admin/audit", query_string=args)
    assert response.status_code == 400 and reason in response.data.decode()


def test_the_trail_pages_by_keyset_through_every_event_exactly_once(session, make_user):
    actor = make_user("admin")
    for n in range(130):  # several events share each time, so the id breaks ties
        audit.record(session=session, at=PINNED_NOW - timedelta(minutes=n // 3), actor=actor, action="test.event")
    session.commit()
    seen, query = [], audit.TrailQuery(actor_user_id=actor.id)
    while True:
        page = audit.trail(session=session, query=query, per_page=50)
        seen += page.events
        if page.next_cursor is None:
            break
        at, _, event_id = page.next_cursor.rpartition("~")
        query = audit.TrailQuery(actor_user_id=actor.id, after=(datetime.fromisoformat(at), int(event_id)))
    ordered = sorted(seen, key=lambda e: (e.at, e.id), reverse=True)
    assert [e.id for e in seen] == [e.id for e in ordered] and len({e.id for e in seen}) == len(seen)
    assert len(seen) == 130


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (audit.TrailQuery(), "ix_auditevent_at_id"),
        (audit.TrailQuery(actor_user_id=1), "ix_auditevent_actor_at_id"),
        (audit.TrailQuery(record_type="lead", record_id="7"), "ix_auditevent_record_at_id"),
    ],
)
def test_each_filter_reads_an_index_in_page_order_never_sorting_the_trail(session, query, index):
    from tests.sqlplan import plans

    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("pins SQLite's plan; PostgreSQL plans from statistics")
    (plan,) = plans(session, lambda: audit.trail(session=session, query=query), containing="FROM auditevent")
    assert index in plan and "TEMP B-TREE" not in plan, plan
