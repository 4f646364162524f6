"""The access export and the portability bundle: one ZIP per person, streamed. Pure: no Flask, no database.

Contents: the letter the person reads (`letter.html`, and `letter.pdf` when the caller could render one),
`person.json` (the data exactly as held, schema-versioned), `schema.json` (its JSON Schema), one CSV per kind of
record the person has rows of, named for what it holds (`marketplace-leads.csv`), and `manifest.json` last,
listing every file with its SHA-256 and what it is in words and, per section, its purpose, lawful basis and
whether it is in portability scope (notice line 36: data held on legitimate interests is not portable, though
the access export still covers it). The person's CSVs keep values exactly as held: the spreadsheet formula
guard (`csvsafe`) is for staff exports, and here it would change the copy portability exists for.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from leads.rules import rights

SCHEMA_ID = "https://radnac.com/schemas/person-export"
SCHEMA_VERSION = "1.0"
COMPLAINTS = (
    "If you have concerns about our use of your data, you can complain to us (privacy notice line 51). If you "
    "remain unhappy, you can complain to the ICO: Information Commissioner's Office, Wycliffe House, Water Lane, "
    "Wilmslow, Cheshire SK9 5AF; helpline 0303 123 1113 (lines 52-55)."
)
KINDS = {"access": "Access export (right of access, line 25)", "portability": "Portability bundle (line 30)"}
# Each kind of record's CSV, named for what it holds; a kind not named here is named from its title.
CSV_NAMES = {
    "person": "you",
    "lead": "marketplace-leads",
    "leadnote": "notes-about-our-contact-with-you",
    "consentrecord": "consent-history",
    "marketinglistmember": "marketing-lists",
    "marketingemail": "marketing-emails",
    "installation": "installations",
    "installevent": "install-notifications",
    "supportgrant": "support-access-permissions",
    "grantcommunication": "support-access-messages",
    "grantdata": "support-access-data",
    "quarantinedentity": "lead-details-we-could-not-read",
    "rightsrequest": "your-requests",
    "requestpause": "questions-about-your-requests",
    "requeststep": "steps-on-your-requests",
    "sourcecorrection": "corrections-to-send-to-microsoft",
    "requestlead": "records-your-requests-cover",
    "rectification": "corrections",
    "personlink": "records-we-matched-to-you",
    "legalhold": "legal-holds",
}
FILES = {
    "letter.html": "A letter to you saying what we hold about you, why, and what you can do (open it in a browser).",
    "letter.pdf": "The same letter as a PDF, to print or keep.",
    "person.json": "Everything in this download, exactly as we hold it, for computers to read.",
    "schema.json": "A description of person.json's layout (JSON Schema), for computers to read.",
}


@dataclass(frozen=True)
class Section:
    """One kind of record held about the person, and why we hold it.

    `purpose` is the main purpose (a code of rights.PURPOSES); `purposes` all of them when several. `portable`
    overrides the purpose's own answer (the data map says: provided by the person and held on consent).
    `info` is the Art. 15 supplementary information: categories, source, recipients, retention, rights.
    `facts` are the same as codes and dates, for the letter to put into words (never written to a file).
    """

    name: str
    title: str
    purpose: str
    fields: Sequence[str]
    rows: Sequence[Mapping[str, Any]]
    purposes: Sequence[str] = ()
    portable_scope: bool | None = None
    info: Mapping[str, Any] = field(default_factory=dict)
    facts: Mapping[str, Any] = field(default_factory=dict)  # for the letter only: source, recipients, retention

    @property
    def portable(self) -> bool:
        """Whether the right to data portability covers this section (not for legitimate interests)."""
        if self.portable_scope is not None:
            return self.portable_scope
        return "portability" not in rights.PURPOSES[self.purpose].excluded


def describe(section: Section, included: bool) -> dict[str, Any]:
    """The manifest's and document's label for a section."""
    purpose = rights.PURPOSES[section.purpose]
    every = [rights.PURPOSES[code] for code in (section.purposes or (section.purpose,))]
    return {
        "title": section.title,
        "purpose": purpose.label,
        "purpose_code": section.purpose,
        "lawful_basis": rights.BASES[purpose.basis],
        "notice_lines": purpose.lines,
        "purposes": [
            {"purpose": p.label, "lawful_basis": rights.BASES[p.basis], "notice_lines": p.lines} for p in every
        ],
        **section.info,
        "portability_scope": section.portable,
        "included": included,
        "records": len(section.rows),
    }


def included(kind: str, section: Section) -> bool:
    """The access export has everything; the portability bundle only what portability covers."""
    return kind == "access" or section.portable


def document(*, kind: str, person: Mapping[str, Any], sections: Sequence[Section], generated_at: datetime) -> dict:
    """The JSON document (matches `json_schema()`)."""
    return {
        "$schema": f"{SCHEMA_ID}/{SCHEMA_VERSION}",
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "generated_at": generated_at.isoformat(),
        "person": dict(person),
        "complaints": COMPLAINTS,
        "sections": {
            s.name: {**describe(s, included(kind, s)), "data": [dict(r) for r in s.rows] if included(kind, s) else []}
            for s in sections
        },
    }


def json_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of `person.json`."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_ID}/{SCHEMA_VERSION}",
        "title": "Everything RADNAC Leads holds about one person",
        "type": "object",
        "required": ["$schema", "schema_version", "kind", "generated_at", "person", "sections"],
        "properties": {
            "$schema": {"type": "string"},
            "schema_version": {"const": SCHEMA_VERSION},
            "kind": {"enum": sorted(KINDS)},
            "generated_at": {"type": "string", "format": "date-time"},
            "person": {"type": "object"},
            "sections": {"type": "object", "additionalProperties": _section_schema()},
        },
    }


def _section_schema() -> dict[str, Any]:
    """The schema of one section: its purpose, lawful basis and portability scope, and its rows."""
    return {
        "type": "object",
        "required": ["title", "purpose", "lawful_basis", "portability_scope", "included", "records", "data"],
        "properties": {
            "title": {"type": "string"},
            "purpose": {"type": "string"},
            "purpose_code": {"enum": sorted(rights.PURPOSES)},
            "lawful_basis": {"enum": sorted(rights.BASES.values())},
            "notice_lines": {"type": "string"},
            "portability_scope": {"type": "boolean"},
            "included": {"type": "boolean"},
            "records": {"type": "integer", "minimum": 0},
            "data": {"type": "array", "items": {"type": "object"}},
        },
    }


class _Sink(io.RawIOBase):
    """A write-only stream that hands over what was written, so the ZIP can be streamed as it is built."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        data, self._chunks = b"".join(self._chunks), []
        return data


