"""Canary erasure: the personal-data map checked against what survives, not what it declares (issue #29).

A unique canary is planted in every field the entry points accept, for the person and for a second person in the
same fields; the access export must hold every canary of the first and none of the second, and after erasure no
text, JSON or binary column of any table, nor the Azure source, nor the captured logs, may hold one of the first
person's canaries, except the request records (the outline the rules keep for their period).
"""

from __future__ import annotations

import inspect
import io
import json
import logging
import re
import uuid
import zipfile
from datetime import date, timedelta

import pytest
from azure.data.tables import TableClient
from sqlalchemy import JSON, LargeBinary, String, Text
from sqlmodel import SQLModel, col, select
from wtforms import PasswordField, StringField, TextAreaField

from leads.consent import marketing, records
from leads.grants import grants, plans
from leads.ingest import sources
from leads.installs import events
from leads.models import ConsentRecord, Installation, Lead, Person, RightsRequest
from leads.people import subjects
from leads.retention import holds, sweeper
from leads.rights import actions, mentions, privacy_page, register
from leads.rules import notifications
from leads.web import forms, marketing_forms, sign_in_forms
from leads.workspace import nurture, saved_views
from tests.factories import PINNED_NOW, add_installation
from tests.lead_samples import customer_info, entity
from tests.notification_samples import SUB, event

KEPT = {"rightsrequest", "requeststep", "requestpause"}  # the request record, kept for its period (RULES.md)
FIELDS = (
    "first", "last", "phone", "company", "title", "country", "desc", "offer", "qphone", "qjson", "note",
    "followup", "evidence", "rectified", "grantby", "grantev", "grantref", "comm", "held", "list", "view",
    "details", "pause", "step", "whapp", "whmsg", "personev", "ovreason", "ovevid", "movereason", "second",
    "subject", "holdreason", "liftreason", "ppdetails", "correction", "fixev", "personfix",
)  # fmt: skip
# Every POST route that takes free text, and the field(s) `plant` fills through the same service (test_the_walk...).
PLANTED = {
    "nurture.add_note": ("note", "followup"), "marketing.record_consent": ("evidence",),
    "people.record_consent": ("personev",), "people.move_lead": ("movereason",),
    "rights.new": ("details",), "rights.rectify": ("rectified",), "rights.take_step": ("pause", "step"),
    "rights.link_lead": ("ovreason", "ovevid"), "grants.grant_new": ("grantby", "grantev", "grantref"),
    "grants.grant_message": ("comm",), "grants.grant_data": ("held",), "marketing.lists_index": ("list",),
    "views.save_view": ("view",), "webhooks.azure_resource": ("whapp", "whmsg"),
    "marketing.lead_email_sent": ("subject",), "retention.place_hold": ("holdreason",),
    "retention.lift_hold": ("liftreason",), "privacy.request": ("ppdetails",),
    "marketing.correct_consent": ("correction", "fixev"), "people.correct_consent": ("personfix",),
}  # fmt: skip
# Free text that is never about a customer: staff accounts, sign-in, settings; each with why.
NOT_CUSTOMER = {
    "auth.login": "staff sign-in", "auth.users_admin": "a member of staff's address",
    "sso.add_member": "a member of staff's address", "totp.enrol": "a staff one-time code",
    "totp.login_code": "a staff one-time code", "grants.plan_mapping": "a Marketplace plan's name",
    "privacy.send_code": "an address, kept only as a keyed hash for 15 minutes (the code is emailed, not stored)",
    "privacy.verify": "the person's one-time code, compared with its hash and never stored",
    "privacy.download_file": "the person's one-time code for a download link, compared with its hash, never stored",
    "mailings.create": "a marketing email's subject and body, written by staff for a whole list; each copy sent, "
    "with the person's name, is the person's (mailingmessage: tests/consent/test_sending.py erases and sweeps it)",
}  # fmt: skip
# Not yet destroyed by the sweep (open): none. (A lapsed grant's support request reference was one, until the
# lapse destroyed it with the rest of the free text held under the grant.)
SWEEP_GAPS: dict[str, str] = {}
NOT_TEXT = {"show", "owner_id", "status", "back", "lead_id", "detach", "theirs", "confirm", "undo", "on", "start",
            "page"}  # ids, flags and choices read straight from the form  # fmt: skip


