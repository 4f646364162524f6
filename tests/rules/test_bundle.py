"""The person's ZIP: valid against its schema, checksums that match, portability scope honoured, values exact. Pure."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leads.rules import bundle

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
LETTER = {"letter.html": b"<p>Dear Zo\xc3\xab</p>"}
SECTIONS = [
    bundle.Section(
        "lead",
        "Marketplace leads",
        "service",
        ("first_name", "email", "company"),
        [{"first_name": "Zoë", "email": "zoe@contoso.example", "company": '=HYPERLINK("x")'}],
    ),
    bundle.Section("legalhold", "Legal holds on your records", "queries", ("reason",), []),
    bundle.Section(
        "consentrecord",
        "Marketing consent history",
        "marketing",
        ("purpose", "granted", "at"),
        [{"purpose": "marketing", "granted": True, "at": "2026-10-01T10:00:00+00:00"}],
    ),
]
PERSON = {"email": "zoe@contoso.example", "name": "Zoë Jørgensen"}


def unzip(kind: str) -> zipfile.ZipFile:
    data = b"".join(bundle.stream(kind=kind, person=PERSON, sections=SECTIONS, generated_at=NOW, letter=LETTER))
    return zipfile.ZipFile(io.BytesIO(data))


def test_the_access_export_validates_and_its_checksums_match():
    archive = unzip("access")
    assert archive.namelist() == [
        "letter.html",
        "person.json",
        "schema.json",
        "marketplace-leads.csv",
        "consent-history.csv",
        "manifest.json",
    ]
    document = json.loads(archive.read("person.json"))
    jsonschema.validate(document, json.loads(archive.read("schema.json")))
    manifest = json.loads(archive.read("manifest.json"))
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
        assert entry["what"] and "_" not in entry["what"]
    assert document["sections"]["lead"]["data"][0]["first_name"] == "Zoë"


def test_sections_are_labelled_with_purpose_basis_and_portability():
    manifest = json.loads(unzip("access").read("manifest.json"))
    leads, consent = manifest["sections"]["lead"], manifest["sections"]["consentrecord"]
    assert (leads["lawful_basis"], leads["portability_scope"]) == ("Legitimate interests", False)
    assert (consent["lawful_basis"], consent["portability_scope"]) == ("Consent", True)


def test_the_portability_bundle_leaves_out_legitimate_interests_data():
    archive = unzip("portability")
    assert "marketplace-leads.csv" not in archive.namelist() and "consent-history.csv" in archive.namelist()
    document = json.loads(archive.read("person.json"))
    jsonschema.validate(document, json.loads(archive.read("schema.json")))
    assert document["sections"]["lead"] == {**document["sections"]["lead"], "included": False, "data": []}


def test_the_persons_csv_keeps_values_exact_and_empty_kinds_have_no_file():
    archive = unzip("access")
    text = archive.read("marketplace-leads.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [["first_name", "email", "company"], ["Zoë", "zoe@contoso.example", '=HYPERLINK("x")']]
    assert not [name for name in archive.namelist() if "legal" in name]


TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=3000)
VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(), TEXT, st.sampled_from(["=1+1", "+44 20 7946 4912", "-5", "@SUM(A1)"])
)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.fixed_dictionaries({"first_name": VALUE, "phone": VALUE, "company": TEXT}), max_size=4))
def test_the_portability_json_and_csv_round_trip_every_value_exactly(rows):
    fields = ("first_name", "phone", "company")
    section = bundle.Section("consentrecord", "Consent", "marketing", fields, rows)
    chunks = bundle.stream(kind="portability", person=PERSON, sections=[section], generated_at=NOW)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert json.loads(archive.read("person.json"))["sections"]["consentrecord"]["data"] == rows
    if rows:
        text = archive.read("consent-history.csv").decode("utf-8-sig")
        cells = list(csv.reader(io.StringIO(text, newline="")))[1:]
        assert cells == [["" if r[f] is None else str(r[f]) for f in fields] for r in rows]


def test_it_streams_in_several_chunks_and_refuses_unknown_kinds():
    chunks = list(bundle.stream(kind="access", person=PERSON, sections=SECTIONS, generated_at=NOW, letter=LETTER))
    assert len([c for c in chunks if c]) >= 5
    with pytest.raises(ValueError):
        list(bundle.stream(kind="everything", person=PERSON, sections=SECTIONS, generated_at=NOW))
