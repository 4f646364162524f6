"""The leads and installations pages, as staff see them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from leads.consent import marketing, records
from leads.models import Installation, InstallEvent, Lead
from leads.people import subjects
from leads.retention import holds
from leads.rules.vocabulary import staff_label
from leads.staff import users
from leads.workspace import saved_views
from tests.factories import PINNED_NOW


def add_lead(session, n: int, **fields) -> Lead:
    at = PINNED_NOW - timedelta(days=n)
    values = {"first_name": f"Person{n}", "last_name": "Tester", "email": f"p{n}@x.example", "company": "Contoso"}
    values.update(fields)
    lead = Lead(source_partition_key="p", source_row_key=f"r{n}", first_seen_at=at, received_at=at, **values)
    subjects.file_leads(session=session, leads=[lead])
    session.add(lead)
    session.commit()
    return lead


def test_empty_leads_page_says_so(client, auth):
    auth.login("sales")
    page = client.get("/leads").data.decode()
    assert "No leads yet" in page


def test_htmx_pager_gets_the_table_fragment_with_vary(client, auth, session):
    add_lead(session, 1)
    auth.login("sales")
    fragment = client.get("/leads", headers={"HX-Request": "true"})
    assert fragment.data.decode().lstrip().startswith('<section id="leads-table"')
    assert "HX-Request" in fragment.headers["Vary"]
    boosted = client.get("/leads", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert b"<!doctype html>" in boosted.data
    restore = client.get("/leads", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert b"<!doctype html>" in restore.data


def test_lead_detail_shows_the_contact_card_and_flags(client, auth, session):
    lead = add_lead(session, 3, first_name="Zoë", last_name="Müller", is_dnc=True, phone=None)
    auth.login("support")
    page = client.get(f"/leads/{lead.id}").data.decode()
    assert "Zoë Müller" in page
    assert "Do not contact" in page
    assert "not supplied" in page  # the missing phone is said, not blank


def test_lead_without_personal_data_has_a_readable_name(client, auth, session):
    lead = add_lead(session, 4, first_name=None, last_name=None, email=None, company="University")
    auth.login("sales")
    assert "(no name supplied)" in client.get(f"/leads/{lead.id}").data.decode()


@pytest.mark.parametrize("url", ["/leads/999999", "/installations/999999"])
def test_missing_records_are_a_friendly_404(client, auth, url):
    auth.login("sales")
    response = client.get(url)
    assert response.status_code == 404
    assert "Not found" in response.data.decode()


def test_installations_show_state_and_failure_in_plain_words(client, auth, session, demo_data):
    auth.login("support")
    listing = client.get("/installations").data.decode()
    assert "1-20 of 240" in listing
    failed = session.exec(select(Installation).where(Installation.state == "failed")).first()
    detail = client.get(f"/installations/{failed.id}").data.decode()
    assert "Install failed" in detail
    event = session.exec(select(InstallEvent).where(InstallEvent.installation_id == failed.id)).all()[-1]
    assert event.error_message in detail


def test_dashboard_tells_what_needs_attention(client, auth, session, demo_data):
    auth.login("sales")
    page = client.get("/").data.decode()
    assert "in the last 7 days" in page and "records due for destruction in the next 7 days" in page
    assert '<figure class="chart" id="destruction-chart" aria-labelledby="destruction-chart-title">' in page
    assert '<h2 id="destruction-chart-title">Records due for destruction per week' in page
    assert page.count('class="bar"') == 12


def test_every_workspace_tile_opens_the_list_filtered_to_what_it_counts(client, auth, session, demo_data):
    import html
    import re

    auth.login("support")
    page = client.get("/").data.decode()
    tiles = re.findall(r'<a class="tile[^"]*" href="(/(?:leads|installations)[^"]*)"><strong>(\d+)</strong>', page)
    assert len(tiles) == 5
    for href, shown in tiles:
        listing = client.get(html.unescape(href)).data.decode()
        counted = re.search(r'<p class="result-count">([\d,]+)', listing)
        assert (counted.group(1) if counted else "0") == shown, href
        assert counted or "match</h2>" in listing
    auth.logout()
    auth.login("sales")
    assert "Rights requests" not in client.get("/").data.decode()  # sales cannot open the register: no dead tiles


def test_the_installations_list_filters_searches_and_shows_the_reason(client, auth, session, demo_data):
    auth.login("support")
    stuck = client.get("/installations?state=needs_help").data.decode()
    assert "60 installations match" in stuck and "Install failed" in stuck and "Uninstall blocked" in stuck
    assert "SkuNotAvailable: " in stuck or "QuotaExceeded: " in stuck
    assert "Installed</span>" not in stuck
    one = session.exec(select(Installation)).first()
    found = client.get(f"/installations?q={one.resource_group}").data.decode()
    assert "1 installation match" in found and one.application_name in found
    assert client.get("/installations?state=nonsense&sort=drop+table&start=x").status_code == 200


def test_an_installation_is_linked_by_hand_to_a_lead_found_by_search_and_audited(client, auth, session, demo_data):
    from leads.models import AuditEvent

    auth.login("support")
    installation = session.exec(select(Installation).where(Installation.lead_id.is_(None))).first()
    lead = session.get(Lead, 7)
    found = client.get(f"/installations/{installation.id}?lead_q={lead.email}").get_data(as_text=True)
    assert lead.display_name in found and f'name="lead_id" value="{lead.id}"' in found
    fragment = client.get(f"/installations/{installation.id}?lead_q=zzzz", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith("{#") is False
    assert 'id="installation-lead"' in fragment.get_data(as_text=True) and "No lead matches" in fragment.get_data(
        as_text=True
    )
    done = client.post(f"/installations/{installation.id}/link", data={"lead_id": lead.id}, follow_redirects=True)
    assert "Linked." in done.get_data(as_text=True)
    session.refresh(installation)
    assert installation.lead_id == lead.id
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "installation.link")).all()[-1]
    # Linking passes the consent gate (#15), which audits the person's lead, naming the installation.
    assert (audit.record_type, audit.record_id) == ("lead", str(lead.id))
    assert f'"installation_id": {installation.id}' in audit.details


def test_a_failed_install_is_not_said_to_be_kept_while_installed(client, auth, session, demo_data):
    auth.login("support")
    failed = session.exec(select(Installation).where(Installation.state == "failed")).first()
    page = client.get(f"/installations/{failed.id}").get_data(as_text=True)
    assert "kept until removed (the install failed)" in page and "kept while installed" not in page
    assert 'Install failed</strong> <span class="sub">(PUT Failed)</span>' in page  # plain words first
    assert failed.application_id in page and 'data-copy="' in page  # the long id, whole, for hover and copy


def test_bulk_status_and_owner_changes_go_through_the_gate_one_lead_at_a_time(client, auth, session, demo_data):
    from leads.models import AuditEvent

    me = auth.login("sales")
    restricted = session.get(Lead, 2)
    restricted.processing_restricted = True
    session.add(restricted)
    session.commit()
    answer = client.post("/leads/bulk/status", data={"lead_id": [1, 2, 3], "status": "qualified"}).get_data(
        as_text=True
    )
    assert "Changed 2 to “qualified”." in answer and "Refused 1" in answer
    session.expire_all()
    assert [session.get(Lead, n).nurture_status for n in (1, 3)] == ["qualified", "qualified"]
    assert session.get(Lead, 2).nurture_status != "qualified"
    client.post("/leads/bulk/owner", data={"lead_id": [1, 3], "owner_id": me.id}, headers={"HX-Request": "true"})
    session.expire_all()
    assert session.get(Lead, 1).owner_id == me.id and session.get(Lead, 3).owner_id == me.id
    audits = session.exec(select(AuditEvent).where(AuditEvent.action == "lead.owner.change")).all()
    assert {a.record_id for a in audits} >= {"1", "3"}
    assert "Tick at least one lead." in client.post("/leads/bulk/status", data={"status": "new"}).get_data(as_text=True)
    mine = client.get(f"/leads?owner={me.id}").get_data(as_text=True)
    assert "2 leads match" in mine and "My leads" in mine
    ticked = client.get("/leads?select=all").get_data(as_text=True)
    assert ticked.count('form="bulk-add" aria-label="Select') == ticked.count("checked>") == 20


@pytest.mark.parametrize(
    ("kind", "start", "on_hold", "waiting"),
    [
        ("lead", PINNED_NOW - timedelta(days=30), False, None),  # counting
        ("lead", PINNED_NOW - timedelta(days=3000), False, None),  # due
        ("lead", PINNED_NOW - timedelta(days=30), True, None),  # on hold
        ("install_notification", None, False, None),  # not started, the rule's words
        ("install_notification", None, False, 'waits for <the> "uninstall" & more'),  # not started, escaped
        ("correspondence", PINNED_NOW, False, None),  # kept indefinitely
    ],
)
def test_countdown_span_in_python_writes_the_macros_markup(app, kind, start, on_hold, waiting):
    """The leads list writes its countdowns from templating.countdown_span: byte for byte the macro's span."""
    from leads.rules import schedule
    from leads.web import templating

    cd = schedule.countdown(kind, start, now=PINNED_NOW, on_hold=on_hold)
    with app.test_request_context():
        macro = app.jinja_env.from_string(
            '{% from "_partials/countdown-macro.html" import countdown_span %}{{ countdown_span(cd, waiting) }}'
        ).render(cd=cd, waiting=waiting)
    assert str(templating.countdown_span(cd, waiting)) == macro


