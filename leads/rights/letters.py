"""The letter to the person, rendered from `templates/letters/` as HTML, and as a PDF by WeasyPrint.

Rendered without Flask (the export streams outside a request's templates, and the same text must come out of
the preview and the ZIP), by a Jinja environment of its own that autoescapes like Flask's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from leads.rules import letter
from leads.rules.bundle import Section

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
log = logging.getLogger(__name__)


def render(
    *, kind: str, person: Mapping[str, Any], sections: Sequence[Section], now: datetime, contact: str = ""
) -> str:
    """The letter as a complete HTML page with its own print-friendly stylesheet. `contact` is how the person
    writes to us (the PRIVACY_CONTACT setting: lines separated by "|"); empty, the letter says to reply to its
    email."""
    built = letter.build(kind=kind, person=person, sections=sections, now=now)
    lines = [line.strip() for line in contact.split("|") if line.strip()]
    return _ENV.get_template("letters/letter.html").render(letter=built, contact=lines)


def pdf(page: str) -> bytes | None:
    """The same letter as a PDF, or None (logged) where WeasyPrint's system libraries (Pango) are missing."""
    try:
        from weasyprint import HTML  # imported here: it loads Pango, which only the export needs
    except OSError as error:  # pragma: no cover - depends on the machine
        log.warning("letter.pdf left out: WeasyPrint cannot load its libraries (%s)", error)
        return None
    return HTML(string=page).write_pdf()