def csv_name(section: Section) -> str:
    """The file a section's rows are written to, named for what they are."""
    slug = "-".join("".join(c if c.isalnum() else " " for c in section.title.lower()).split())
    return f"{CSV_NAMES.get(section.name, slug)}.csv"


def stream(
    *,
    kind: str,
    person: Mapping[str, Any],
    sections: Sequence[Section],
    generated_at: datetime,
    letter: Mapping[str, bytes] | None = None,
) -> Iterator[bytes]:
    """The ZIP, chunk by chunk: `letter` (file name -> content, e.g. "letter.html") first, then the data; the
    manifest last, with the SHA-256 of every other file and what it is."""
    if kind not in KINDS:
        raise ValueError(f"unknown bundle kind {kind!r}")
    sink, files = _Sink(), []
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content, what in _files(kind, person, sections, generated_at, letter or {}):
            archive.writestr(name, content)
            digest = hashlib.sha256(content).hexdigest()
            files.append({"name": name, "what": what, "bytes": len(content), "sha256": digest})
            yield sink.drain()
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "kind": kind,
            "generated_at": generated_at.isoformat(),
            "files": files,
            "sections": {s.name: describe(s, included(kind, s)) for s in sections},
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2).encode())
    yield sink.drain()


def _files(
    kind: str, person: Mapping[str, Any], sections: Sequence[Section], generated_at: datetime, letter: Mapping
) -> Iterable[tuple[str, bytes, str]]:
    for name, content in letter.items():
        yield name, content, FILES.get(name, "Part of the letter to you.")
    doc = document(kind=kind, person=person, sections=sections, generated_at=generated_at)
    yield "person.json", json.dumps(doc, indent=2, ensure_ascii=False, default=str).encode(), FILES["person.json"]
    yield "schema.json", json.dumps(json_schema(), indent=2).encode(), FILES["schema.json"]
    for section in sections:
        if included(kind, section) and section.rows:
            what = f"{section.title}: one row per record, values exactly as we hold them (the same as person.json)."
            yield csv_name(section), exact_csv(section), what


def exact_csv(section: Section) -> bytes:
    """A section's rows as UTF-8 CSV (with a byte-order mark, so spreadsheets read accents), values exactly as
    held: None is an empty cell; nothing is prefixed or changed."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(section.fields)
    for row in section.rows:
        writer.writerow(["" if row.get(f) is None else row.get(f) for f in section.fields])
    return out.getvalue().encode("utf-8-sig")


def in_words(value: Any) -> str:
    """A value as a letter says it: dates in words (no microseconds), yes/no, "not supplied" for nothing."""
    if value is None or value == "":
        return "not supplied"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            value = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return f"{value.day} {value:%B %Y} at {value:%H:%M} UTC"
    if isinstance(value, date):
        return f"{value.day} {value:%B %Y}"
    return str(value)
