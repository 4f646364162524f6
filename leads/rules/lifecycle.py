"""An installation's lifecycle, derived from its notifications. Pure: no Flask, no database.

Azure may deliver notifications late, twice or out of order, so the state is never "the last one
received": it is computed from all events ordered by their own `eventTime` (publish-notifications docs).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

# (eventType, provisioningState) -> the state it puts the application in; None leaves the state as it was.
TRANSITIONS: dict[tuple[str, str], str | None] = {
    ("PUT", "Accepted"): "installing",
    ("PUT", "Succeeded"): "installed",
    ("PUT", "Failed"): "failed",
    ("PATCH", "Accepted"): None,
    ("PATCH", "Succeeded"): "installed",
    ("PATCH", "Failed"): None,  # an update failed; the application is still deployed
    ("DELETE", "Accepted"): "uninstalling",
    ("DELETE", "Deleting"): "uninstalling",
    ("DELETE", "Deleted"): "uninstalled",
    ("DELETE", "Failed"): "uninstall_failed",
}
EVENT_TYPES = ("PUT", "PATCH", "DELETE")
PROVISIONING_STATES = ("Accepted", "Succeeded", "Failed", "Deleting", "Deleted")
# When two events share an eventTime, the later stage of the lifecycle wins.
_STAGE = {
    "installing": 0,
    None: 0,
    "failed": 1,
    "installed": 1,
    "uninstalling": 2,
    "uninstall_failed": 3,
    "uninstalled": 4,
}

PLAIN_WORDS = {
    "installing": "Installing",
    "installed": "Installed",
    "failed": "Install failed",
    "uninstalling": "Uninstalling",
    "uninstalled": "Uninstalled",
    "uninstall_failed": "Uninstall blocked by an error",
}

# What each notification means, as staff say it (the installation page's timeline and the lead's).
EVENT_WORDS = {
    ("PUT", "Accepted"): "Install started",
    ("PUT", "Succeeded"): "Installed",
    ("PUT", "Failed"): "Install failed",
    ("PATCH", "Accepted"): "Update started",
    ("PATCH", "Succeeded"): "Updated",
    ("PATCH", "Failed"): "Update failed (still installed)",
    ("DELETE", "Accepted"): "Uninstall requested",
    ("DELETE", "Deleting"): "Uninstalling",
    ("DELETE", "Deleted"): "Uninstalled",
    ("DELETE", "Failed"): "Uninstall blocked by an error",
}


def waiting_words(state: str) -> str | None:
    """What an installation's retention says before its clock starts, when "kept while installed" would be
    wrong: a failed install was never installed, yet is kept until Azure reports it removed."""
    return {"failed": "kept until removed (the install failed)", "installing": "kept while installing"}.get(state)


def plain_event(event_type: str, provisioning_state: str) -> str:
    """One notification in plain words; an unexpected pair is shown as Azure sent it."""
    return EVENT_WORDS.get((event_type, provisioning_state), f"{event_type} {provisioning_state}")


@dataclass(frozen=True)
class Observed:
    """What one notification says, as far as the lifecycle cares."""

    event_type: str
    provisioning_state: str
    event_time: datetime


@dataclass(frozen=True)
class Lifecycle:
    """The derived state, and when the uninstall began (the 90-day retention clock's start), if it has."""

    state: str
    uninstalled_at: datetime | None


def is_known(event_type: str, provisioning_state: str) -> bool:
    """Whether this combination is one Azure documents."""
    return (event_type, provisioning_state) in TRANSITIONS


def derive(events: Iterable[Observed]) -> Lifecycle:
    """The lifecycle after all `events`, in any order. Raises ValueError for an empty history."""
    ordered = sorted(events, key=lambda e: (e.event_time, _STAGE[TRANSITIONS[(e.event_type, e.provisioning_state)]]))
    if not ordered:
        raise ValueError("an installation needs at least one event")
    state = "installing"
    for event in ordered:
        state = TRANSITIONS[(event.event_type, event.provisioning_state)] or state
    return Lifecycle(state=state, uninstalled_at=_uninstall_began(ordered))


def _uninstall_began(ordered: list[Observed]) -> datetime | None:
    """The first DELETE after the latest PUT: a re-install (same resource id) stops the retention clock."""
    last_put = max((i for i, e in enumerate(ordered) if e.event_type == "PUT"), default=-1)
    deletes = [e.event_time for e in ordered[last_put + 1 :] if e.event_type == "DELETE"]
    return deletes[0] if deletes else None


def parse_application_id(application_id: str) -> tuple[str, str, str]:
    """(subscription id, resource group, application name) from a managed application's resource id.

    Accepts the documented form with or without the leading "/"; raises ValueError otherwise.
    """
    parts = application_id.strip().strip("/").split("/")
    lowered = [part.lower() for part in parts]
    expected = ["subscriptions", None, "resourcegroups", None, "providers", "microsoft.solutions", "applications", None]
    if len(parts) != len(expected) or any(e is not None and e != got for e, got in zip(expected, lowered, strict=True)):
        raise ValueError(f"not a managed application resource id: {application_id!r}")
    if not all(parts[i] for i in (1, 3, 7)):
        raise ValueError(f"empty part in managed application resource id: {application_id!r}")
    return parts[1], parts[3], parts[7]