# The installations table's row as its template wrote it before `templating.installation_row` (issue #33, fourth
# pass): the reference the Python row must equal, byte for byte, escaping included. Its two spans were already made
# in Python (`long_id_span`, `countdown_span`), each held equal to its partial by the tests above.
_INSTALLATION_ROW = """
      <tr>
        <td class="name"><a href="{{ href }}">{{ inst.application_name }}</a>
          <div class="sub">{{ inst.resource_group }}</div></td>
        <td><span class="state state-{{ inst.state }}">{{ plain_state(inst.state) }}</span>
          {% if inst.id in reasons %}<div class="reason">{{ reasons[inst.id] }}</div>{% endif %}</td>
        <td>{{ inst.plan_name or "—" }} <span class="sub">{{ inst.plan_version or "" }}</span></td>
        <td>
{{ subscription }}</td>
        <td>{% if lead %}<a href="{{ lead_href }}">{{ lead.display_name }}</a><div class="sub">{{ lead.company or "" }}</div>{% else %}<span class="sub">Not linked</span>{% endif %}</td>
        <td><time datetime="{{ inst.last_event_at.isoformat() }}" title="{{ uk_time(inst.last_event_at) }}">{{ uk_time(inst.last_event_at, with_time=False) }}<span class="sub clock">{{ uk_time(inst.last_event_at)[12:] }}</span></time></td>
        <td>
{{ countdown_html }}</td>
      </tr>
      """  # noqa: E501


