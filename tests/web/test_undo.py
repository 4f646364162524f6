"""Undo from the pages (issue #31): the offer in the confirmation, without JavaScript (a flash with a POST form)
and with htmx (in the fragment), and the bulk owner change visible in the rows it changed."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from leads.models import Installation, Lead, LeadNote, MarketingListMember
from leads.workspace import undo
from tests.factories import PINNED_NOW, add_installation, add_lead
from tests.marketing_samples import give, make_lead, make_list


def _undo_form(html: str) -> dict[str, list[str]]:
    """The Undo form's hidden fields, as a browser would send them."""
    form = re.search(r'<form method="post" action="/undo".*?</form>', html, re.S)
    assert form, "no Undo offered"
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.group(0)):
        fields.setdefault(name, []).append(value)
    return fields


def test_without_javascript_a_status_change_offers_undo_and_undo_puts_it_back(client, auth, session):
    lead = add_lead(session, PINNED_NOW - timedelta(days=3))
    auth.login("sales")
    changed = client.post(f"/leads/{lead.id}/status", data={"status": "qualified"}, follow_redirects=True)
    page = changed.data.decode()
    assert "Status changed to qualified." in page and "You can undo this for 10 minutes" in page
    fields = _undo_form(page)
    assert fields["back"] == [f"/leads/{lead.id}"]
    undone = client.post("/undo", data=fields)
    assert undone.status_code == 303 and undone.headers["Location"] == f"/leads/{lead.id}"
    session.refresh(lead)
    assert lead.nurture_status == "new"
    shown = client.get(f"/leads/{lead.id}").data.decode()
    assert "Undone: 1 change put back as it was." in shown and "/undo" not in shown  # the offer is spent
    again = client.post("/undo", data=fields, follow_redirects=True).data.decode()
    assert "changed again since" in again


def test_with_htmx_the_nurture_card_offers_undo(client, auth, session):
    lead = add_lead(session, PINNED_NOW - timedelta(days=3))
    auth.login("sales")
    card = client.post(f"/leads/{lead.id}/status", data={"status": "lost"}, headers={"HX-Request": "true"})
    assert 'hx-boost="true"' in card.data.decode() and _undo_form(card.data.decode())["event"]


def test_an_undo_too_late_is_refused_with_the_reason(client, auth, session, clock):
    lead = add_lead(session, PINNED_NOW - timedelta(days=3))
    auth.login("sales")
    fields = _undo_form(
        client.post(f"/leads/{lead.id}/status", data={"status": "lost"}, follow_redirects=True).data.decode()
    )
    clock.now = PINNED_NOW + undo.UNDO_WINDOW + timedelta(minutes=1)
    page = client.post("/undo", data=fields, follow_redirects=True).data.decode()
    assert "Too late: a change can be undone for 10 minutes" in page
    session.refresh(lead)
    assert lead.nurture_status == "lost"


def test_undo_without_a_change_named_is_a_400_with_a_reason(client, auth):
    auth.login("sales")
    response = client.post("/undo", data={"back": "/leads"})
    assert response.status_code == 400 and "Undo button names it" in response.data.decode()


def test_a_bulk_owner_change_shows_in_the_rows_and_offers_undo(client, auth, session, make_user):
    leads = [add_lead(session, PINNED_NOW - timedelta(days=3), row_key=f"r{n}") for n in range(3)]
    kim = make_user("sales", email="kim.lee@radnac.example")
    auth.login("sales")
    table = client.get("/leads").data.decode()
    assert table.count("No owner") == 3
    answer = client.post(
        "/leads/bulk/owner",
        data={"owner_id": kim.id, "lead_id": [lead.id for lead in leads[:2]]},
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/leads?q=x"},
    ).data.decode()
    for lead in leads[:2]:
        assert f'<span id="lead-owner-{lead.id}" class="sub owner" hx-swap-oob="true">Owner: Kim Lee</span>' in answer
    assert f"lead-owner-{leads[2].id}" not in answer
    fields = _undo_form(answer)
    assert len(fields["event"]) == 2 and fields["back"] == ["/leads?q=x"]
    assert client.get("/leads").data.decode().count("Owner: Kim Lee") == 2
    session.expire_all()
    assert [session.get(Lead, lead.id).owner_id for lead in leads] == [kim.id, kim.id, None]
    client.post("/undo", data=fields)
    session.expire_all()
    assert [session.get(Lead, lead.id).owner_id for lead in leads] == [None, None, None]


def test_a_follow_up_marked_done_offers_undo_in_the_queue_with_htmx_and_without(client, auth, session):
    lead = add_lead(session, PINNED_NOW - timedelta(days=3))
    user = auth.login("sales")
    notes = []
    for hours in (2, 3):
        note = LeadNote(lead_id=lead.id, kind="follow_up", body=f"call {hours}", at=PINNED_NOW, author=user.email,
                        follow_up_on=PINNED_NOW + timedelta(hours=hours))  # fmt: skip
        session.add(note)
        notes.append(note)
    session.commit()
    table = client.post(f"/follow-ups/{notes[0].id}/done", data={"show": "open"}, headers={"HX-Request": "true"})
    fields = _undo_form(table.data.decode())
    assert fields["back"] == ["/follow-ups?show=open"]
    plain = client.post(f"/follow-ups/{notes[1].id}/done", data={"show": "open"}, follow_redirects=True)
    assert "Marked done." in plain.data.decode() and _undo_form(plain.data.decode())
    client.post("/undo", data=fields)
    session.expire_all()
    assert [session.get(LeadNote, n.id).follow_up_done_at for n in notes] == [None, PINNED_NOW]


def test_an_installation_link_offers_undo_and_undo_unlinks_it(client, auth, session):
    lead = add_lead(session, PINNED_NOW - timedelta(days=3))
    installation = add_installation(session, None, "near")
    auth.login("support")
    linked = client.post(
        f"/installations/{installation.id}/link", data={"lead_id": lead.id, "back": "lead"}, follow_redirects=True
    )
    fields = _undo_form(linked.data.decode())
    assert fields["back"] == [f"/leads/{lead.id}"]
    client.post("/undo", data=fields)
    session.expire_all()
    assert session.get(Installation, installation.id).lead_id is None


def test_an_addition_to_a_marketing_list_offers_undo_in_the_marketing_panel(client, auth, session):
    lead, launch = make_lead(session, 1), make_list(session)
    give(session, lead, at=PINNED_NOW - timedelta(days=1))
    auth.login("sales")
    panel = client.post(
        f"/leads/{lead.id}/marketing-lists", data={"list_id": launch.id}, headers={"HX-Request": "true"}
    )
    assert "Added to Launch." in panel.data.decode()
    client.post("/undo", data=_undo_form(panel.data.decode()))
    assert session.exec(select(MarketingListMember)).all() == []
