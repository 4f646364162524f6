"""The consent and marketing pages as staff see them: panels, lists, fragments, roles, CSRF, the download."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from leads import create_app
from leads.consent import marketing
from leads.models import ConsentRecord
from tests.factories import PASSWORD, PINNED_NOW
from tests.marketing_samples import QueryCounter, give, make_lead, make_list

HX = {"HX-Request": "true"}
CONSENT = {
    "purpose": "marketing",
    "decision": "granted",
    "method": "email_reply",
    "evidence": "Replied yes to our email of 20 Nov",
    "wording_version": "notice v1",
}


def test_the_leads_list_shows_consent_and_lets_sales_tick_leads(client, auth, session):
    granted, withdrawn, never = make_lead(session, 1), make_lead(session, 2), make_lead(session, 3)
    give(session, granted)
    give(session, withdrawn)
    give(session, withdrawn, at=PINNED_NOW - timedelta(days=1), granted=False)
    make_list(session)
    auth.login("sales")
    page = client.get("/leads").get_data(as_text=True)
    assert "Marketing consent" in page and 'href="/marketing/lists"' in page
    for lead, state in ((granted, "Granted"), (withdrawn, "Withdrawn"), (never, "None recorded")):
        row = page[page.index(f'value="{lead.id}" form="bulk-add"') :]
        assert f">{state}</span>" in row[: row.index("</tr>")]
    assert '<form id="bulk-add"' in page and 'action="/marketing/lists/add"' in page
    assert 'hx-post="/marketing/lists/add"' in page and '<div id="bulk-result"' in page


def test_the_leads_page_does_not_query_per_lead(app, client, auth, session):
    auth.login("sales")
    make_list(session)
    client.get("/leads")  # the menus, read after the new list, are kept from here on (`leads.workspace.viewer`)
    counts = []
    for batch in (range(1, 4), range(4, 21)):
        for n in batch:
            give(session, make_lead(session, n))
        with QueryCounter(app.extensions["radnac.engine"]) as counter:
            assert client.get("/leads").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1]  # 3 leads or 20: the same number of queries


def test_support_sees_consent_but_not_marketing(client, auth, session):
    lead = make_lead(session, 1)
    auth.login("support")
    listing = client.get("/leads").get_data(as_text=True)
    assert "Marketing consent" in listing and "bulk-add" not in listing and "Marketing lists" not in listing
    detail = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert 'id="consent-panel"' in detail and "Record consent given or withdrawn" in detail
    assert 'id="marketing-panel"' not in detail
    for method, url in [
        ("get", "/marketing/lists"),
        ("post", "/marketing/lists/add"),
        ("post", f"/leads/{lead.id}/marketing-lists"),
        ("post", f"/leads/{lead.id}/marketing-emails"),
    ]:
        assert getattr(client, method)(url).status_code == 403
    assert client.post(f"/leads/{lead.id}/consent", data=CONSENT).status_code == 303  # anyone may hear it


def test_recording_consent_without_javascript_redirects_to_the_page(client, auth, session):
    lead = make_lead(session, 1)
    user = auth.login("sales")
    response = client.post(f"/leads/{lead.id}/consent", data=CONSENT)
    assert response.status_code == 303 and response.headers["Location"] == f"/leads/{lead.id}"
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "Recorded: consent given for information updates and marketing." in page
    assert "Replied yes to our email of 20 Nov" in page and f"recorded by {user.email}" in page
    assert "Allowed: relies on marketing consent given on 25 November 2026 (replied by email)." in page


def test_recording_consent_with_htmx_swaps_both_panels(client, auth, session):
    lead = make_lead(session, 1)
    auth.login("sales")
    response = client.post(f"/leads/{lead.id}/consent", data=CONSENT, headers=HX)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert text.lstrip().startswith('<section id="consent-panel"')
    assert '<section id="marketing-panel" class="card" hx-swap-oob="true">' in text  # its gate changed too
    assert ">Granted</span>" in text and "Allowed: relies on marketing consent" in text


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "page"])
@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"evidence": ""}, "Say what the person said or signed."),
        ({"at": "2027-01-01T10:00"}, "The time given is in the future"),
        ({"method": "telepathy"}, "Not a valid choice"),
    ],
)
def test_a_consent_form_that_does_not_make_sense_is_shown_again_with_why(client, auth, session, htmx, change, says):
    lead = make_lead(session, 1)
    auth.login("sales")
    response = client.post(f"/leads/{lead.id}/consent", data={**CONSENT, **change}, headers=HX if htmx else {})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and says in text
    assert ("<!doctype html>" in text) is not htmx
    assert "<details open>" in text  # the form stays open with what was typed
    assert ">None recorded</span>" in text


def test_consent_given_earlier_is_dated_when_it_was_given(client, auth, session):
    lead = make_lead(session, 1)
    auth.login("sales")
    client.post(f"/leads/{lead.id}/consent", data={**CONSENT, "at": "2026-11-20T14:05"})
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "since 20 Nov 2026 14:05 GMT" in page


def test_consent_given_in_summer_is_typed_in_uk_time_and_stored_in_utc(client, auth, session):
    lead = make_lead(session, 1)
    auth.login("sales")
    client.post(f"/leads/{lead.id}/consent", data={**CONSENT, "at": "2026-07-20T14:05"})
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "since 20 Jul 2026 14:05 BST" in page
    session.expire_all()
    record = session.exec(select(ConsentRecord)).one()
    assert record.at == datetime(2026, 7, 20, 13, 5, tzinfo=UTC)


def test_the_lead_page_without_lists_says_how_to_start_one(client, auth, session):
    lead = make_lead(session, 1)
    auth.login("sales")
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "Marketing is not allowed now." in page and "There is no marketing consent on record" in page
    assert "No marketing lists yet" in page


def test_marketing_lists_are_started_and_shown_with_who_would_be_exported(client, auth, session):
    auth.login("sales")
    response = client.post("/marketing/lists", data={"name": "Launch", "description": "RADNAC 3.0"})
    assert response.status_code == 303
    target = marketing.get_list_by_name(session=session, name="Launch")
    assert response.headers["Location"] == f"/marketing/lists/{target.id}"
    duplicate = client.post("/marketing/lists", data={"name": "LAUNCH"})
    assert duplicate.status_code == 200 and "already a marketing list called" in duplicate.get_data(as_text=True)

    kept, gone = make_lead(session, 1), make_lead(session, 2, first_name="Gwen")
    for lead in (kept, gone):
        give(session, lead)
    marketing.add_to_list(session=session, list_id=target.id, lead_ids=[kept.id, gone.id], actor="t", now=PINNED_NOW)
    give(session, gone, at=PINNED_NOW - timedelta(hours=2), granted=False)

    index = client.get("/marketing/lists").get_data(as_text=True)
    assert "Launch</a>" in index and "<td>2</td>" in index
    page = client.get(f"/marketing/lists/{target.id}").get_data(as_text=True)
    assert "2 in all; of those shown, 1 would be in an export made now" in page
    gwen = page[page.index("Gwen Tester") :]
    assert "Marketing consent was withdrawn on 25 November 2026" in gwen[: gwen.index("</tr>")]


def test_the_export_downloads_without_being_cached(client, auth, session):
    auth.login("sales")
    target = make_list(session, "Launch 2026/Q1")
    response = client.post(f"/marketing/lists/{target.id}/export")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert (
        response.headers["Content-Disposition"] == 'attachment; filename="marketing-launch-2026-q1-20261125-0930.csv"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_data(as_text=True).startswith("\ufeffFirst name,")


@pytest.mark.parametrize("url", ["/marketing/lists/404", "/leads/404/marketing-lists", "/marketing/lists/404/export"])
def test_missing_things_are_a_404(client, auth, url):
    auth.login("sales")
    response = client.get(url) if url.endswith("404") else client.post(url, data={"list_id": 1})
    assert response.status_code == 404


def test_the_lead_page_add_names_a_list_that_exists(client, auth, session):
    lead = make_lead(session, 1)
    give(session, lead)
    auth.login("sales")
    answer = client.post(f"/leads/{lead.id}/marketing-lists", data={"list_id": 404}, headers=HX)
    assert answer.status_code == 200 and "That marketing list does not exist." in answer.get_data(as_text=True)
    missing = client.post(f"/leads/{lead.id}/marketing-lists", data={}, headers=HX)
    assert "Choose a marketing list." in missing.get_data(as_text=True)


def test_htmx_marketing_actions_send_the_csrf_token_in_a_header(database_url, clock, make_user, session):
    app = create_app({"APP_ENV": "testing", "SECRET_KEY": "s", "DATABASE_URL": database_url, "CLOCK": clock})
    user = make_user("sales")
    lead = make_lead(session, 1)
    give(session, lead)
    target = make_list(session)
    client = app.test_client()
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").data).group(1)
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token.decode()})
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    header = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    data = {"list_id": target.id, "lead_id": [lead.id]}

    assert client.post("/marketing/lists/add", data=data, headers=HX).status_code == 400
    answer = client.post("/marketing/lists/add", data=data, headers={**HX, "X-CSRFToken": header})
    assert answer.status_code == 200 and "Added 1 to “Launch”." in answer.get_data(as_text=True)
    app.extensions["radnac.engine"].dispose()


QUERY_HELPERS = ("consent_panel", "lead_marketing", "new_consent_form", "consent_states", "marketing_lists")


def test_templates_call_no_query_helpers_and_no_blueprint_offers_them(app, client, auth, session):
    """Views pass what a template shows (issue #14): no template calls a function that queries, none is offered."""
    templates = Path(__file__).resolve().parents[2] / "templates"
    calls = [
        f"{page.relative_to(templates)}: {name}()"
        for page in templates.rglob("*.html")
        for name in QUERY_HELPERS
        if re.search(rf"\b{name}\s*\(", page.read_text())
    ]
    assert calls == []
    with app.test_request_context():
        offered = {name for processors in app.template_context_processors.values() for p in processors for name in p()}
    assert offered.isdisjoint(QUERY_HELPERS) and set(app.jinja_env.globals).isdisjoint(QUERY_HELPERS)
    # and the pages that show the two panels still show them, filled by their views
    lead = make_lead(session, 1)
    make_list(session)
    auth.login("sales")
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert 'id="consent-panel"' in page and 'id="marketing-panel"' in page and ">Launch</option>" in page
    answer = client.post(f"/leads/{lead.id}/consent", data=CONSENT, headers=HX).get_data(as_text=True)
    assert "Recorded: consent given for information updates and marketing." in answer and 'hx-swap-oob="true"' in answer
    added = client.post(f"/leads/{lead.id}/marketing-lists", data={"list_id": 1}, headers=HX).get_data(as_text=True)
    assert "Added to Launch." in added and 'id="marketing-panel"' in added


@pytest.mark.parametrize(
    ("at", "says"),
    [("1999-12-31T10:00", "1 January 2000"), ("2026-11-26T10:00", "in the future")],
    ids=["before-2000", "future"],
)
def test_a_consent_date_before_2000_or_in_the_future_is_refused_beside_it(client, auth, session, at, says):
    """Issue #31: consent dated 1999 (a typo for 2019) or tomorrow is refused with why, nothing recorded."""
    lead = make_lead(session, 1)
    auth.login("sales")
    answer = client.post(f"/leads/{lead.id}/consent", data={**CONSENT, "at": at}, headers=HX).get_data(as_text=True)
    assert says in answer and f'value="{at}"' in answer
    assert session.exec(select(ConsentRecord)).all() == []


FIELDS = (("purpose", {}), ("at", {}), ("method", {}), ("evidence", {"rows": 3}), ("wording_version", {}))


def _controls(form, correction: bool = True) -> list[str]:
    """Every control of a consent or correction form, called as the consent partials call them."""
    p = "fix7"
    shown = [form.hidden_tag(), form.decision.label.text]
    shown += [part for n, c in enumerate(form.decision) for part in (c(id=f"{p}-decision-{n}"), c(), c.label.text)]
    if correction:
        shown += [form.reason.label(for_=p + "-reason"), form.reason(id=p + "-reason", rows=2)]
        shown += [form.replace(id=p + "-replace"), form.replace.label.text]
    for name, extra in FIELDS:
        field = getattr(form, name)
        shown += [field.label(**{"for": f"{p}-{name}"}), field(id=f"{p}-{name}", **extra)]
    return [str(part) for part in shown]


def test_a_fresh_correction_renders_what_the_correction_form_renders(app, session):
    from types import SimpleNamespace

    from leads.web.marketing_forms import ConsentForm, FreshControls, correction_form, fresh_correction

    lead = make_lead(session, 1)
    given = give(session, lead)
    summer = SimpleNamespace(
        purpose="accounts", granted=False, at=datetime(2025, 7, 23, 18, 42, tzinfo=UTC), method="phone_call",
        evidence='Said "stop" <twice> & hung up\nthen wrote', wording_version="v2 'quoted'",
    )  # fmt: skip
    app.config["WTF_CSRF_ENABLED"] = True  # as in production: the hidden tag carries the token
    with app.test_request_context("/"):
        for record in (given, summer):
            fresh = _controls(fresh_correction(record))
            assert fresh == _controls(correction_form(record))
            assert 'name="csrf_token"' in fresh[0] and 'value="' in fresh[0]
        assert "&lt;twice&gt; &amp;" in "".join(fresh) and 'value="23/07/2025 19:42"' in "".join(fresh)
        blank = ConsentForm(formdata=None)
        assert _controls(FreshControls(blank), correction=False) == _controls(blank, correction=False)
