"""The letter a person reads with their access export or portability bundle: what we hold, grouped by why we
hold it, every stored code put into words and every date in UK time. Pure: the caller passes `now`.

This module decides what goes where and translates; the sentences themselves are in `templates/letters/`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from leads.rules import consent, rights, uktime
from leads.rules.bundle import Section
from leads.rules.purposes import PURPOSES

# Microsoft's action codes (AZURE.md), as the person would say what they did.
ACTIONS = {
    "INS": "you started an install",
    "PLT": "you asked us to contact you",
    "Create": "you bought it in the Azure portal",
    "StartTestDrive": "you started a test drive",
    "DNC": "you asked another Microsoft partner to contact you",
}
CHANNELS = {
    "AzureMarketplace": "Azure Marketplace",
    "AzurePortal": "the Azure portal",
    "AppSource (SPZA)": "Microsoft AppSource",
    "SPZA": "Microsoft AppSource",
    "TestDrive": "a Marketplace test drive",
}
OFFERS = {
    "coremem.radnac": "RADNAC",
    "coremem.radnac-enterprise": "RADNAC Enterprise",
    "coremem.radnac-trial": "RADNAC Trial",
}
# The contact details a lead can carry, in the order a person lists them.
CONTACT = (
    ("first_name", "name"),
    ("email", "email address"),
    ("phone", "phone number"),
    ("country", "country"),
    ("company", "company name"),
    ("job_title", "job title"),
)
FIELDS = {"first_name": "first name", "last_name": "last name", "job_title": "job title", "phone": "phone number"}
FIELDS |= {"email": "email address", "company": "company name", "country": "country"}
# How consent was given, as "you ..." goes on; "other" says nothing (its evidence is in the data files).
HOW = {code: label.lower() for code, label in consent.METHODS if code != "other"}
# The order the purposes are told in: why most of the data is held first.
ORDER = ("service", "marketing", "accounts", "queries")


@dataclass(frozen=True)
class Item:
    """One kind of record in the letter: `name` picks its words in the template; `records` are in words."""

    name: str
    records: tuple[Mapping[str, Any], ...]
    source: str
    recipients: str
    retention: str
    kept_until: str  # this person's own dates, in words ("20 October 2029 and 22 November 2029"); "" if none
    portable: bool = False  # in portability scope (held for a consent-based purpose too)


@dataclass(frozen=True)
class Group:
    """Everything held for one purpose (a key of purposes.PURPOSES) and the rights that purpose leaves."""

    purpose: str
    consent: bool
    rights: tuple[str, ...]
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Letter:
    kind: str
    name: str
    email: str
    dated: str
    groups: tuple[Group, ...]


def day(value: Any) -> str:
    """A date or an instant (or its ISO text) as a UK reader says the day: "17 November 2026"; "" for none."""
    if isinstance(value, str) and value:
        value = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = uktime.today(value)
    return f"{value.day} {value:%B %Y}" if isinstance(value, date) else ""


def moment(at: datetime) -> str:
    """An instant in UK time, as a letter dates itself: "25 November 2026 at 9:30am (UK time)"."""
    local = at.astimezone(uktime.LONDON)
    return f"{day(at)} at {local.hour % 12 or 12}:{local:%M}{'am' if local.hour < 12 else 'pm'} (UK time)"


def build(*, kind: str, person: Mapping[str, Any], sections: Sequence[Section], now: datetime) -> Letter:
    """The letter for `person`: one group per purpose with something in it, in ORDER; a portability letter
    holds only what portability covers."""
    grouped: dict[str, list[Item]] = {}
    for section in sections:
        if section.rows and (kind == "access" or section.portable):
            grouped.setdefault(_purpose(kind, section), []).append(_item(section))
    groups = tuple(
        Group(code, PURPOSES[code].needs_consent, _rights(code), tuple(items))
        for code in ORDER
        if (items := grouped.get(code))
    )
    return Letter(kind, str(person.get("name") or ""), str(person.get("email") or ""), moment(now), groups)


def _purpose(kind: str, section: Section) -> str:
    """The purpose a section is told under: its main one, or in a portability letter the consent-based one
    that puts it in scope (so no group there lacks the right it answers)."""
    if kind == "access":
        return section.purpose
    return next((p for p in (*section.purposes, section.purpose) if PURPOSES[p].needs_consent), section.purpose)


def _rights(purpose: str) -> tuple[str, ...]:
    return tuple(code for code in rights.RIGHTS if code not in PURPOSES[purpose].excluded)


def _item(section: Section) -> Item:
    facts = section.facts
    kept = sorted({until for until in facts.get("until", ()) if until})
    return Item(
        section.name,
        tuple(words(section.name, row) for row in section.rows),
        str(facts.get("source", "")),
        str(facts.get("recipients", "")),
        str(facts.get("retention", "")),
        _and([day(until) for until in kept]),
        section.portable,
    )


def words(name: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """One record's values as the letter says them (keys the template for `name` reads)."""
    if name == "lead":
        return _lead(row)
    if name == "consentrecord":
        return {
            "agreed": bool(row.get("granted")),
            "purpose": row.get("purpose"),
            "on": day(row.get("at")),
            "how": HOW.get(str(row.get("method")), ""),
        }
    if name == "rightsrequest":
        return {"right": row.get("kind"), "on": day(row.get("received_on")), "closed": day(row.get("closed_on"))}
    if name == "rectification":
        field = str(row.get("field"))
        return {"field": FIELDS.get(field, "details"), "old": row.get("old_value"), "new": row.get("new_value")}
    return {key: _dated(value) for key, value in row.items()}


def _dated(value: Any) -> Any:
    """An ISO date or timestamp as a day in words; anything else as it is."""
    if not (isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-"):
        return value
    try:
        return day(value)
    except ValueError:
        return value


def _lead(row: Mapping[str, Any]) -> dict[str, Any]:
    held = [label for key, label in CONTACT if row.get(key)]
    if row.get("last_name") and not row.get("first_name"):
        held.insert(0, "name")
    offer = OFFERS.get(str(row.get("offer")), row.get("offer_title") or "RADNAC")
    channel = str(row.get("lead_source") or "").split("-", 1)[0]
    return {
        "details": _listed(held) or "no contact details",
        "action": ACTIONS.get(str(row.get("action_code")), "you showed interest in it"),
        "offer": offer,
        "where": CHANNELS.get(channel, "Microsoft's marketplace"),
        "on": day(row.get("created_at_ms") or row.get("first_seen_at")),
    }


def _and(phrases: Sequence[str]) -> str:
    """["a", "b", "c"] -> "a, b and c"; "" for none."""
    unique = list(dict.fromkeys(phrases))
    return ", ".join(unique[:-1]) + (" and " if len(unique) > 1 else "") + (unique[-1] if unique else "")


def _listed(phrases: Sequence[str]) -> str:
    """["name", "email address", "phone number"] -> "your name, email address and phone number"."""
    return f"your {_and(phrases)}" if phrases else ""
