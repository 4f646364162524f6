"""The access export and the portability bundle: one ZIP per person, streamed. Pure: no Flask, no database.

Contents: `person.json` (the data, schema-versioned), `schema.json` (its JSON Schema), one spreadsheet-safe
CSV per section, `summary.html` for the person to read, and `manifest.json` last, listing every file with its
SHA-256 and, per section, its purpose, lawful basis and whether it is in portability scope (notice line 36:
data held on legitimate interests is not portable, though the access export still covers it).
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from leads.rules import csvsafe, rights

SCHEMA_ID = "https://radnac.com/schemas/person-export"
SCHEMA_VERSION = "1.0"
COMPLAINTS = (
    "If you have concerns about our use of your data, you can complain to us (privacy notice line 51). If you "
    "remain unhappy, you can complain to the ICO: Information Commissioner's Office, Wycliffe House, Water Lane, "
    "Wilmslow, Cheshire SK9 5AF; helpline 0303 123 1113 (lines 52-55)."
)
KINDS = {"access": "Access export (right of access, line 25)", "portability": "Portability bundle (line 30)"}


@dataclass(frozen=True)
class Section:
    """One kind of record held about the person, and why we hold it.

    `purpose` is the main purpose (a code of rights.PURPOSES); `purposes` all of them when several. `portable`
    overrides the purpose's own answer (the data map says: provided by the person and held on consent).
    `info` is the Art. 15 supplementary information: categories, source, recipients, retention, rights.
    """

    name: str
    title: str
    purpose: str
    fields: Sequence[str]
    rows: Sequence[Mapping[str, Any]]
    purposes: Sequence[str] = ()
    portable_scope: bool | None = None
    info: Mapping[str, Any] = field(default_factory=dict)

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


def stream(
    *, kind: str, person: Mapping[str, Any], sections: Sequence[Section], generated_at: datetime
) -> Iterator[bytes]:
    """The ZIP, chunk by chunk. The manifest is written last, with the SHA-256 of every other file."""
    if kind not in KINDS:
        raise ValueError(f"unknown bundle kind {kind!r}")
    sink, files = _Sink(), []
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in _files(kind, person, sections, generated_at):
            archive.writestr(name, content)
            files.append({"name": name, "bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()})
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
    kind: str, person: Mapping[str, Any], sections: Sequence[Section], generated_at: datetime
) -> Iterable[tuple[str, bytes]]:
    doc = document(kind=kind, person=person, sections=sections, generated_at=generated_at)
    yield "person.json", json.dumps(doc, indent=2, ensure_ascii=False, default=str).encode()
    yield "schema.json", json.dumps(json_schema(), indent=2).encode()
    for section in sections:
        if included(kind, section):
            rows = ([row.get(field) for field in section.fields] for row in section.rows)
            yield f"{section.name}.csv", "".join(csvsafe.write_csv(rows, section.fields)).encode("utf-8-sig")
    yield "summary.html", _summary(doc).encode()


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


def label(name: str) -> str:
    """A field's name as a person reads it."""
    return LABELS.get(name, name.replace("_", " ").capitalize())


INFO_TITLES = {
    "categories": "What it is",
    "source": "Where it came from",
    "recipients": "Who else holds it",
    "retention": "How long we keep it",
    "rights": "Your rights",
    "erasure": "If you ask us to erase it",
}
LABELS = {
    "email": "Email address",
    "created_at_ms": "Created at Microsoft",
    "first_seen_at": "First received by us",
    "action_code": "What you did in the Marketplace",
    "raw": "What Microsoft sent",
    "requester_name": "Your name",
    "requester_email": "Your email address",
    "at": "When",
    "granted": "Consent given",
    "wording_version": "Wording you were shown",
    "list": "Marketing list",
    "reason": "Why we could not read it",
    "fields": "Corrections we are sending to Microsoft",
}


def _summary(doc: Mapping[str, Any]) -> str:
    """A letter the person can read: what we hold, why, on what basis, from where, shared with whom, for how
    long (with their own dates), their rights, and how to complain."""
    e = html.escape
    person = doc["person"]
    parts = [
        f"<!doctype html><meta charset='utf-8'><title>Your data</title><h1>{e(KINDS[doc['kind']])}</h1>",
        f"<p>Dear {e(in_words(person.get('name')))},</p><p>This is everything coreMem Limited holds about you in "
        f"RADNAC Leads, as of {e(in_words(doc['generated_at']))}. For each kind of record we say why we hold it, "
        "on what lawful basis, where it came from, who else holds it, how long we keep it, and your rights.</p>",
    ]
    for section in doc["sections"].values():
        parts.append(_section_html(section))
    if complaints := doc.get("complaints"):
        parts.append(f"<h2>How to complain</h2><p>{e(complaints)}</p>")
    return "\n".join(parts)


def _section_html(section: Mapping[str, Any]) -> str:
    e = html.escape
    why = "; ".join(
        f"{p['purpose']} ({p['lawful_basis'].lower()}, privacy notice lines {p['notice_lines']})"
        for p in section.get("purposes") or [section]
    )
    lines = [f"<h2>{e(section['title'])} ({section['records']})</h2>"]
    lines.append(f"<p><b>Why we hold it:</b> {e(why)}.</p>")
    for key, title in INFO_TITLES.items():
        if section.get(key):
            lines.append(f"<p><b>{title}:</b> {e(str(section[key]))}</p>")
    portability = "yes" if section["portability_scope"] else "no (but it is all in your access export)"
    lines.append(f"<p><b>Covered by the right to data portability:</b> {portability}.</p>")
    for record in section["data"]:
        items = "".join(f"<li>{e(label(str(k)))}: {e(in_words(v))}</li>" for k, v in record.items())
        lines.append(f"<ul>{items}</ul>")
    return "\n".join(lines)
