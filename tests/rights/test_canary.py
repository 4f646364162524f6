"""Canary erasure: the personal-data map checked against what survives, not what it declares (issue #29).

A unique canary is planted in every field the entry points accept, for the person and for a second person in the
same fields; the access export must hold every canary of the first and none of the second, and after erasure no
text, JSON or binary column of any table, nor the Azure source, nor the captured logs, may hold one of the first
person's canaries, except the request records (the outline the rules keep for their period).
"""

from __future__ import annotations

import io
import json
import logging
import uuid
import zipfile
from datetime import date, timedelta

import pytest
from azure.data.tables import TableClient
from sqlalchemy import JSON, LargeBinary, String, Text
from sqlmodel import SQLModel, select

from leads.consent import marketing, records
from leads.grants import grants, plans
from leads.ingest import sources
from leads.models import Installation, Lead, QuarantinedEntity
from leads.rights import actions, register
from leads.workspace import nurture, views
from tests.factories import PINNED_NOW, add_installation
from tests.lead_samples import customer_info, entity

KEPT = {"rightsrequest", "requeststep", "requestpause"}  # the request record, kept for its period (RULES.md)
FIELDS = (
    "first", "last", "phone", "company", "title", "country", "desc", "offer", "qphone", "qjson", "note",
    "followup", "evidence", "rectified", "grantby", "grantev", "grantref", "comm", "held", "list", "view",
)  # fmt: skip


def canaries(tag: str) -> dict[str, str]:
    seed = uuid.uuid4().hex[:6]
    return {field: f"cnry{tag}{seed}{field}" for field in FIELDS}


def _scannable(column) -> bool:
    kind = column.type
    impl = getattr(kind, "impl", None)
    return isinstance(kind, String | Text | JSON | LargeBinary) or isinstance(impl, String | Text | JSON | LargeBinary)


def stored_hits(session, needles: set[str]) -> set[str]:
    """Every table.column (outside the kept request records) whose value holds a needle."""
    hits = set()
    for table in SQLModel.metadata.sorted_tables:
        if table.name in KEPT:
            continue
        for column in (c for c in table.columns if _scannable(c)):
            for value in session.execute(select(column).where(column.is_not(None))).scalars():
                text = value.decode(errors="replace") if isinstance(value, bytes) else json.dumps(value, default=str)
                if any(needle in text.casefold() for needle in needles):
                    hits.add(f"{table.name}.{column.name}")
    return hits


def plant(app, session, table: TableClient, who: str, c: dict[str, str], actor, staff):
    """Everything a person can be through the entry points, each field holding its own canary."""
    email = f"{c['first']}@x.example"
    info = customer_info(FirstName=c["first"], LastName=c["last"], Email=email, Phone=c["phone"],
                         Company=c["company"], Title=c["title"], Country=c["country"])  # fmt: skip
    table.create_entity(entity(who, info=info, Description=c["desc"], OfferDisplayName=c["offer"]))
    # Quarantined: a phone too long; customer details that are not JSON (confirmed theirs by staff below).
    table.create_entity(entity(f"{who}-q1", info={**info, "Phone": c["qphone"] + "0" * 100}))
    table.create_entity(entity(f"{who}-q2", CustomerInfo="{" + c["qjson"] + " " + email))
    assert "new" in app.test_cli_runner().invoke(args=["leads", "sync"]).output
    lead = session.exec(select(Lead).where(Lead.email == email)).one()
    for held in session.exec(select(QuarantinedEntity).where(QuarantinedEntity.row_key == f"{who}-q2")):
        held.person_id = lead.person_id  # staff confirmed whose it is (item 3)
        session.add(held)
    session.commit()
    nurture.add_note(session=session, lead=lead, kind="call", body=c["note"], actor=staff, now=PINNED_NOW)
    nurture.add_note(session=session, lead=lead, kind="follow_up", body=c["followup"], actor=staff, now=PINNED_NOW)
    given = records.ConsentInput("marketing", True, "email_reply", c["evidence"], "v1", PINNED_NOW - timedelta(days=9))
    records.record(session=session, lead=lead, given=given, actor=staff, now=PINNED_NOW)
    rectify = register.create(session=session, kind="rectification", requester_name=f"{c['first']} {c['last']}",
                              requester_email=email, channel="email", received_on=date(2026, 11, 20),
                              details=c["first"], actor=actor, now=PINNED_NOW)  # fmt: skip
    register.verify_identity(session=session, request=rectify, actor=actor, now=PINNED_NOW)
    register.confirm_lead(session=session, request=rectify, lead=lead, actor=actor, now=PINNED_NOW)
    actions.rectify(session=session, request=rectify, lead=lead, changes={"job_title": c["rectified"]}, actor=actor,
                    now=PINNED_NOW, source=None)  # queued for the source: a correction waiting  # fmt: skip
    installation = add_installation(session, None, f"{who}-app")
    installation.lead_id, installation.plan_name = lead.id, "radnac-managed"
    session.add(installation)
    session.commit()
    grant = grants.open_grant(session=session, installation_id=installation.id, support_request_ref=c["grantref"],
                              consent_given_by=c["grantby"], consent_given_at=PINNED_NOW,
                              consent_evidence=c["grantev"], actor=staff, now=PINNED_NOW)  # fmt: skip
    grants.add_communication(session=session, grant=grant, direction="in", summary=c["comm"], at=PINNED_NOW,
                             actor=staff, now=PINNED_NOW)  # fmt: skip
    grants.record_data(session=session, grant=grant, kind="note", description=c["held"], actor=staff, now=PINNED_NOW)
    named = f"{c['first']} {c['last']}"
    target = marketing.create_list(session=session, name=f"{named} {c['list']}", description=None, actor=staff,
                                   now=PINNED_NOW)  # fmt: skip
    marketing.add_to_list(session=session, list_id=target.id, lead_ids=[lead.id], actor=staff, now=PINNED_NOW)
    views.save(session=session, user=staff, page="leads", name=f"{named} {c['view']}", args={}, now=PINNED_NOW)
    return lead


