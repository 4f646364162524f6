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
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leads.rules import csvsafe, rights

SCHEMA_ID = "https://radnac.com/schemas/person-export"
SCHEMA_VERSION = "1.0"
KINDS = {"access": "Access export (right of access, line 25)", "portability": "Portability bundle (line 30)"}


@dataclass(frozen=True)
class Section:
    """One kind of record held about the person, and why we hold it."""

    name: str
    title: str
    purpose: str  # a code of rights.PURPOSES
    fields: Sequence[str]
    rows: Sequence[Mapping[str, Any]]

    @property
    def portable(self) -> bool:
        """Whether the right to data portability covers this section (not for legitimate interests)."""
        return "portability" not in rights.PURPOSES[self.purpose].excluded


def describe(section: Section, included: bool) -> dict[str, Any]:
    """The manifest's and document's label for a section."""
    purpose = rights.PURPOSES[section.purpose]
    return {
        "title": section.title,
        "purpose": purpose.label,
        "purpose_code": section.purpose,
        "lawful_basis": rights.BASES[purpose.basis],
        "notice_lines": purpose.lines,
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
        "sections": {
            s.name: {**describe(s, included(kind, s)), "data": [dict(r) for r in s.rows] if included(kind, s) else []}
            for s in sections
        },
    }


def json_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of `person.json`."""
    section = {
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
            "sections": {"type": "object", "additionalProperties": section},
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


def _summary(doc: Mapping[str, Any]) -> str:
    """A plain page the person can read: what we hold, why, and on what basis."""
    parts = [
        f"<!doctype html><meta charset='utf-8'><title>Your data</title><h1>{html.escape(KINDS[doc['kind']])}</h1>",
        f"<p>Generated {html.escape(doc['generated_at'])} by coreMem Limited.</p>",
    ]
    for section in doc["sections"].values():
        parts.append(
            f"<h2>{html.escape(section['title'])} ({section['records']})</h2><p>Why: "
            f"{html.escape(section['purpose'])}. Basis: {html.escape(section['lawful_basis'])} (privacy notice "
            f"lines {html.escape(section['notice_lines'])}). Portability: "
            f"{'yes' if section['portability_scope'] else 'no, but included in your access export'}.</p>"
        )
        for record in section["data"]:
            items = "".join(f"<li>{html.escape(str(k))}: {html.escape(str(v))}</li>" for k, v in record.items())
            parts.append(f"<ul>{items}</ul>")
    return "\n".join(parts)
