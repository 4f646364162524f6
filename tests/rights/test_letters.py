"""The letter to the person: no word of ours in it, plain English (Flesch reading ease >= 60), UK dates, and
the same text in the ZIP as a PDF. Rendered for a person we hold much about and one we hold nothing about."""

from __future__ import annotations

import html
import io
import re
import zipfile

import pytest
import textstat
from sqlmodel import SQLModel

from leads.rights import actions, letters
from leads.rules import consent, intake, letter, rights
from tests.factories import PINNED_NOW, ada_in_full, nobody

PLAIN_WORDS = {"person", "installation", "rectification", "user", "tombstone"}  # table names that are English
OURS = re.compile(r"\b[\w-]+\.(?:py|md|json|csv|txt|html)\b|\bRULES\b|\blines? \d+|\d{4}-\d{2}-\d{2}|\bUTC\b")


def _ours() -> tuple[set[str], set[str]]:
    """Words of ours: (case-insensitive: table names; case-sensitive: columns and stored codes)."""
    tables = {name for name in SQLModel.metadata.tables if name not in PLAIN_WORDS} | {"lead", "leads"}
    columns = {c.name for t in SQLModel.metadata.tables.values() for c in t.columns if "_" in c.name}
    codes = set(intake.ACTION_CODES.values()) | set(letter.CHANNELS) | set(letter.OFFERS)
    codes |= {code for code in [*rights.STATUSES, *consent.METHOD_LABELS, *rights.RIGHTS] if "_" in code}
    return tables, columns | codes


def _letter(session, make_user, who: str, kind: str) -> str:
    """The letter staff preview; for nobody (whom no export is offered for) rendered from what is held."""
    if who == "rich":
        request = ada_in_full(session, make_user, kind)[0]
        return actions.letter(session=session, request=request, kind=kind, now=PINNED_NOW)
    request = nobody(session, make_user, kind)[0]
    parts = actions.sections(session=session, request=request)
    return letters.render(kind=kind, person=actions.addressee(request), sections=parts, now=PINNED_NOW)


def _prose(page: str) -> str:
    paragraphs = re.findall(r"<(?:p|li)\b[^>]*>(.*?)</(?:p|li)>", page, flags=re.S)
    return "\n".join(html.unescape(re.sub(r"<[^>]+>", " ", text)) for text in paragraphs)


@pytest.mark.parametrize("kind", ["access", "portability"])
@pytest.mark.parametrize("who", ["rich", "empty"])
def test_the_letter_has_no_word_of_ours_and_reads_as_plain_english(session, make_user, who, kind):
    page = _letter(session, make_user, who, kind)
    text = html.unescape(re.sub(r"<style>.*?</style>|<[^>]+>", " ", page, flags=re.S))
    tables, exact = _ours()
    found = [w for w in tables if re.search(rf"\b{re.escape(w)}\b", text, re.I)]
    found += [w for w in exact if re.search(rf"(?<![\w.]){re.escape(w)}(?![\w])", text)]
    found += OURS.findall(text)
    assert not found, found
    assert "25 November 2026 at 9:30am (UK time)" in text and "0303 123 1113" in text and "SK9 5AF" in text
    score = textstat.flesch_reading_ease(_prose(page))
    assert score >= 60, score


def test_the_rich_letter_says_what_microsoft_sent_and_when_in_words(session, make_user):
    text = _letter(session, make_user, "rich", "access")
    said = "as Microsoft sent them when you asked us to contact you for RADNAC in Azure Marketplace on 17 November"
    assert said in text
    assert "when you started an install" in text and "We will delete yours by 17 November 2029" in text
    assert "To send you news and offers" in text and "ask for a copy to move to another organisation" in text


def test_the_portability_letter_holds_only_what_portability_covers(session, make_user):
    text = _letter(session, make_user, "rich", "portability")
    assert "holds only what you gave us and what we hold because you agreed to it" in text
    assert "Azure Marketplace" in text and "install of RADNAC" not in text and "legitimate interest" not in text


def test_the_zip_carries_the_same_letter_as_html_and_pdf(session, make_user):
    request, _, actor = ada_in_full(session, make_user)
    preview = actions.letter(session=session, request=request, kind="access", now=PINNED_NOW)
    chunks = actions.export(session=session, request=request, kind="access", actor=actor, now=PINNED_NOW)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.read("letter.html").decode() == preview
    assert archive.read("letter.pdf").startswith(b"%PDF-")


CONTACT = "The privacy team, coreMem Limited|1 Example Street, Cambridge CB1 1AA|privacy@radnac.example"


def test_the_letter_gives_the_address_to_write_to_when_one_is_set(session, make_user):
    """The notice sends people to "the contact details at the top"; the letter carries them (PRIVACY_CONTACT),
    line by line, and still reads as plain English; unset, it sends them to the privacy notice."""
    request = ada_in_full(session, make_user)[0]
    page = actions.letter(session=session, request=request, kind="access", now=PINNED_NOW, contact=CONTACT)
    prose = _prose(page)
    assert "or write to us:\nThe privacy team, coreMem Limited 1 Example Street, Cambridge CB1 1AA" in prose
    assert "coreMem Limited<br>1 Example Street, Cambridge CB1 1AA<br>privacy@radnac.example</p>" in page  # a line each
    assert "privacy@radnac.example" in prose and "|" not in prose and "privacy notice" not in prose
    assert textstat.flesch_reading_ease(prose) >= 60
    unset = _prose(actions.letter(session=session, request=request, kind="access", now=PINNED_NOW))
    assert "write to us using the details in our privacy notice" in unset and "Example Street" not in unset


def test_staff_preview_and_the_bundle_carry_the_configured_address(app, client, auth, session, make_user):
    app.config["PRIVACY_CONTACT"] = CONTACT
    request = ada_in_full(session, make_user)[0]
    auth.login("support")
    preview = client.get(f"/rights/{request.id}/letter/access").get_data(as_text=True)
    assert "1 Example Street, Cambridge CB1 1AA" in preview
    bundle = client.post(f"/rights/{request.id}/bundle/access")
    letter_html = zipfile.ZipFile(io.BytesIO(bundle.get_data())).read("letter.html").decode()
    assert "1 Example Street, Cambridge CB1 1AA" in letter_html