@pytest.mark.azurite
def test_every_canary_planted_for_a_person_is_exported_then_erased_everywhere(
    app, session, lead_table, make_user, caplog
):
    caplog.set_level(logging.DEBUG)
    connection, name = lead_table
    app.config.update(AZURE_TABLES_CONNECTION_STRING=connection, LEADS_TABLE_NAME=name)
    table = TableClient.from_connection_string(connection, name)
    actor, staff = make_user("admin", "dpo@radnac.example"), make_user("support", "sam@radnac.example")
    plans.set_model(session=session, plan_name="radnac-managed", model="publisher_managed", actor="t", now=PINNED_NOW)
    ada, bob = canaries("ada"), canaries("bob")
    lead = plant(app, session, table, "ada", ada, actor, staff)
    plant(app, session, table, "bob", bob, actor, staff)
    ada_needles, bob_needles = {v.casefold() for v in ada.values()}, {v.casefold() for v in bob.values()}
    assert stored_hits(session, ada_needles) >= {"lead.first_name", "quarantinedentity.raw", "savedview.name"}

    request = register.create(session=session, kind="access", requester_name="Ada", requester_email=lead.email,
                              channel="email", received_on=date(2026, 11, 21), details="All of it", actor=actor,
                              now=PINNED_NOW)  # fmt: skip
    register.verify_identity(session=session, request=request, actor=actor, now=PINNED_NOW)
    register.confirm_lead(session=session, request=request, lead=lead, actor=actor, now=PINNED_NOW)
    chunks = actions.export(session=session, request=request, kind="access", actor=actor, now=PINNED_NOW)
    exported = json.dumps(json.loads(zipfile.ZipFile(io.BytesIO(b"".join(chunks))).read("person.json"))).casefold()
    # Every canary of Ada's is in her export but the staff-typed names (saved views) the export does not list.
    assert sorted(n for n in ada_needles if n not in exported and not n.endswith("view")) == []
    assert sorted(n for n in bob_needles if n in exported) == []

    erasure = register.create(session=session, kind="erasure", requester_name="Ada", requester_email=lead.email,
                              channel="email", received_on=date(2026, 11, 22), details="Erase me", actor=actor,
                              now=PINNED_NOW)  # fmt: skip
    register.verify_identity(session=session, request=erasure, actor=actor, now=PINNED_NOW)
    register.confirm_lead(session=session, request=erasure, lead=lead, actor=actor, now=PINNED_NOW)
    source = sources.LeadTable(connection, name)
    actions.erase(session=session, request=erasure, actor=actor, now=PINNED_NOW, tombstone_key="k", source=source)
    session.expire_all()
    assert stored_hits(session, ada_needles) == set()
    assert stored_hits(session, bob_needles) >= {"lead.first_name", "quarantinedentity.raw", "savedview.name"}
    at_source = json.dumps(list(table.list_entities()), default=str).casefold()
    assert [n for n in ada_needles if n in at_source] == [] and bob["first"].casefold() in at_source
    assert [n for n in ada_needles if n in caplog.text.casefold()] == []
    assert session.exec(select(Installation)).all()  # Bob's is still there
    table.close()