def canaries(tag: str) -> dict[str, str]:
    seed = uuid.uuid4().hex[:6]
    return {field: f"cnry{tag}{seed}{field}" for field in FIELDS}


def _scannable(column) -> bool:
    kind = column.type
    impl = getattr(kind, "impl", None)
    return isinstance(kind, String | Text | JSON | LargeBinary) or isinstance(impl, String | Text | JSON | LargeBinary)


def stored_hits(session, needles: set[str], kept: set[str] = KEPT) -> set[str]:
    """Every table.column (outside the `kept` tables) whose value holds a needle."""
    hits = set()
    for table in SQLModel.metadata.sorted_tables:
        if table.name in kept:
            continue
        for column in (c for c in table.columns if _scannable(c)):
            for value in session.execute(select(column).where(column.is_not(None))).scalars():
                text = value.decode(errors="replace") if isinstance(value, bytes) else json.dumps(value, default=str)
                if any(needle in text.casefold() for needle in needles):
                    hits.add(f"{table.name}.{column.name}")
    return hits


def plant(app, session, table: TableClient, who: str, c: dict[str, str], actor, staff):
    """Everything a person can be through the entry points (PLANTED), each field holding its own canary."""
    email = f"{c['first']}@x.example"
    info = customer_info(FirstName=c["first"], LastName=c["last"], Email=email, Phone=c["phone"],
                         Company=c["company"], Title=c["title"], Country=c["country"])  # fmt: skip
    table.create_entity(entity(who, info=info, Description=c["desc"], OfferDisplayName=c["offer"]))
    table.create_entity(entity(f"{who}-2", info={**info, "Email": f"{c['second']}@x.example"}))
    # Quarantined: a phone too long; customer details that are not JSON (confirmed theirs by staff below).
    table.create_entity(entity(f"{who}-q1", info={**info, "Phone": c["qphone"] + "0" * 100}))
    table.create_entity(entity(f"{who}-q2", CustomerInfo="{" + c["qjson"] + " " + email))
    assert "new" in app.test_cli_runner().invoke(args=["leads", "sync"]).output
    lead = session.exec(select(Lead).where(Lead.email == email)).one()
    second = session.exec(select(Lead).where(Lead.email == f"{c['second']}@x.example")).one()
    nurture.add_note(session=session, lead=lead, kind="call", body=c["note"], actor=staff, now=PINNED_NOW)
    nurture.add_note(session=session, lead=lead, kind="follow_up", body=c["followup"], actor=staff, now=PINNED_NOW,
                     follow_up_on=PINNED_NOW + timedelta(days=1))  # fmt: skip
    given = records.ConsentInput("marketing", True, "email_reply", c["evidence"], "v1", PINNED_NOW - timedelta(days=9))
    records.record(session=session, lead=lead, given=given, actor=staff, now=PINNED_NOW)
    given = records.ConsentInput("queries", True, "email_reply", c["personev"], "v1", PINNED_NOW - timedelta(days=8))
    records.record_for_person(session=session, person=session.get(Person, lead.person_id), given=given, actor=staff,
                              now=PINNED_NOW)  # fmt: skip
    _plant_corrections(session, lead, c, staff)
    rectify = register.create(session=session, kind="rectification", requester_name=f"{c['first']} {c['last']}",
                              requester_email=email, channel="email", received_on=date(2026, 11, 20),
                              details=c["details"], actor=actor, now=PINNED_NOW)  # fmt: skip
    register.verify_identity(session=session, request=rectify, actor=actor, now=PINNED_NOW)
    register.ask_clarification(session=session, request=rectify, question=c["pause"], on=date(2026, 11, 21),
                               actor=actor, now=PINNED_NOW)  # fmt: skip
    register.clarified(session=session, request=rectify, on=date(2026, 11, 22), actor=actor, now=PINNED_NOW)
    register.extend(session=session, request=rectify, reason=c["step"], told_on=date(2026, 11, 23), actor=actor,
                    now=PINNED_NOW)  # fmt: skip
    register.confirm_lead(session=session, request=rectify, lead=lead, actor=actor, now=PINNED_NOW)
    register.confirm_lead(session=session, request=rectify, lead=second, actor=actor, now=PINNED_NOW,
                          override=register.Override(c["ovreason"], c["ovevid"]))  # fmt: skip
    subjects.attach(session=session, lead=second, person=session.get(Person, lead.person_id), reason=c["movereason"],
                    actor=staff, now=PINNED_NOW)  # fmt: skip
    for held in mentions.mentions(session=session, request=rectify):  # staff confirm the unreadable one is theirs
        mentions.decide(session=session, request=rectify, entity_id=held.entity.id, theirs=True, actor=actor,
                        now=PINNED_NOW)  # fmt: skip
    actions.rectify(session=session, request=rectify, lead=lead, changes={"job_title": c["rectified"]}, actor=actor,
                    now=PINNED_NOW, source=None)  # queued for the source: a correction waiting  # fmt: skip
    hold = holds.place(session=session, record_type="lead", record_id=lead.id, reason=c["holdreason"], actor=staff,
                       now=PINNED_NOW)  # fmt: skip
    holds.lift(session=session, hold_id=hold.id, reason=c["liftreason"], actor=staff, now=PINNED_NOW)
    _install(session, lead, c)
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
    marketing.mark_email_sent(session=session, lead_ids=[lead.id], subject=c["subject"], list_id=target.id,
                              actor=staff, now=PINNED_NOW)  # fmt: skip
    saved_views.save(session=session, user=staff, page="leads", name=f"{named} {c['view']}", args={}, now=PINNED_NOW)
    privacy_page.make_request(session=session, email=email, kind="rectification", details=c["ppdetails"],
                              now=PINNED_NOW)  # the person's own page  # fmt: skip
    return lead, rectify


