"""Carrying out each right end to end: exports, rectification, erasure (here, at the source, for good)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import date, timedelta

import jsonschema
import pytest
from azure.data.tables import TableClient
from sqlmodel import select

from leads.models import AuditEvent, Installation, Lead, LeadNote, Rectification, RightsRequest, Tombstone
from leads.retention import holds
from leads.rights import register
from tests.factories import PINNED_NOW, add_installation, add_lead, new_request
from tests.lead_samples import customer_info, entity


@pytest.fixture
def request_kind() -> str:
    """The kind of Ada's request; a test overrides it with `@pytest.mark.parametrize("request_kind", ...)`."""
    return "access"


@pytest.fixture
def request_for_ada(session, make_user, request_kind):
    actor = make_user("admin", "dpo@radnac.example")
    lead = add_lead(session, PINNED_NOW - timedelta(days=30), "ada")
    installation = add_installation(session, None, "ada-app")
    installation.lead_id = lead.id
    session.add_all(
        [
            installation,
            LeadNote(lead_id=lead.id, kind="call", body="Wants a demo", at=PINNED_NOW, author="sam@radnac.example"),
        ]
    )
    session.commit()
    request = new_request(session, actor, received=date(2026, 11, 20), kind=request_kind)
    register.verify_identity(session=session, request=request, actor=actor, now=PINNED_NOW)
    register.confirm_lead(session=session, request=request, lead=lead, actor=actor, now=PINNED_NOW)
    return request, lead, installation