@pytest.mark.parametrize(
    ("odd", "state", "reason", "linked", "uninstalled"),
    [
        ("", "installed", None, True, None),  # installed, linked, no failure
        ("<b>&\"'", "failed", 'Quota <exceeded> & "more"', True, None),  # every text escaped, a failure shown
        ("x", "uninstalled", None, False, PINNED_NOW - timedelta(days=3)),  # not linked, counting down
        ("", "needs_<help>", "", False, None),  # an unknown state as stored, an empty reason
    ],
)
def test_the_installations_tables_row_in_python_is_the_templates_markup(app, odd, state, reason, linked, uninstalled):
    """The installations table writes each row from Python (`templating.installation_row`, called by
    `_installation_rows`): byte for byte the row its template wrote, whatever the values hold."""
    from leads.rules import lifecycle, schedule
    from leads.web import templating

    inst = Installation(
        id=7, application_id="a", subscription_id=f"sub{odd}", resource_group=f"rg{odd}", application_name=f"App{odd}",
        state=state, plan_name=f"plan{odd}" if odd else None, plan_version=None, last_event_at=PINNED_NOW,
        uninstalled_at=uninstalled, lead_id=3 if linked else None,
    )  # fmt: skip
    lead = Lead(id=3, first_name=f"Ada{odd}", last_name=None, company=None if odd else "Contoso") if linked else None
    cd = schedule.countdown("install_notification", uninstalled, now=PINNED_NOW, on_hold=False)
    reasons = {} if reason is None else {7: reason}
    with app.test_request_context("/installations"):
        written = app.jinja_env.from_string(_INSTALLATION_ROW).render(
            inst=inst,
            href=f"/installations/7{odd}",
            reasons=reasons,
            lead=lead,
            lead_href=f"/leads/3{odd}",
            subscription=templating.long_id_span(inst.subscription_id),
            countdown_html=templating.countdown_span(cd, lifecycle.waiting_words(state)),
        )
    made = templating.installation_row(
        inst, href=f"/installations/7{odd}", reason=reasons.get(7), lead=lead, lead_href=f"/leads/3{odd}", countdown=cd
    )
    assert str(made) == written


