"""The person's ZIP: valid against its schema, checksums that match, portability scope honoured. Pure."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime

import jsonschema
import pytest

from leads.rules import bundle

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
SECTIONS = [
    bundle.Section(
        "leads",
        "Marketplace leads",
        "service",
        ("first_name", "email", "company"),
        [{"first_name": "Zoë", "email": "zoe@contoso.example", "company": '=HYPERLINK("x")'}],
    ),
    bundle.Section(
        "consent",
        "Marketing consent history",
        "marketing",
        ("purpose", "granted", "at"),
        [{"purpose": "marketing", "granted": True, "at": "2026-10-01T10:00:00+00:00"}],
    ),
]
PERSON = {"email": "zoe@contoso.example", "name": "Zoë Jørgensen"}


def unzip(kind: str) -> zipfile.ZipFile:
    data = b"".join(bundle.stream(kind=kind, person=PERSON, sections=SECTIONS, generated_at=NOW))
    return zipfile.ZipFile(io.BytesIO(data))


def test_the_access_export_validates_and_its_checksums_match():
    archive = unzip("access")
    assert archive.namelist() == [
        "person.json",
        "schema.json",
        "leads.csv",
        "consent.csv",
        "summary.html",
        "manifest.json",
    ]
    document = json.loads(archive.read("person.json"))
    jsonschema.validate(document, json.loads(archive.read("schema.json")))
    manifest = json.loads(archive.read("manifest.json"))
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
    assert document["sections"]["leads"]["data"][0]["first_name"] == "Zoë"


def test_sections_are_labelled_with_purpose_basis_and_portability():
    manifest = json.loads(unzip("access").read("manifest.json"))
    leads, consent = manifest["sections"]["leads"], manifest["sections"]["consent"]
    assert (leads["lawful_basis"], leads["portability_scope"]) == ("Legitimate interests", False)
    assert (consent["lawful_basis"], consent["portability_scope"]) == ("Consent", True)


def test_the_portability_bundle_leaves_out_legitimate_interests_data():
    archive = unzip("portability")
    assert "leads.csv" not in archive.namelist() and "consent.csv" in archive.namelist()
    document = json.loads(archive.read("person.json"))
    jsonschema.validate(document, json.loads(archive.read("schema.json")))
    assert document["sections"]["leads"] == {**document["sections"]["leads"], "included": False, "data": []}


def test_csv_cells_are_spreadsheet_safe():
    text = unzip("access").read("leads.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][2] == '\'=HYPERLINK("x")'


def test_the_summary_escapes_html():
    sections = [bundle.Section("leads", "Leads", "service", ("first_name",), [{"first_name": "<script>x</script>"}])]
    data = b"".join(bundle.stream(kind="access", person=PERSON, sections=sections, generated_at=NOW))
    summary = zipfile.ZipFile(io.BytesIO(data)).read("summary.html").decode()
    assert "<script>x" not in summary and "&lt;script&gt;" in summary


def test_it_streams_in_several_chunks_and_refuses_unknown_kinds():
    chunks = list(bundle.stream(kind="access", person=PERSON, sections=SECTIONS, generated_at=NOW))
    assert len([c for c in chunks if c]) >= 5
    with pytest.raises(ValueError):
        list(bundle.stream(kind="everything", person=PERSON, sections=SECTIONS, generated_at=NOW))
