"""Who a record is about: the data subject ("person") behind leads, found by their normalised email address.

Pure. Rights, consent, restriction and objection belong to the person, not to one record (RULES.md), so
every lead is filed under one person, and two leads are the same person's exactly when their addresses
normalise alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

EMAIL_KEY_LENGTH = 254
# No quote, bracket or separator inside an address, so one in compact JSON ('{"Email":"ada@x.example"}') is found.
_EMAILISH = re.compile(r"[^@\s\"'<>()\[\]{},;:]+@[^@\s\"'<>()\[\]{},;:]+\.[^@\s\"'<>()\[\]{},;:]+")


def normalise_email(email: str | None) -> str | None:
    """The key a person is found by: Unicode NFKC, then case-folded, then trimmed. None for no address.

    NFKC makes compatibility forms alike (a full-width letter is the plain one); casefold is Unicode's caseless match
    ("ß" matches "ss", "Ada@X" matches "ada@x"). The whole address is folded, local part included: the
    RFC lets a mail server tell "Ada" from "ada", but no real one does, and treating them as two people
    would let a withdrawal made under one spelling miss the other.
    """
    if email is None:
        return None
    key = unicodedata.normalize("NFKC", email).casefold().strip()
    return key[:EMAIL_KEY_LENGTH] or None


def emails_in(value: Any) -> Iterator[str]:
    """Every normalised address found in a JSON-like value (a quarantined entity's properties, whose
    customer details may be a nested or even a JSON-in-a-string object), in the order found."""
    if isinstance(value, dict):
        for item in value.values():
            yield from emails_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from emails_in(item)
    elif isinstance(value, str):
        for found in _EMAILISH.findall(value):
            key = normalise_email(found.strip("\"'{}[],:;<>."))
            if key:
                yield key


def needles(*, emails: Iterable[str | None], names: Iterable[tuple[str | None, str | None]]) -> set[str]:
    """What staff's free text names a person by: their normalised addresses and full names ("ada lovelace"),
    casefolded. A first or last name alone is too common to be theirs."""
    found = {key for key in (normalise_email(email) for email in emails) if key}
    for first, last in names:
        full = " ".join(part.strip() for part in (first or "", last or "") if part and part.strip())
        if first and last and full:
            found.add(unicodedata.normalize("NFKC", full).casefold())
    return found


def mentions(text: str | None, wanted: Iterable[str]) -> bool:
    """Whether `text` names anyone by one of `wanted` (from `needles`)."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return any(needle in folded for needle in wanted)
