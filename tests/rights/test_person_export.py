"""The access export covers everything the personal-data map finds for the person, with Art. 15's information."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

import jsonschema
from sqlmodel import select

from leads.consent import marketing
from leads.models import Lead, MarketingListMember, QuarantinedEntity, SupportGrant
from leads.rights import actions, register
from leads.rules import datamap
from tests.conftest import PINNED_NOW
from tests.marketing_samples import give
from tests.people.test_subjects import lead_for
from tests.retention.test_sweeper import add_installation
from tests.rights.test_register import new as new_request


def ada_everywhere(session, make_user, kind="access"):
    """A person with two leads, a linked installation, consent, a list, an email, a grant, a quarantined
    entity, and two requests."""
    actor = make_user("admin", "dpo@radnac.example")
    first = lead_for(session, "one", "Ada@X.example", days=30)
    second = lead_for(session, "two", "ada@x.example", days=3)
    give(session, first, at=PINNED_NOW - timedelta(days=2))
    target = marketing.create_list(session=session, name="Launch", description=None, actor=actor, now=PINNED_NOW)
    marketing.add_to_list(session=session, list_id=target.id, lead_ids=[second.id], actor=actor, now=PINNED_NOW)
    marketing.mark_email_sent(
        session=session, lead_ids=[second.id], subject="Hi Ada", list_id=target.id, actor=actor, now=PINNED_NOW
    )
    installation = add_installation(session, None, "ada-app")
    installation.lead_id = first.id
    grant = SupportGrant(
        installation_id=installation.id, support_request_ref="SR-1", consent_given_by="Ada Lovelace",
        consent_given_at=PINNED_NOW, consent_evidence="yes", consent_evidence_sha256="0" * 64, opened_by="s",
        opened_at=PINNED_NOW, last_communication_at=PINNED_NOW,
    )  # fmt: skip
    quarantined = QuarantinedEntity(
        partition_key="2026-11", row_key="q1", reason="bad", raw='{"Email": "ADA@x.example", "FirstName": "Ada"}',
        email_key="ada@x.example", first_seen_at=PINNED_NOW, last_seen_at=PINNED_NOW, clock_started_at=PINNED_NOW,
    )  # fmt: skip
    session.add_all([installation, grant, quarantined])
    session.commit()
    earlier = new_request(session, actor, received=date(2026, 10, 1), kind="restriction", email="ADA@x.example")
    request = new_request(session, actor, received=date(2026, 11, 20), kind=kind)
    register.verify_identity(session=session, request=request, actor=actor, now=PINNED_NOW)  # rights need it (#16)
    register.confirm_lead(session=session, request=request, lead=first, actor=actor, now=PINNED_NOW)
    return request, earlier, actor


def test_the_access_export_holds_every_record_of_the_person_and_says_why_from_where_to_whom_how_long(
    session, make_user
):
    request, _earlier, actor = ada_everywhere(session, make_user)
    chunks = actions.export(session=session, request=request, kind="access", actor=actor, now=PINNED_NOW)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    document = json.loads(archive.read("person.json"))
    jsonschema.validate(document, json.loads(archive.read("schema.json")))
    records = {name: section["records"] for name, section in document["sections"].items()}
    assert records["lead"] == 2 and records["installation"] == 1 and records["installevent"] == 1
    assert records["consentrecord"] == 1 and records["marketinglistmember"] == 1 and records["marketingemail"] == 1
    assert records["supportgrant"] == 1 and records["quarantinedentity"] == 1 and records["rightsrequest"] == 2
    assert set(document["sections"]) == {n for n, h in datamap.MAP.items() if h.subject == "customer"}
    lead = document["sections"]["lead"]
    assert "Microsoft" in lead["source"] and "46-48" in lead["source"] and "UK South" in lead["recipients"]
    assert "three (3) years" in lead["retention"] and "58-69" in lead["retention"] and "kept until" in lead["retention"]
    summary = archive.read("summary.html").decode()
    wanted = ("Why we hold it", "legitimate interests", "consent", "Where it came from", "Who else holds it")
    wanted += ("How long we keep it", "ICO", "0303 123 1113", "Hi Ada", "not supplied", "25 November 2026")
    for words in wanted:
        assert words in summary, words
    assert "T09:30" not in summary and ".123" not in summary and "None" not in summary


def test_the_portability_bundle_holds_what_the_person_gave_on_consent(session, make_user):
    request, _, actor = ada_everywhere(session, make_user, kind="portability")
    chunks = actions.export(session=session, request=request, kind="portability", actor=actor, now=PINNED_NOW)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    names = set(archive.namelist())
    assert {"lead.csv", "consentrecord.csv", "rightsrequest.csv", "manifest.json", "schema.json"} <= names
    assert "installation.csv" not in names and "leadnote.csv" not in names
    assert session.exec(select(Lead)).all() and session.exec(select(MarketingListMember)).all()
