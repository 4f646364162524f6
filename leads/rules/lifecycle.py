"""An installation's lifecycle, derived from its notifications. Pure: no Flask, no database.

Azure may deliver notifications late, twice or out of order, so the state is never "the last one
received": it is computed from all events ordered by their own `eventTime` (publish-notifications docs).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
class Deployment:
    """One deployment: from the PUT that began it to its uninstall (RULES.md, "clocks").

    `events` are positions in the history given to `deployments`. `uninstalled_at` starts the deployment's
    own 90-day clock: the first DELETE since it was last installed; None while it is installed (or an
    uninstall failed or was followed by "installed again"), because an installed application is never on a
    clock.
    """

    events: tuple[int, ...]
    uninstalled_at: datetime | None
    last_event_at: datetime


@dataclass(frozen=True)
class Lifecycle:
    """The derived state; when the uninstall of the current deployment began (the installation row's clock);
    and the soonest clock of any deployment (the first of its notifications due to go)."""

    state: str
    uninstalled_at: datetime | None
    clock_started_at: datetime | None = None


# Events after which the application is installed again: an uninstall in progress no longer counts.
INSTALLED_AGAIN = {("PUT", "Accepted"), ("PUT", "Succeeded"), ("PATCH", "Succeeded"), ("DELETE", "Failed")}


def is_known(event_type: str, provisioning_state: str) -> bool:
    """Whether this combination is one Azure documents."""
    return (event_type, provisioning_state) in TRANSITIONS


def _ordered(events: Sequence[Observed]) -> list[int]:
    """Positions of `events` in lifecycle order: by eventTime, the later stage first on a tie."""
    stage = [_STAGE[TRANSITIONS[(e.event_type, e.provisioning_state)]] for e in events]
    return sorted(range(len(events)), key=lambda i: (events[i].event_time, stage[i]))


def deployments(events: Sequence[Observed]) -> list[Deployment]:
    """The deployments in `events` (any order), oldest first. A PUT after an uninstall began starts a new
    deployment; every other event belongs to the deployment it follows (events before any PUT form one)."""
    found: list[Deployment] = []
    members: list[int] = []
    uninstalled_at: datetime | None = None
    for i in _ordered(events):
        event = events[i]
        if event.event_type == "PUT" and members and uninstalled_at is not None:
            found.append(Deployment(tuple(members), uninstalled_at, events[members[-1]].event_time))
            members, uninstalled_at = [], None
        members.append(i)
        if (event.event_type, event.provisioning_state) in INSTALLED_AGAIN:
            uninstalled_at = None
        elif event.event_type == "DELETE" and uninstalled_at is None:
            uninstalled_at = event.event_time
    if members:
        found.append(Deployment(tuple(members), uninstalled_at, events[members[-1]].event_time))
    return found


def derive(events: Iterable[Observed]) -> Lifecycle:
    """The lifecycle after all `events`, in any order. Raises ValueError for an empty history."""
    history = list(events)
    if not history:
        raise ValueError("an installation needs at least one event")
    state = "installing"
    for i in _ordered(history):
        state = TRANSITIONS[(history[i].event_type, history[i].provisioning_state)] or state
    found = deployments(history)
    clocks = [d.uninstalled_at for d in found if d.uninstalled_at is not None]
    return Lifecycle(state=state, uninstalled_at=found[-1].uninstalled_at, clock_started_at=min(clocks, default=None))


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
