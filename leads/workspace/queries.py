"""Queries for the lead and installation pages. Read-only; each function takes the session first. (Lists page
through `leads.workspace.pager`, the one keyset pager.)"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from leads.models import Installation, InstallEvent, Lead
from leads.rules import lifecycle


def get_lead(*, session: Session, lead_id: int) -> Lead | None:
    """The lead with that id, or None."""
    return session.get(Lead, lead_id)


def leads_by_id(*, session: Session, lead_ids: list[int]) -> dict[int, Lead]:
    """The leads with these ids (a list page's linked leads), by id."""
    if not lead_ids:
        return {}
    return {lead.id: lead for lead in session.exec(select(Lead).where(col(Lead.id).in_(lead_ids))) if lead.id}


def get_installation(*, session: Session, installation_id: int) -> tuple[Installation, list[InstallEvent]] | None:
    """The installation and its notifications in event order, or None."""
    installation = session.get(Installation, installation_id)
    if installation is None:
        return None
    events = session.exec(
        select(InstallEvent)
        .where(InstallEvent.installation_id == installation_id)
        .order_by(InstallEvent.event_time, InstallEvent.id)  # type: ignore[arg-type]
    )
    return installation, list(events)


def earlier_deployments(events: list[InstallEvent]) -> dict[int, datetime]:
    """For each notification of a deployment that is not the current one, its deployment's uninstall (the
    start of the 90-day clock it goes by); the current deployment's go by the installation's own countdown."""
    observed = [lifecycle.Observed(e.event_type, e.provisioning_state, e.event_time) for e in events]
    found = lifecycle.deployments(observed) if events else []
    return {events[i].id: d.uninstalled_at for d in found[:-1] if d.uninstalled_at for i in d.events}  # type: ignore[misc]