def test_an_email_address_breaks_before_at_and_dots_and_is_escaped():
    from leads.web.templating import email_parts

    assert str(email_parts("freja.hansen@north<wind>.example")) == (
        '<span class="email"><span>freja.hansen</span><wbr><span>@north&lt;wind&gt;</span><wbr>'
        "<span>.example</span></span>"
    )
    assert '<span class="long">' + "x" * 31 + "</span>" in str(email_parts("x" * 31 + "@a.example"))


def _leads_page_and_statements(app, client) -> tuple[str, list[str]]:
    sent: list[str] = []
    engine = app.extensions["radnac.engine"]
    record = lambda _c, _cur, statement, *_rest: sent.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", record)
    try:
        page = client.get("/leads").data.decode()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return page, sent


def test_the_leads_page_reads_what_surrounds_its_rows_in_one_statement(app, client, auth, session, make_user):
    """Holds and consent in one statement; the staff, lists and the viewer's saved views from the viewer cache, or
    one statement after a write to them (issue #33): what each shows is exact, and in the order it always was."""
    granted, withdrawn, held, plain = (add_lead(session, n) for n in (1, 2, 3, 4))
    orphan = add_lead(session, 5, email=None)
    me = auth.login("admin")
    zed = make_user("sales", email="zed@radnac.example")
    make_user("sales", email="ann@radnac.example")
    gone = make_user("sales", email="gone@radnac.example")
    users.update_user(session=session, user=gone, role="sales", active=False, now=PINNED_NOW, actor=me)
    plain.owner_id = gone.id  # a former member of staff is still named on their leads
    session.add(plain)
    session.commit()
    for lead, said in ((granted, True), (withdrawn, False)):
        given = records.ConsentInput("marketing", said, "email_reply", "said so", "v1", at=PINNED_NOW)
        records.record(session=session, lead=lead, given=given, actor=me, now=PINNED_NOW)
    holds.place(session=session, record_type="lead", record_id=held.id, reason="a claim", actor=me, now=PINNED_NOW)
    for name in ("Zebra news", "apple offers"):
        marketing.create_list(session=session, name=name, description=None, actor=me, now=PINNED_NOW)
    for name in ("Mine B", "Mine A"):
        saved_views.save(session=session, user=me, page="leads", name=name, args={"country": "DE"}, now=PINNED_NOW)
    saved_views.save(session=session, user=zed, page="leads", name="Not mine", args={}, now=PINNED_NOW)
    saved_views.save(session=session, user=me, page="installations", name="Other page", args={}, now=PINNED_NOW)

    app.config["FILTER_OPTIONS_TTL"] = timedelta(hours=1)  # as in production: the filter choices are cached
    client.get("/leads")
    page, sent = _leads_page_and_statements(app, client)

    # The user with the sign-in policy and the viewer version (one statement), the count and the page of leads,
    # then holds and consent in one: nothing per row, and the menus from the cache (`leads.workspace.viewer`).
    assert len(sent) == 4, sent
    assert sum("legalhold" in s and "marketing_consent" in s for s in sent) == 1
    assert not any("savedview" in s or "marketinglist" in s for s in sent)
    # A write to a menu's table (here a saved view) moves the version: the next page reads all three in one.
    saved_views.save(session=session, user=me, page="leads", name="Mine C", args={"country": "DE"}, now=PINNED_NOW)
    again, sent = _leads_page_and_statements(app, client)
    assert len(sent) == 5, sent
    assert sum("savedview" in s and "marketinglist" in s and "email" in s for s in sent) == 1
    assert '<a href="/leads?country=DE">Mine C</a>' in again
    saved_views.remove(
        session=session, user=me, view_id=saved_views.for_user(session=session, user=me, page="leads")[-1].id
    )
    page, _ = _leads_page_and_statements(app, client)

    shown = re.findall(r'href="/leads/(\d+)">.*?consent-(\w+)">([^<]+)<.*?countdown-(\w+)', page, flags=re.S)
    ids = [lead.id for lead in (granted, withdrawn, held, plain, orphan)]
    from_history = records.states(session=session, lead_ids=ids, now=PINNED_NOW)
    assert {int(i): (state, label) for i, state, label, _ in shown} == {
        i: (state.state, state.label) for i, state in from_history.items()
    }
    assert [state for i, state, _, _ in shown if int(i) in (granted.id, withdrawn.id)] == ["granted", "withdrawn"]
    assert {int(i) for i, _, _, countdown in shown if countdown == "on_hold"} == {held.id}
    assert "Owner: Gone" in page  # an inactive owner is still named

    def options(select_id: str) -> list[str]:
        found = re.search(rf'<select id="{select_id}".*?</select>', page, flags=re.S)
        return re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', found.group(0))  # type: ignore[union-attr]

    # Every choice in the order the database sorts it, as the statements of each owner sorted them before.
    active = [staff_label(u.email) for u in users.list_users(session=session) if u.active]
    assert options("f-owner") == active and "Gone" not in active and {"Ann", "Zed"} <= set(active)
    assert options("bulk-list-id") == [found.name for found, _size in marketing.all_lists(session=session)]
    views = re.search(r'<nav class="saved-views".*?</nav>', page, flags=re.S).group(0)  # type: ignore[union-attr]
    assert re.findall(r'<a href="/leads\?country=DE">([^<]+)</a>', views) == ["Mine A", "Mine B"]
    assert "Not mine" not in page and "Other page" not in page


