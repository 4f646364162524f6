"""What a lead table entity means: pure parsing of Microsoft's lead format into our fields.

Microsoft documents the customer fields and `LeadSource` (`Source-Action|Offer`) but not the table's
column list (../shared/AZURE.md), so customer details are accepted either as top-level properties or as a
JSON object in `CustomerInfo` / `UserDetails`. Anything else is malformed, with a reason staff can read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ACTION_CODES = {"ins": "INS", "plt": "PLT", "dnc": "DNC", "create": "Create", "starttestdrive": "StartTestDrive"}
CUSTOMER_FIELDS = {
    "first_name": "FirstName",
    "last_name": "LastName",
    "email": "Email",
    "phone": "Phone",
    "country": "Country",
    "company": "Company",
    "job_title": "Title",
}
TEST_MARKER = "MSFT_TEST_"
# Column limits of the lead table (models.Lead) for every column an entity can fill (a test checks they agree);
# longer values are malformed, not silently cut, so one bad entity is quarantined instead of failing its page.
MAX_LENGTHS = {
    "first_name": 200,
    "last_name": 200,
    "email": 254,
    "phone": 100,
    "country": 100,
    "company": 300,
    "job_title": 200,
    "offer": 200,
    "offer_title": 300,
    "lead_source": 300,
    "publisher_display_name": 300,
    "source_channel": 100,
    "action_code": 50,
}


class MalformedLead(ValueError):
    """The entity cannot become a lead; str() is the reason shown on the quarantine page."""


@dataclass(frozen=True)
class ParsedLead:
    """The fields of one lead as Microsoft sent them, parsed."""

    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    country: str | None
    company: str | None
    job_title: str | None
    offer: str | None
    offer_title: str | None
    publisher_display_name: str | None
    lead_source: str | None
    source_channel: str | None
    action_code: str
    description: str | None
    created_at_ms: datetime | None
    is_dnc: bool
    is_test: bool

    def has_personal_data(self) -> bool:
        """Whether any customer field is present (.edu leads arrive with none)."""
        return any(getattr(self, field) for field in CUSTOMER_FIELDS)


def parse(properties: Mapping[str, Any]) -> ParsedLead:
    """Parse one entity's properties; raises MalformedLead with the reason."""
    customer = _customer(properties)
    source, action_from_source, offer = _lead_source(_text(properties.get("LeadSource"), "LeadSource"))
    action = _action_code(_text(properties.get("ActionCode"), "ActionCode") or action_from_source)
    fields = {field: _text(customer.get(key), key) for field, key in CUSTOMER_FIELDS.items()}
    lead = ParsedLead(
        **fields,
        offer=offer,
        offer_title=_text(properties.get("OfferDisplayName") or properties.get("OfferTitle"), "OfferDisplayName"),
        publisher_display_name=_text(properties.get("PublisherDisplayName"), "PublisherDisplayName"),
        lead_source=_text(properties.get("LeadSource"), "LeadSource"),
        source_channel=source,
        action_code=action,
        description=_text(properties.get("Description"), "Description"),
        created_at_ms=_created_time(properties.get("CreatedTime")),
        is_dnc=action == "DNC",
        is_test=_is_test(properties, customer),
    )
    _check(lead)
    return lead


def _customer(properties: Mapping[str, Any]) -> Mapping[str, Any]:
    for key in ("CustomerInfo", "UserDetails"):
        if properties.get(key) in (None, ""):
            continue
        raw = properties[key]
        try:
            value = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError as error:
            raise MalformedLead(f"{key} is not valid JSON ({error.msg} at character {error.pos})") from error
        if not isinstance(value, Mapping):
            raise MalformedLead(f"{key} is JSON but not an object of customer fields")
        return value
    return properties  # the customer fields as top-level properties


def _lead_source(value: str | None) -> tuple[str | None, str | None, str | None]:
    """`Source-Action|Offer` -> (source, action, offer). The source may itself contain '-' or spaces."""
    if not value:
        return None, None, None
    head, _, offer = value.partition("|")
    source, _, action = head.rpartition("-")
    return (source or head or None), (action if source else None), (offer.strip() or None)


def _action_code(value: str | None) -> str:
    if not value:
        raise MalformedLead("no action code (neither ActionCode nor LeadSource names one)")
    code = ACTION_CODES.get(value.strip().lower())
    if code is None:
        raise MalformedLead(f"unknown action code {value!r}; expected one of {', '.join(ACTION_CODES.values())}")
    return code