def _plant_corrections(session, lead, c: dict[str, str], staff) -> None:
    """Two accounts grants entered in error, corrected on the lead's page (with the right one) and on the
    person's: the reasons and the replacement's evidence are the person's data."""
    person = session.get(Person, lead.person_id)
    for reason, on in ((c["correction"], lead), (c["personfix"], None)):
        wrong = records.ConsentInput(
            "accounts", True, "email_reply", "typed in error", "v1", PINNED_NOW - timedelta(days=7)
        )
        records.record(session=session, lead=lead, given=wrong, actor=staff, now=PINNED_NOW)
        latest = session.exec(select(ConsentRecord).where(ConsentRecord.person_id == person.id)
                              .order_by(col(ConsentRecord.id).desc())).first()  # fmt: skip
        right = records.ConsentInput("accounts", True, "email_reply", c["fixev"], "v1", PINNED_NOW - timedelta(days=6))
        records.correct(session=session, person=person, record_id=latest.id, reason=reason, actor=staff,
                        replacement=right if on else None, now=PINNED_NOW, lead=on)  # fmt: skip


def _install(session, lead, c: dict[str, str], event_type: str = "PUT", state: str = "Failed") -> None:
    """An install notification as the webhook takes it: its resource names and error message hold canaries."""
    app_id = (
        f"/subscriptions/{SUB}/resourceGroups/rg-{c['whapp']}/providers/Microsoft.Solutions/applications/{c['whapp']}"
    )
    at = "2026-11-24T10:00:00Z" if event_type == "PUT" else "2026-11-24T11:00:00Z"
    body = event(event_type, state, at, app_id=app_id, error={"code": "Fail", "message": c["whmsg"]})
    notification = notifications.parse(body if state == "Failed" else {**body, "error": None})
    assert events.store(session=session, notification=notification, caller_ip="20.1.2.3", now=PINNED_NOW,
                        tombstone_key="k")  # fmt: skip
    installation = session.exec(select(Installation).where(Installation.application_name == c["whapp"])).one()
    installation.lead_id = lead.id
    session.add(installation)
    session.commit()


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
    lead, _ = plant(app, session, table, "ada", ada, actor, staff)
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
    assert sorted(n for n in ada_needles if n not in exported) == []  # staff-typed names that mention her too
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