@pytest.mark.parametrize("owner_id", [None, 1, 2])
@pytest.mark.parametrize("status", ["new", "customer", 'odd"<&>'])
def test_the_tables_status_and_owner_spans_are_the_partials_markup(app, status, owner_id):
    """The leads table writes each row's status and owner from Python (`_lead_rows`); a bulk change writes them
    from the partials, out of band. Both must be the same markup, byte for byte."""
    from types import SimpleNamespace

    from flask import render_template

    from leads.web.templating import lead_owner_span, lead_status_span

    owners = {1: "Ann <Sales> & Co"}  # 2 is a former member of staff
    lead = SimpleNamespace(id=7, nurture_status=status, owner_id=owner_id)
    with app.test_request_context("/leads"):
        status_partial = render_template("_partials/lead-status.html", lead=lead, oob=False)
        owner_partial = render_template("_partials/lead-owner.html", lead=lead, owners=owners, oob=False)
    assert status_partial == "\n" + str(lead_status_span(7, status))
    assert owner_partial == "\n" + str(lead_owner_span(7, owner_id, owners))
    assert ("&lt;Sales&gt; &amp; Co" in owner_partial) == (owner_id == 1)


@pytest.mark.parametrize("value", ["0f3c2a51-6d0e-4a8b-9c4e-1b2d3e4f5a6b", "odd\"<&>'id"])
def test_the_installations_tables_subscription_span_is_the_partials_markup(app, value):
    """The installations table writes each subscription id from Python (`_installation_rows`); other pages
    include _partials/long-id.html. Both must be the same markup, byte for byte."""
    from flask import render_template

    from leads.web.templating import long_id_span

    with app.test_request_context("/installations"):
        partial = render_template("_partials/long-id.html", value=value)
    assert partial == "\n" + str(long_id_span(value))


# The lead page's statements for a lead with every kind of history (issue #33, item 3: "every page at most 3x its
# bare SQL + the floor", statements counted). Each source of the page is one statement whatever its size, so more
# history is not more statements; a new statement on this page must change this number on purpose.
# 18 until the user and the sign-in policy were read in one statement; 17 until the staff and the marketing lists
# came from the viewer cache (`leads.workspace.viewer`: one statement for both on the first page after a write),
# the lead's holds were read with the lead (`leadpage.load`), and the person's consent history was read once for
# the consent panel and the marketing preview (not again, with the person, by the preview) (issue #33, fourth pass).
LEAD_PAGE_STATEMENTS = 12


