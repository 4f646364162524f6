"""What a managed-application notification says: pure validation of Azure's documented payloads.

Source: Microsoft Learn, "Azure managed applications with notifications" (../shared/AZURE.md, section 2).
Anything outside the documented schema is rejected with a reason, so a bad body writes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from leads.rules import lifecycle

MAX_TEXT = 1024
MAX_DETAILS = 50
#: The longest value each stored field may have: what its column holds (leads/models.py; a test checks they
#: agree), so a long value is refused with a reason here instead of failing in the database. Others: MAX_TEXT.
MAX_LENGTHS = {
    "applicationId": 1024,
    "applicationDefinitionId": 1024,
    "subscription": 64,
    "resourceGroup": 255,
    "application": 255,
    "plan.publisher": 200,
    "plan.product": 200,
    "plan.name": 200,
    "plan.version": 100,
    "billingDetails.resourceUsageId": 200,
    "error.code": 200,
}


class InvalidNotification(ValueError):
    """The body is not a documented notification; str() is the reason returned to the caller."""


@dataclass(frozen=True)
class Notification:
    """One validated notification."""

    event_type: str
    provisioning_state: str
    application_id: str
    subscription_id: str
    resource_group: str
    application_name: str
    event_time: datetime
    application_definition_id: str | None
    plan: Mapping[str, str | None]
    billing_resource_usage_id: str | None
    error_code: str | None
    error_message: str | None
    error_details: tuple[Mapping[str, str | None], ...]

    @property
    def dedupe_key(self) -> str:
        """The same notification delivered again has the same key (Azure retries for up to 10 hours)."""
        identity = [
            self.application_id.strip("/").lower(),
            self.event_type,
            self.provisioning_state,
            self.event_time.isoformat(),
        ]
        return hashlib.sha256(json.dumps(identity).encode()).hexdigest()


def parse(body: Any) -> Notification:
    """Validate a decoded JSON body; raises InvalidNotification with the reason."""
    if not isinstance(body, Mapping):
        raise InvalidNotification("the body must be a JSON object")
    event_type, state = _event(body)
    application_id, subscription, group, name = _application(_required(body, "applicationId"))
    error_code, error_message, details = _error(body.get("error"))
    billing = _object(body, "billingDetails")
    plan = _object(body, "plan")
    return Notification(
        event_type=event_type,
        provisioning_state=state,
        application_id=application_id,
        subscription_id=subscription,
        resource_group=group,
        application_name=name,
        event_time=_event_time(_required(body, "eventTime")),
        application_definition_id=_optional(body, "applicationDefinitionId"),
        plan={key: _optional(plan, key, f"plan.{key}") for key in ("publisher", "product", "name", "version")},
        billing_resource_usage_id=_optional(billing, "resourceUsageId", "billingDetails.resourceUsageId"),
        error_code=error_code,
        error_message=error_message,
        error_details=details,
    )


def _event(body: Mapping[str, Any]) -> tuple[str, str]:
    """(eventType, provisioningState), spelled as documented, if they make a documented pair."""
    event_type = _required(body, "eventType").upper()
    state = _required(body, "provisioningState")
    if event_type not in lifecycle.EVENT_TYPES:
        raise InvalidNotification(f"eventType must be one of {', '.join(lifecycle.EVENT_TYPES)}")
    state = next((known for known in lifecycle.PROVISIONING_STATES if known.lower() == state.lower()), state)
    if not lifecycle.is_known(event_type, state):
        raise InvalidNotification(f"{event_type}/{state} is not a documented eventType/provisioningState pair")
    return event_type, state


def _application(value: str) -> tuple[str, str, str, str]:
    """(normalised applicationId, subscription, resource group, application name), each within its limit."""
    try:
        parts = lifecycle.parse_application_id(value)
    except ValueError as error:
        raise InvalidNotification(str(error)) from error
    application_id = "/" + value.strip().strip("/")
    for label, part in zip(
        ("applicationId", "subscription", "resourceGroup", "application"), (application_id, *parts), strict=True
    ):
        _check_length(label, part)
    return application_id, *parts


def _required(body: Mapping[str, Any], key: str) -> str:
    value = _optional(body, key)
    if value is None:
        raise InvalidNotification(f"{key} is required")
    return value


def _optional(body: Mapping[str, Any], key: str, label: str | None = None) -> str | None:
    """The string at `key`, stripped (None if absent or blank); `label` names it in reasons and MAX_LENGTHS."""
    label = label or key
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidNotification(f"{label} must be a string")
    _check_length(label, value)
    if "\x00" in value:  # PostgreSQL text cannot hold NUL
        raise InvalidNotification(f"{label} contains a NUL character")
    if not value.isascii() and not _is_unicode_text(value):
        raise InvalidNotification(f"{label} is not valid Unicode text (a lone surrogate)")
    return value.strip() or None


def _check_length(label: str, value: str) -> None:
    limit = MAX_LENGTHS.get(label, MAX_TEXT)
    if len(value) > limit:
        raise InvalidNotification(f"{label} is longer than {limit} characters")


def _is_unicode_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _object(body: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidNotification(f"{key} must be an object")
    return value


def _event_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise InvalidNotification("eventTime must be an ISO 8601 date and time") from error
    if parsed.tzinfo is None:
        raise InvalidNotification("eventTime must carry a time zone (Azure sends UTC, ending in Z)")
    try:
        return parsed.astimezone(UTC)
    except OverflowError as error:  # e.g. 0001-01-01T00:00:00+01:00 is before the first representable instant
        raise InvalidNotification("eventTime is out of range") from error


def _error(value: Any) -> tuple[str | None, str | None, tuple[Mapping[str, str | None], ...]]:
    """(code, message, details) of a failure; all empty when there is no `error` object."""
    error = _object({"error": value}, "error")
    details = error.get("details") or []
    if not isinstance(details, list) or len(details) > MAX_DETAILS:
        raise InvalidNotification(f"error.details must be a list of at most {MAX_DETAILS} objects")
    code = _optional(error, "code", "error.code")
    return code, _optional(error, "message", "error.message"), tuple(_detail(item) for item in details)


def _detail(item: Any) -> Mapping[str, str | None]:
    detail = _object({"error.details[]": item}, "error.details[]")
    return {key: _optional(detail, key, f"error.details[].{key}") for key in ("code", "message")}
