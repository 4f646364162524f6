"""What the lead page shows, composed from the domains' services: its installations and their grants, the staff,
the timeline, the legal hold, the person's consent and (for staff who may act on it) marketing.

One place, so every view that renders the page (the lead page itself, the consent answer re-rendering it with a
form's errors) passes the same data, and the templates run no queries.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from leads.consent import mailings, marketing, records
from leads.grants import grants
from leads.models import Lead, Person
from leads.retention import holds
from leads.staff import users
from leads.workspace import nurture, timeline


def data(*, session: Session, lead: Lead, now: datetime, with_marketing: bool) -> dict[str, object]:
    """Everything the lead page shows of `lead`, keyed by the names its template reads.

    `with_marketing` is whether the viewer sees the marketing panel (only then is it looked up).

    The lead's person is loaded first and returned as `lead_person`: the session's identity map holds its objects
    weakly, so keeping it referenced while the page renders makes every later `lead.person` (the consent panel,
    marketing, the person card) no statement; the staff are read once, for the page and the timeline; the person's
    consent history once, for the consent panel and the marketing panel's preview.
    """
    person = session.get(Person, lead.person_id) if lead.person_id else None
    consent_panel, decision = records.lead_consent(
        session=session, lead=lead, person=person, now=now, action_code=marketing.ADD
    )
    linked = nurture.linked_installations(session=session, lead_id=lead.id)
    staff = users.list_users(session=session)
    return {
        "lead": lead,
        "linked": linked,
        "suggested": nurture.link_suggestions(session=session, lead=lead),
        "lead_grants": grants.for_installations(session=session, installation_ids=[i.id for i in linked], now=now),
        "staff": staff,
        "timeline": timeline.for_lead(session=session, lead=lead, staff=staff),
        **hold(session=session, record_type="lead", record_id=lead.id),
        "consent_panel": consent_panel,
        "app_emails": mailings.sent_to(session=session, lead_ids=[lead.id]),
        "lead_person": person,
        "undeliverable_at": person.undeliverable_at if person else None,
        "lead_marketing": (
            marketing.lead_marketing(session=session, lead=lead, now=now, decision=decision) if with_marketing else None
        ),
    }


def hold(*, session: Session, record_type: str, record_id: int) -> dict[str, object]:
    """A record's legal hold as its page shows it: the active hold (or None) and the history of holds."""
    history = holds.history(session=session, record_type=record_type, record_id=record_id)
    active = next((found for found in history if found.lifted_at is None), None)
    return {"active_hold": active, "hold_history": history}