def _lead_page_statements(app, client, lead_id: int) -> int:
    seen: list[str] = []
    engine = app.extensions["radnac.engine"]
    count = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(f"/leads/{lead_id}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_lead_page_shows_its_holds_read_with_the_lead_never_cached(app, client, auth, session):
    """The holds come with the lead's own read: the active one and the history, newest first; one placed or lifted
    elsewhere shows at the next request."""
    from leads.retention import holds

    lead = add_lead(session, 1)
    me = auth.login("admin")
    assert "On legal hold" not in client.get(f"/leads/{lead.id}").get_data(as_text=True)
    first = holds.place(
        session=session, record_type="lead", record_id=lead.id, reason="claim one", actor=me, now=PINNED_NOW
    )
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "On legal hold" in page and "claim one" in page and "Hold history (1)" in page
    holds.lift(session=session, hold_id=first.id, reason="settled", actor=me, now=PINNED_NOW)
    holds.place(session=session, record_type="lead", record_id=lead.id, reason="claim two", actor=me, now=PINNED_NOW)
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "Hold history (2)" in page and page.index("claim two") < page.index("claim one")
    assert client.get("/leads/999999").status_code == 404


def _more_history(session, lead: Lead, n: int) -> None:
    from leads.models import LeadNote
    from tests.marketing_samples import give

    at = PINNED_NOW - timedelta(hours=n)
    session.add(LeadNote(lead_id=lead.id, kind="note", body=f"Spoke to them ({n})", at=at, author="s@x.example"))
    session.commit()
    give(session, lead, at=at - timedelta(minutes=1))


def test_the_lead_page_sends_the_same_few_statements_however_rich_the_history(app, client, auth, session, make_user):
    from tests.factories import ada_everywhere

    ada_everywhere(session, make_user)
    lead = session.exec(select(Lead).order_by(Lead.id)).first()
    wrong = records.histories(session=session, lead_ids=[lead.id])[lead.id][0]
    records.correct(
        session=session, person=lead.person, record_id=wrong.id, reason="typed on the wrong person",
        replacement=None, actor="system:test", now=PINNED_NOW,
    )  # fmt: skip
    _more_history(session, lead, 1)
    auth.login("admin")
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)  # the first page after login also reads once
    first = _lead_page_statements(app, client, lead.id)
    assert "Entered in error." in page and "Linked to rights request" in page and "Spoke to them (1)" in page
    for n in range(2, 6):
        _more_history(session, lead, n)
    assert _lead_page_statements(app, client, lead.id) == first == LEAD_PAGE_STATEMENTS


# The person page's statements (issue #33, fourth pass), counted as the lead page's are: one a table of the data map
# the person has rows in (`people.held`), the page's own reads, the user and the audit of the view. 29 until the
# consent panel and the marketing preview were made from the consent records `held` read (each read them again,
# the preview the person too), the rights requests were read in one statement, not two, the person's own row was
# taken from the person just loaded, and the app's emails were read only when `held` found one.
PERSON_PAGE_STATEMENTS = 23


def test_the_person_page_reads_their_consent_once_and_shows_it_with_each_leads_marketing(
    app, client, auth, session, make_user
):
    from tests.factories import ada_everywhere

    ada_everywhere(session, make_user)
    lead = session.exec(select(Lead).order_by(Lead.id)).first()
    records.record(
        session=session, lead=lead, actor="system:test", now=PINNED_NOW,
        given=records.ConsentInput("marketing", False, "email_reply", "Stop, please", "v1"),
    )  # fmt: skip
    auth.login("admin")
    client.get(f"/people/{lead.person_id}")  # the first page after login also reads once
    seen: list[str] = []
    engine = app.extensions["radnac.engine"]
    count = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", count)
    try:
        page = client.get(f"/people/{lead.person_id}").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(seen) == PERSON_PAGE_STATEMENTS
    reads = {table: sum(bool(re.search(rf"FROM {table}\b", s)) for s in seen) for table in ("consentrecord", "person")}
    assert reads == {"consentrecord": 1, "person": 1} and sum("FROM rightsrequest" in s for s in seen) == 1
    assert not any("FROM mailingmessage JOIN mailing" in s for s in seen)  # no app email: not read again
    # The panel and the preview agree with the history: the withdrawal, newest, is shown and refuses marketing.
    assert "Stop, please" in page and page.count('class="refused"') == 2 and 'class="allowed"' not in page
