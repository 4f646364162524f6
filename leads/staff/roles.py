"""The role matrix: one row per permission, naming the roles that hold it. Pages and commands both ask here."""

from __future__ import annotations

PERMISSIONS: dict[str, frozenset[str]] = {
    "leads.view": frozenset({"admin", "sales", "support"}),
    "leads.nurture": frozenset({"admin", "sales", "support"}),
    "installations.view": frozenset({"admin", "sales", "support"}),
    "users.manage": frozenset({"admin"}),
    "audit.view": frozenset({"admin"}),  # the trail names every member of staff and what they looked at
    "sync.view": frozenset({"admin"}),  # the quarantine holds raw personal data
    "attention.view": frozenset({"admin"}),  # stuck jobs and keys: what only an admin can fix
    "jobs.view": frozenset({"admin"}),  # operations: job runs, locks, queues (no personal data)
    "retention.view": frozenset({"admin", "sales", "support"}),
    "holds.manage": frozenset({"admin"}),  # legal holds are a legal decision
    "grants.view": frozenset({"admin", "support"}),
    "grants.manage": frozenset({"admin", "support"}),
    "plans.manage": frozenset({"admin"}),
    # Any member of staff may be the one a person asks: all may register a request; only admins and support
    # see the register and carry rights out.
    "rights.register": frozenset({"admin", "sales", "support"}),
    "rights.manage": frozenset({"admin", "support"}),  # requests hold the requester's details
    "rights.export": frozenset({"admin", "support"}),
    "rights.erase": frozenset({"admin", "support"}),
    # Anyone who talks to customers may hear them give or withdraw consent; only sales and admins market.
    "consent.record": frozenset({"admin", "sales", "support"}),
    "marketing.act": frozenset({"admin", "sales"}),
}


def allows(role: str, permission: str) -> bool:
    """Whether `role` holds `permission`. An unknown permission is a programming error: KeyError."""
    roles = PERMISSIONS.get(permission)
    if roles is None:
        raise KeyError(f"unknown permission {permission!r}")
    return role in roles
