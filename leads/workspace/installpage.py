"""What the installation page shows, from one call: the installation and its notifications, its legal hold,
its support grants, the plan's support model, and the lead it is linked to (or leads that could be).

One place, so the page and its lead-search fragment pass the same data, and the templates run no queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from leads.grants import grants, plans
from leads.models import Installation, InstallEvent, Lead, LegalHold, SupportGrant
from leads.workspace import installlist, leadlist, leadpage, nurture, queries

FOUND_LEADS = 8  # leads shown for a search by hand


@dataclass(frozen=True)
class InstallationPage:
    """One installation and everything its page shows, by the names the templates read."""

    installation: Installation
    events: list[InstallEvent]  # its notifications in event order
    active_hold: LegalHold | None
    hold_history: list[LegalHold]
    installation_grants: list[SupportGrant]
    plan_model: str
    plan_model_label: str
    earlier: dict[int, datetime]  # event id -> its earlier deployment's uninstall
    event_reasons: dict[int, str]  # failed event id -> why it failed
    linked_lead: Lead | None
    suggested_leads: list[Lead]  # only when no lead is linked
    lead_q: str  # what staff searched for by hand ("" for none)
    found_leads: list[Any]  # the leads that match `lead_q`


def data(*, session: Session, installation_id: int, lead_q: str, now: datetime) -> InstallationPage | None:
    """The installation page of `installation_id` as of `now`, or None if there is no such installation.
    `lead_q` is staff's search for a lead to link by hand (the first FOUND_LEADS matches are shown)."""
    found = queries.get_installation(session=session, installation_id=installation_id)
    if found is None:
        return None
    installation, events = found
    hold = leadpage.hold(session=session, record_type="installation", record_id=installation_id)
    model = plans.model_for(session=session, plan_name=installation.plan_name)
    linked = queries.get_lead(session=session, lead_id=installation.lead_id) if installation.lead_id else None
    query = leadlist.parse({"q": lead_q})
    matches = leadlist.list_leads(session=session, query=query, now=now, per_page=FOUND_LEADS).items if lead_q else []
    suggested = [] if linked else nurture.lead_suggestions(session=session, installation=installation)
    return InstallationPage(
        installation=installation,
        events=events,
        **hold,  # type: ignore[arg-type]
        installation_grants=grants.for_installations(session=session, installation_ids=[installation_id], now=now),
        plan_model=model,
        plan_model_label=plans.MODELS[model],
        earlier=queries.earlier_deployments(events),
        event_reasons={e.id: installlist.reason_of(e) for e in events if e.provisioning_state == "Failed"},
        linked_lead=linked,
        suggested_leads=suggested,
        lead_q=lead_q,
        found_leads=matches,
    )