@pytest.mark.azurite
def test_the_sweeper_leaves_no_canary_once_every_planted_record_is_past_its_deadline(
    app, session, lead_table, make_user, caplog
):
    caplog.set_level(logging.DEBUG)
    connection, name = lead_table
    app.config.update(AZURE_TABLES_CONNECTION_STRING=connection, LEADS_TABLE_NAME=name)
    table = TableClient.from_connection_string(connection, name)
    actor, staff = make_user("admin", "dpo@radnac.example"), make_user("support", "sam@radnac.example")
    plans.set_model(session=session, plan_name="radnac-managed", model="publisher_managed", actor="t", now=PINNED_NOW)
    ada = canaries("ada")
    lead, rectify = plant(app, session, table, "ada", ada, actor, staff)
    _install(session, lead, ada, "DELETE", "Deleted")  # uninstalled: its notifications are on the 90-day clock
    # Every request answered (the staff's and the one made on the person's own page): an open one is still being
    # answered, so its record is kept whole; closed, it is outlined at the end of its period.
    for request in session.exec(select(RightsRequest).where(col(RightsRequest.closed_at).is_(None))).all():
        register.close(session=session, request=request, status="completed", outcome="Answered", actor=actor,
                       now=PINNED_NOW)  # fmt: skip
    needles = {v.casefold() for v in ada.values()}
    source = sources.LeadTable(connection, name)
    # Each deadline in turn: the grant's 10 days, the notifications' 90, the leads' 3 years, the request's outline.
    for days in (11, 91, 3 * 366, 3 * 366 + 7, 6 * 366):
        sweeper.sweep(session=session, now=PINNED_NOW + timedelta(days=days), source=source, tombstone_key="k",
                      holder="t")  # fmt: skip
    session.expire_all()
    # Exactly the known gap survives (so fixing it fails here and removes it): see SWEEP_GAPS.
    assert stored_hits(session, needles, kept=set()) == set(SWEEP_GAPS)
    at_source = json.dumps(list(table.list_entities()), default=str).casefold()
    assert [n for n in needles if n in at_source] == []
    assert [n for n in needles if n in caplog.text.casefold()] == []
    outline = session.get(RightsRequest, rectify.id)
    assert (outline.kind, outline.status, outline.outcome) == ("rectification", "completed", None)
    table.close()


def _free_text(app, endpoint: str) -> set[str]:
    """The free-text fields a POST view reads: its WTForms classes' text fields, and names it reads from the form."""
    source = inspect.getsource(inspect.unwrap(app.view_functions[endpoint]))
    classes = {n: c for m in (forms, marketing_forms, sign_in_forms) for n, c in vars(m).items() if n.endswith("Form")}
    found = {
        f"{name}.{field}"
        for name in re.findall(r"\b([A-Z]\w*Form)\(", source)
        for field, kind in vars(classes.get(name, object)).items()
        if issubclass(getattr(kind, "field_class", object), StringField | TextAreaField)
        and not issubclass(kind.field_class, PasswordField)
    }
    read = set(re.findall(r"request\.form(?:\.get)?[(\[]\"(\w+)\"", source)) - NOT_TEXT
    return found | read | ({"body"} if "get_json" in source or "get_data" in source else set())


def test_every_post_route_that_takes_free_text_is_planted_by_the_canary_or_said_not_to_be_a_customers(app):
    taking = {
        rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods and _free_text(app, rule.endpoint)
    }
    assert taking, "the walk found no entry point: it is reading the views wrongly"
    assert sorted(taking - set(PLANTED) - set(NOT_CUSTOMER)) == []
    assert sorted((set(PLANTED) | set(NOT_CUSTOMER)) - taking) == []  # nothing declared that no longer exists
    assert {field for fields in PLANTED.values() for field in fields} <= set(FIELDS)
