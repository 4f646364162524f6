"""Marketing email text: a template filled in for one person, its HTML twin, and the signed unsubscribe token.

Pure: standard library only. A template names the person only through `PLACEHOLDERS` (`{first_name}` ...);
anything else in braces is left as typed. The unsubscribe token names the person, the purpose and the message
by id (never an address), and is signed with HMAC-SHA256 under a key derived from the app's secret, so a
forged or altered token is refused and the URL reveals nothing about who received it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

PLACEHOLDERS = ("first_name", "last_name", "company")
FALLBACK = {"first_name": "there", "last_name": "", "company": "your company"}
_FIELD = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
TOKEN_CONTEXT = b"radnac-leads/unsubscribe/v1"
MAX_TOKEN = 200  # longer than any token we sign: a longer one is refused before it is decoded
FOOTER = "You get this email because you agreed to hear from us. To stop at once, open: {url}"


def fill(template: str, fields: Mapping[str, str | None]) -> str:
    """`template` with each placeholder replaced by the person's value (or a neutral word when it is empty)."""
    return _FIELD.sub(lambda match: (fields.get(match.group(1)) or "").strip() or FALLBACK[match.group(1)], template)


def text_body(body: str, unsubscribe_url: str) -> str:
    """The plain-text part: the filled-in body, then the visible unsubscribe line."""
    return f"{body.rstrip()}\n\n-- \n{FOOTER.format(url=unsubscribe_url)}\n"


def html_body(body: str, unsubscribe_url: str) -> str:
    """The HTML part: the same words, escaped, a paragraph per blank-line block, and the unsubscribe link."""
    paragraphs = [block.strip() for block in re.split(r"\n\s*\n", body.strip()) if block.strip()]
    shown = "".join(f"<p>{html.escape(block).replace(chr(10), '<br>')}</p>" for block in paragraphs)
    link = f'<a href="{html.escape(unsubscribe_url)}">Unsubscribe</a>'
    footer = html.escape(FOOTER.format(url="")).rstrip(": ")
    return f'<!doctype html><html><body>{shown}<hr><p style="font-size:small">{footer}: {link}</p></body></html>'


@dataclass(frozen=True)
class Token:
    """What an unsubscribe link is about: the person, the purpose they withdraw, the message it came in."""

    person_id: int
    purpose: str
    message_id: int


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), TOKEN_CONTEXT, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def sign(token: Token, *, secret: str) -> str:
    """The token as it goes in a URL: `<payload>.<signature>`, URL-safe, no address in it."""
    payload = _b64(f"{token.person_id}.{token.purpose}.{token.message_id}".encode())
    signature = hmac.new(_key(secret), payload.encode(), hashlib.sha256).digest()[:16]
    return f"{payload}.{_b64(signature)}"


def verify(text: str, *, secret: str) -> Token | None:
    """The token `text` carries if we signed it with `secret`, else None (forged, altered, truncated, junk)."""
    if len(text) > MAX_TOKEN or text.count(".") != 1:
        return None
    payload, signature = text.split(".")
    expected = _b64(hmac.new(_key(secret), payload.encode(), hashlib.sha256).digest()[:16])
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        return None
    try:
        person, purpose, message = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode().split(".")
        return Token(int(person), purpose, int(message))
    except ValueError:
        return None