def _created_time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError as error:
            raise MalformedLead(f"CreatedTime {value!r} is not an ISO 8601 date and time") from error
    try:
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except OverflowError as error:  # e.g. 0001-01-01T00:00:00+01:00: before the first representable instant
        raise MalformedLead(f"CreatedTime {value!r} is out of range") from error


def own_email(properties: Mapping[str, Any]) -> str | None:
    """The entity's own customer address (its `Email` customer field, where `parse` reads it) as written, if it can
    be read at all, else None: whose a quarantined entity is. An address merely mentioned elsewhere (a
    Description saying "referred by ...") is not its owner's."""
    try:
        customer = _customer(properties)
    except MalformedLead:
        return None
    value = customer.get(CUSTOMER_FIELDS["email"])
    return value.strip() or None if isinstance(value, str) and "@" in value else None


def readable_created_time(properties: Mapping[str, Any]) -> datetime | None:
    """The entity's `CreatedTime` if it can be read, else None: a quarantined entity's clock uses it too."""
    try:
        return _created_time(properties.get("CreatedTime"))
    except (MalformedLead, OverflowError):
        return None


def clock_start(
    *,
    created: datetime | None,
    first_seen: datetime,
    timestamp: datetime | None,
    now: datetime,
    earlier: datetime | None = None,
) -> datetime:
    """When a lead's (or a quarantined entity's) 3-year clock starts: the earliest of Microsoft's created
    time, first sight here, the entity's own `Timestamp` and any start it already had (`earlier`).

    A created time or Timestamp after `now` cannot be true and would push the deadline out, so it counts as
    absent (first sight stands in). Passing the previous start as `earlier` means a re-read or a fix at the
    source can only move the start earlier, never later (RULES.md, "clocks").
    """
    candidates = [first_seen, *(moment for moment in (created, timestamp) if moment is not None and moment <= now)]
    if earlier is not None:
        candidates.append(earlier)
    return min(candidates)


def _is_test(properties: Mapping[str, Any], customer: Mapping[str, Any]) -> bool:
    values = [*properties.values(), *customer.values()]
    return any(isinstance(value, str) and value.startswith(TEST_MARKER) for value in values)


def _check(lead: ParsedLead) -> None:
    for field, limit in MAX_LENGTHS.items():
        value = getattr(lead, field)
        if value is not None and len(value) > limit:
            raise MalformedLead(f"{field} is {len(value)} characters long; at most {limit} fit")
    if lead.email is None and lead.has_personal_data():
        raise MalformedLead("missing email: the lead has customer details but no email address")
    if lead.email is not None and "@" not in lead.email and not lead.is_test:
        raise MalformedLead(f"email {lead.email!r} is not an email address")


def _text(value: Any, name: str = "value") -> str | None:
    """Strings trimmed; empty means absent. Other scalars become text; objects and lists are malformed."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise MalformedLead(f"{name} should be text but is a JSON {type(value).__name__}")
    text = str(value).strip()
    if "\x00" in text:  # PostgreSQL text cannot hold NUL: the whole page's INSERT would fail
        raise MalformedLead(f"{name} contains a NUL character")
    return text or None


def corrected(properties: Mapping[str, Any], fields: Mapping[str, str | None]) -> dict[str, Any]:
    """The properties to merge into a lead table entity so that it says what a rectification says: `fields`
    are lead fields (keys of CUSTOMER_FIELDS) with their corrected values. The customer details are written
    where the entity keeps them (a `CustomerInfo` / `UserDetails` JSON object, else top-level properties); a
    cleared field is removed from the JSON, or emptied at the top level (which `parse` reads as absent)."""
    unknown = sorted(set(fields) - set(CUSTOMER_FIELDS))
    if unknown:
        raise ValueError(f"not customer fields: {', '.join(unknown)}")
    for key in ("CustomerInfo", "UserDetails"):
        if properties.get(key) not in (None, ""):
            raw = properties[key]
            customer = dict(json.loads(raw) if isinstance(raw, str) else raw)
            for field, value in fields.items():
                if value is None:
                    customer.pop(CUSTOMER_FIELDS[field], None)
                else:
                    customer[CUSTOMER_FIELDS[field]] = value
            return {key: json.dumps(customer, ensure_ascii=False)}
    return {CUSTOMER_FIELDS[field]: value or "" for field, value in fields.items()}
