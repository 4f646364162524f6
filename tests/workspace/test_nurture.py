"""Nurturing: status and owner inline, the log, and confirming or undoing installation links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from leads.models import AuditEvent, Installation, Lead, LeadNote
from tests.factories import PINNED_NOW, add_installation, add_lead


def actions(session, record_type="lead"):
    changes = AuditEvent.action != "record.viewed"  # pages viewed are recorded too (tests/web/test_access.py)
    return session.exec(select(AuditEvent.action).where(AuditEvent.record_type == record_type, changes)).all()


def test_status_changes_inline_with_htmx_and_without(client, auth, session):
    lead = add_lead(session, PINNED_NOW - timedelta(days=3))
    auth.login("sales")
    fragment = client.post(f"/leads/{lead.id}/status", data={"status": "qualified"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.data.decode().lstrip().startswith('<section class="card" id="nurture-card">')
    assert '<option value="qualified" selected>' in fragment.data.decode()
    plain = client.post(f"/leads/{lead.id}/status", data={"status": "customer"})
    assert plain.status_code == 303 and plain.headers["Location"] == f"/leads/{lead.id}"
    session.refresh(lead)
    assert lead.nurture_status == "customer"
    assert actions(session) == ["lead.status.change", "lead.status.change"]


def test_a_bad_status_is_refused_in_the_fragment_with_200(client, auth, session):
    lead = add_lead(session, PINNED_NOW - timedelta(days=3))
    auth.login("sales")
    response = client.post(f"/leads/{lead.id}/status", data={"status": "vip"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Unknown status" in response.data.decode()
    session.refresh(lead)
    assert lead.nurture_status == "new"


def test_owner_is_assigned_to_active_staff_only(client, auth, session, make_user):
    lead = add_lead(session, PINNED_NOW - timedelta(days=3))
    colleague = make_user("support")
    auth.login("sales")
    client.post(f"/leads/{lead.id}/owner", data={"owner_id": colleague.id})
    session.refresh(lead)
    assert lead.owner_id == colleague.id
    colleague.active = False
    session.add(colleague)
    session.commit()
    client.post(f"/leads/{lead.id}/owner", data={"owner_id": colleague.id}, headers={"HX-Request": "true"})
    client.post(f"/leads/{lead.id}/owner", data={"owner_id": ""})
    session.refresh(lead)
    assert lead.owner_id is None


def test_the_log_is_timestamped_and_attributed(client, auth, session):
    lead = add_lead(session, PINNED_NOW - timedelta(days=3))
    user = auth.login("support")
    response = client.post(
        f"/leads/{lead.id}/notes",
        data={"kind": "call", "body": "Called; wants a demo", "follow_up_on": "2026-11-30T10:00"},
        headers={"HX-Request": "true"},
    )
    answer = response.data.decode()
    assert answer.lstrip().startswith('<section id="lead-log"')  # the form, and the timeline out of band:
    assert '<section id="lead-timeline" class="card" hx-swap-oob="true">' in answer and "Called; wants a demo" in answer
    note = session.exec(select(LeadNote)).one()
    assert (note.at, note.author, note.kind) == (PINNED_NOW, user.email, "call")
    assert note.follow_up_on.day == 30
    page = client.get(f"/leads/{lead.id}").data.decode()
    assert "Called; wants a demo" in page and user.email in page
    empty = client.post(f"/leads/{lead.id}/notes", data={"kind": "note", "body": ""}, headers={"HX-Request": "true"})
    assert empty.status_code == 200 and "Write the entry" in empty.data.decode()


def test_likely_installations_are_suggested_and_links_confirmed_and_undone(client, auth, session):
    lead = add_lead(session, PINNED_NOW - timedelta(days=3), offer="coremem.radnac")
    near = add_installation(session, None, "near")
    near.plan_product, near.first_event_at = "radnac", lead.received_at + timedelta(hours=20)
    far = add_installation(session, None, "far")
    far.plan_product, far.first_event_at = "radnac", lead.received_at + timedelta(days=9)
    session.add_all([near, far])
    session.commit()
    auth.login("sales")
    page = client.get(f"/leads/{lead.id}").data.decode()
    assert "Likely matches" in page and ">near<" in page and ">far<" not in page
    client.post(f"/installations/{near.id}/link", data={"lead_id": lead.id, "back": "lead"})
    session.refresh(near)
    assert near.lead_id == lead.id
    assert "Undo link" in client.get(f"/installations/{near.id}").data.decode()
    client.post(f"/installations/{near.id}/link", data={"lead_id": ""})
    session.refresh(near)
    assert near.lead_id is None
    # Linking passes the consent gate, which audits it against the lead; undoing it is audited on the installation.
    assert "installation.link" in actions(session, "lead")
    assert actions(session, "installation") == ["installation.unlink"]


def test_installation_page_suggests_leads(client, auth, session):
    lead = add_lead(session, PINNED_NOW - timedelta(days=3), offer="coremem.radnac", row_key="sugg")
    inst = add_installation(session, None, "fresh")
    inst.plan_product, inst.first_event_at = "radnac", lead.received_at
    session.add(inst)
    session.commit()
    auth.login("support")
    assert "Ada Lovelace" in client.get(f"/installations/{inst.id}").data.decode()


def test_destroying_a_lead_takes_its_log_and_unlinks_installations(session):
    from leads.retention import sweeper
    from leads.workspace import nurture

    lead = add_lead(session, PINNED_NOW - timedelta(days=1200))
    inst = add_installation(session, None, "kept")
    inst.lead_id = lead.id
    session.add(inst)
    session.add(LeadNote(lead_id=lead.id, kind="note", body="x", at=PINNED_NOW, author="a"))
    session.commit()
    sweeper.sweep(session=session, now=PINNED_NOW, source=None, tombstone_key="k", holder="t")
    assert session.exec(select(Lead)).all() == [] and session.exec(select(LeadNote)).all() == []
    assert session.exec(select(Installation.lead_id)).one() is None
    assert nurture.notes(session=session, lead_id=lead.id) == []


@pytest.mark.parametrize("flag", ["processing_restricted", "erasure_pending"])
def test_restricted_or_erasing_leads_refuse_every_nurture_action(client, auth, session, flag):
    lead = add_lead(session, PINNED_NOW - timedelta(days=3))
    setattr(lead, flag, True)
    session.add(lead)
    session.commit()
    auth.login("sales")
    response = client.post(f"/leads/{lead.id}/status", data={"status": "qualified"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "privacy notice line 2" in response.data.decode()
    client.post(f"/leads/{lead.id}/notes", data={"kind": "note", "body": "x"})
    session.refresh(lead)
    assert lead.nurture_status == "new" and session.exec(select(LeadNote)).all() == []
    assert "lead.status.change.refused" in actions(session)


def test_do_not_contact_leads_take_notes_but_no_follow_up(client, auth, session):
    lead = add_lead(session, PINNED_NOW - timedelta(days=3), is_dnc=True)
    auth.login("sales")
    client.post(f"/leads/{lead.id}/notes", data={"kind": "note", "body": "Saw them at a conference"})
    client.post(
        f"/leads/{lead.id}/notes", data={"kind": "follow_up", "body": "Call back", "follow_up_on": "2026-11-30T10:00"}
    )
    assert [n.body for n in session.exec(select(LeadNote))] == ["Saw them at a conference"]


def test_link_suggestions_read_only_the_offers_installations_near_the_lead(session):
    from leads.workspace import nurture
    from tests.sqlplan import plans

    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("pins SQLite's plan; PostgreSQL plans from statistics")
    lead = add_lead(session, PINNED_NOW - timedelta(days=3), offer="coremem.radnac")
    found = plans(session, lambda: nurture.link_suggestions(session=session, lead=lead), containing="FROM installation")
    index = "ix_installation_product_first_event (plan_product=? AND first_event_at>? AND first_event_at<?)"
    assert found == [f"SEARCH installation USING INDEX {index}"]