def zip_of(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_the_access_export_covers_everything_and_validates(client, auth, session, request_for_ada):
    request, _, _ = request_for_ada
    auth.login("support")
    response = client.post(f"/rights/{request.id}/bundle/access")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert f"radnac-access-request-{request.id}-20261125.zip" in response.headers["Content-Disposition"]
    archive = zip_of(response)
    document = json.loads(archive.read("person.json"))
    jsonschema.validate(document, json.loads(archive.read("schema.json")))
    for entry in json.loads(archive.read("manifest.json"))["files"]:
        assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
    assert document["sections"]["lead"]["data"][0]["email"] == "ada@x.example"
    assert document["sections"]["installevent"]["records"] == 1
    assert document["sections"]["leadnote"]["data"][0]["body"] == "Wants a demo"
    assert session.exec(select(AuditEvent.action).where(AuditEvent.action == "rights.export.access")).one()


@pytest.mark.parametrize("request_kind", ["portability"])
def test_the_portability_bundle_labels_scope_and_leaves_out_legitimate_interests(
    client, auth, session, request_for_ada
):
    request, _, _ = request_for_ada
    auth.login("support")
    archive = zip_of(client.post(f"/rights/{request.id}/bundle/portability"))
    manifest = json.loads(archive.read("manifest.json"))
    # Install data is held on legitimate interests alone (line 36): out of scope. Lead data the person gave is
    # also held for marketing on consent, so it is in scope (RULES.md: one consent-based purpose suffices).
    assert manifest["sections"]["installation"] == {
        **manifest["sections"]["installation"],
        "portability_scope": False,
        "included": False,
        "lawful_basis": "Legitimate interests",
    }
    assert "installations.csv" not in archive.namelist() and "marketplace-leads.csv" in archive.namelist()


@pytest.mark.parametrize("request_kind", ["rectification"])
def test_rectification_keeps_what_changed_when_and_by_whom(client, auth, session, request_for_ada):
    request, lead, _ = request_for_ada
    user = auth.login("support")
    page = client.get(f"/rights/{request.id}/leads/{lead.id}/rectify")
    assert 'value="Ada"' in page.data.decode()
    client.post(
        f"/rights/{request.id}/leads/{lead.id}/rectify",
        data={
            "first_name": "Augusta Ada",
            "last_name": "Lovelace",
            "email": "ada@x.example",
            "phone": "",
            "country": "United Kingdom",
            "company": "",
            "job_title": "",
        },
    )
    session.refresh(lead)
    assert (lead.first_name, lead.country, lead.name_key) == ("Augusta Ada", "United Kingdom", "augusta ada lovelace")
    changes = {(r.field, r.old_value, r.new_value, r.changed_by) for r in session.exec(select(Rectification))}
    assert changes == {
        ("first_name", "Ada", "Augusta Ada", user.email),
        ("country", None, "United Kingdom", user.email),
    }


@pytest.mark.parametrize("request_kind", ["erasure"])
def test_erasure_needs_confirmation_and_a_hold_refuses_it(client, auth, session, request_for_ada, make_user):
    request, lead, _ = request_for_ada
    auth.login("support")
    client.post(f"/rights/{request.id}/erase", data={})
    assert session.get(Lead, lead.id) is not None
    holds.place(
        session=session, record_type="lead", record_id=lead.id, reason="claim", actor=make_user("admin"), now=PINNED_NOW
    )
    client.post(f"/rights/{request.id}/erase", data={"confirm": "erase"})
    session.expire_all()
    assert session.get(Lead, lead.id) is not None
    assert "legal hold" in client.get(f"/rights/{request.id}").data.decode()


@pytest.mark.azurite
def test_erasure_destroys_everything_here_and_at_the_source_and_sync_cannot_restore_it(
    app, client, auth, session, lead_table, clock, make_user
):
    connection, name = lead_table
    app.config.update(AZURE_TABLES_CONNECTION_STRING=connection, LEADS_TABLE_NAME=name)
    table = TableClient.from_connection_string(connection, name)
    table.create_entity(entity("grace", info=customer_info(Email="grace@navy.example", FirstName="Grace")))
    table.create_entity(entity("other", info=customer_info(Email="someone@else.example")))
    runner = app.test_cli_runner()
    assert "2 new" in runner.invoke(args=["leads", "sync"]).output
    grace = session.exec(select(Lead).where(Lead.email == "grace@navy.example")).one()
    installation = add_installation(session, None, "grace-app")
    installation.lead_id = grace.id
    session.add(installation)
    session.commit()
    auth.login("support")
    created = client.post(
        "/rights/new",
        data={
            "kind": "erasure",
            "requester_name": "Grace Hopper",
            "requester_email": "GRACE@navy.example",
            "channel": "email",
            "received_on": "2026-11-24",
            "details": "Delete me",
        },
    )
    request_id = int(created.headers["Location"].rsplit("/", 1)[1])
    grace_id = grace.id
    client.post(f"/rights/{request_id}/step/verify-identity", data={"on": "2026-11-25"})
    client.post(f"/rights/{request_id}/leads", data={"lead_id": grace_id})
    erased = client.post(f"/rights/{request_id}/erase", data={"confirm": "erase"}, follow_redirects=True)
    assert "Erased 1 lead and 1 installation. The source table row is deleted too." in erased.data.decode()
    summary = session.exec(select(AuditEvent).where(AuditEvent.action == "rights.erasure")).one()
    assert (summary.record_type, summary.record_id) == ("rights_request", str(request_id))  # names what it answered
    session.expire_all()
    assert session.get(Lead, grace_id) is None and session.exec(select(Installation)).all() == []
    assert sorted(session.exec(select(Tombstone.kind)).all()) == ["install_notification", "lead"]
    assert [e["RowKey"] for e in table.list_entities()] == ["other"]
    table.create_entity(entity("grace", info=customer_info(Email="grace@navy.example")))  # Microsoft sends it again
    clock.now += timedelta(hours=1)
    assert "1 skipped" in runner.invoke(args=["leads", "sync"]).output
    assert session.exec(select(Lead.email)).all() == ["someone@else.example"]
    assert session.get(RightsRequest, request_id).requester_email == "GRACE@navy.example"  # the record of answering
    table.close()


@pytest.mark.parametrize("role", ["sales"])
def test_sales_staff_cannot_reach_rights_requests(client, auth, session, request_for_ada, role):
    request, _, _ = request_for_ada
    auth.login(role)
    for url in ("/rights", f"/rights/{request.id}"):
        assert client.get(url).status_code == 403
    for url in (f"/rights/{request.id}/bundle/access", "/rights/export.csv"):
        assert client.post(url).status_code == 403


def test_the_register_page_and_csv(client, auth, session, request_for_ada):
    auth.login("support")
    page = client.get("/rights").data.decode()
    assert "Ada Lovelace" in page and "Mon 21 Dec 2026" in page and "On track" in page  # 20 Dec is a Sunday
    csv_text = client.post("/rights/export.csv").data.decode()
    assert csv_text.splitlines()[0].startswith("id,kind,requester_name") and "Ada Lovelace" in csv_text
    detail = client.get(f"/rights/{request_for_ada[0].id}").data.decode()
    assert "What the notice says" in detail and "line" in detail


@pytest.mark.parametrize("request_kind", ["restriction"])
def test_restriction_stops_every_processing_action_until_lifted(client, auth, session, request_for_ada):
    request, lead, _ = request_for_ada
    auth.login("support")
    client.post(f"/rights/{request.id}/restrict", data={"on": "1"})
    session.refresh(lead)
    assert lead.processing_restricted
    assert "Processing restricted" in client.get(f"/leads/{lead.id}").data.decode()
    client.post(f"/leads/{lead.id}/status", data={"status": "qualified"})
    session.refresh(lead)
    assert lead.nurture_status == "new"
    client.post(f"/rights/{request.id}/restrict", data={"on": "0"})
    client.post(f"/leads/{lead.id}/status", data={"status": "qualified"})
    session.refresh(lead)
    assert (lead.processing_restricted, lead.nurture_status) == (False, "qualified")


@pytest.mark.parametrize("request_kind", ["withdraw_consent"])
def test_withdrawal_and_objection_stop_marketing_at_once(client, auth, session, request_for_ada, make_user):
    from leads.consent import records
    from leads.rules import consent

    request, lead, _ = request_for_ada
    staff = make_user("sales")
    records.record(
        session=session,
        lead=lead,
        actor=staff,
        now=PINNED_NOW - timedelta(days=6),  # before the request's receipt: a later grant would stand (#29)
        given=records.ConsentInput("marketing", True, "email_reply", "Yes please", "v1"),
    )
    found = records.histories(session=session, lead_ids=[lead.id])[lead.id]
    assert consent.current_consent([records.event(r) for r in found], "marketing", now=PINNED_NOW)
    auth.login("support")
    advice = client.get(f"/rights/{request.id}").data.decode()
    assert "Applies" in advice
    client.post(f"/rights/{request.id}/withdraw")
    found = records.histories(session=session, lead_ids=[lead.id])[lead.id]
    # Every consent purpose is withdrawn, whatever was granted (issue #29).
    assert [(r.purpose, r.granted) for r in found] == [
        ("marketing", True),
        ("accounts", False),
        ("marketing", False),
        ("queries", False),
    ]
    assert consent.current_consent([records.event(r) for r in found], "marketing", now=PINNED_NOW) is None


def test_an_erasure_request_marks_its_leads_until_erased_or_refused(session, make_user):
    actor = make_user("support")
    lead = add_lead(session, PINNED_NOW - timedelta(days=3), "e1")
    request = new_request(session, actor, received=date(2026, 11, 24), kind="erasure", email="e1@x.example")
    register.confirm_lead(session=session, request=request, lead=lead, actor=actor, now=PINNED_NOW)
    session.refresh(lead)
    assert lead.erasure_pending
    register.close(
        session=session, request=request, status="refused", outcome="Legal claim pending", actor=actor, now=PINNED_NOW
    )
    session.refresh(lead)
    assert not lead.erasure_pending


@pytest.mark.parametrize("request_kind", ["erasure"])
def test_erasure_takes_the_persons_queued_corrections_with_it(session, request_for_ada, make_user):
    from leads.ingest import corrections
    from leads.models import SourceCorrection
    from leads.rights import actions

    request, lead, _ = request_for_ada
    corrections.queue(session=session, lead=lead, fields={"last_name": "Byron"}, now=PINNED_NOW)
    session.commit()
    actor = make_user("support")
    report = actions.erase(
        session=session, request=request, actor=actor, now=PINNED_NOW, tombstone_key="k", source=None
    )
    assert report.destroyed["lead"] == 1
    assert session.exec(select(SourceCorrection)).all() == []
