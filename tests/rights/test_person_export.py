"""The access export covers everything the personal-data map finds for the person, with Art. 15's information."""

from __future__ import annotations

import io
import json
import zipfile

import jsonschema
from sqlmodel import select

from leads.models import Lead, MarketingListMember
from leads.rights import actions
from leads.rules import datamap
from tests.factories import PINNED_NOW, ada_everywhere


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
    customer = {n for n, h in datamap.MAP.items() if h.subject == "customer"}
    assert set(document["sections"]) == customer | {f"{n}_names" for n, h in datamap.MAP.items() if h.mentions}
    lead = document["sections"]["lead"]
    assert "Microsoft" in lead["source"] and "46-48" in lead["source"] and "UK South" in lead["recipients"]
    assert "three (3) years" in lead["retention"] and "58-69" in lead["retention"] and "kept until" in lead["retention"]
    letter = archive.read("letter.html").decode()
    wanted = ("legitimate interest", "you agreed to it", "Microsoft sent it to us", "Nobody outside coreMem")
    wanted += ("We will delete yours by", "ICO", "0303 123 1113", "Hi Ada", "25 November 2026 at 9:30am (UK time)")
    for words in wanted:
        assert words in letter, words
    assert "T09:30" not in letter and ".123" not in letter and "None" not in letter


def test_the_portability_bundle_holds_what_the_person_gave_on_consent(session, make_user):
    request, _, actor = ada_everywhere(session, make_user, kind="portability")
    chunks = actions.export(session=session, request=request, kind="portability", actor=actor, now=PINNED_NOW)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    names = set(archive.namelist())
    assert {"marketplace-leads.csv", "consent-history.csv", "your-requests.csv", "manifest.json"} <= names
    assert "installations.csv" not in names and not [name for name in names if "notes" in name]
    assert session.exec(select(Lead)).all() and session.exec(select(MarketingListMember)).all()
