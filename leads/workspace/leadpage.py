"""What the lead page shows, composed from the domains' services: its installations and their grants, the staff,
the timeline, the legal hold, the person's consent and (for staff who may act on it) marketing.

One place, so every view that renders the page (the lead page itself, the consent answer re-rendering it with a
form's errors) passes the same data, and the templates run no queries.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam
from sqlmodel import Session, col, select

from leads.consent import mailings, marketing, records
from leads.grants import grants
from leads.models import Lead, LegalHold, Person
from leads.retention import holds as retention_holds
from leads.workspace import nurture, timeline, viewer


def load(*, session: Session, lead_id: int) -> tuple[Lead, list[LegalHold]] | None:
    """The lead with that id and every hold ever placed on it, newest first, in one statement (the holds
    outer-joined to the lead's own read: a lead has a few at most); None if there is no such lead."""
    rows = session.exec(_load_statement(), params={"lead_id": lead_id}).all()
    if not rows:
        return None
    return rows[0][0], [found for _lead, found in rows if found is not None]


@cache
def _load_statement() -> Any:
    """Built once, sent with the lead's id."""
    on_lead = and_(col(LegalHold.record_type) == "lead", col(LegalHold.record_id) == col(Lead.id))
    return (
        select(Lead, LegalHold)
        .outerjoin(LegalHold, on_lead)
        .where(col(Lead.id) == bindparam("lead_id"))
        .order_by(col(LegalHold.id).desc())
    )


def data(
    *,
    session: Session,
    lead: Lead,
    now: datetime,
    with_marketing: bool,
    version: int | None,
    holds: list[LegalHold] | None = None,
) -> dict[str, object]:
    """Everything the lead page shows of `lead`, keyed by the names its template reads.

    `with_marketing` is whether the viewer sees the marketing panel (only then is it looked up); `version` is the
    viewer version the session read (the staff and the lists come from `viewer.menus`, kept under it); `holds`,
    the lead's holds newest first when the caller read them with the lead (`load`), else they are read here.

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
    staff, lists, _ = viewer.menus(session=session, version=version, staff=True, lists=with_marketing)
    return {
        "lead": lead,
        "linked": linked,
        "suggested": nurture.link_suggestions(session=session, lead=lead),
        "lead_grants": grants.for_installations(session=session, installation_ids=[i.id for i in linked], now=now),
        "staff": staff,
        "timeline": timeline.for_lead(session=session, lead=lead, staff=staff),
        **(hold(session=session, record_type="lead", record_id=lead.id) if holds is None else shown_hold(holds)),
        "consent_panel": consent_panel,
        "app_emails": mailings.sent_to(session=session, lead_ids=[lead.id]),
        "lead_person": person,
        "undeliverable_at": person.undeliverable_at if person else None,
        "lead_marketing": (
            marketing.lead_marketing(session=session, lead=lead, now=now, lists=lists, decision=decision)
            if with_marketing
            else None
        ),
    }


def hold(*, session: Session, record_type: str, record_id: int) -> dict[str, object]:
    """A record's legal hold as its page shows it: the active hold (or None) and the history of holds."""
    return shown_hold(retention_holds.history(session=session, record_type=record_type, record_id=record_id))


def shown_hold(history: list[LegalHold]) -> dict[str, object]:
    """A record's holds (newest first) as its page shows them: the active hold (or None) and the history."""
    active = next((found for found in history if found.lifted_at is None), None)
    return {"active_hold": active, "hold_history": history}
