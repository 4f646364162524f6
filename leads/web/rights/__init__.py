"""The rights pages, one blueprint (`bp`, named "rights"): `page` (one request's page and the blueprint),
`register` (the list, registering, the CSV), `steps` (moving a request on), `actions` (carrying a right out)."""

from __future__ import annotations

from leads.web.rights import actions, register, steps
from leads.web.rights.page import bp

__all__ = ["actions", "bp", "register", "steps"]
