"""A person's page: everything held about them, read through the personal-data map, and what marketing would do.

Read-only; the changes (consent, attach, detach) are `consent.records` and `people.subjects` services.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from leads.consent import mailings, records
from leads.models import (
    ConsentRecord,
    GrantCommunication,
    Installation,
    Lead,
    LeadNote,
    MarketingEmail,
    MarketingListMember,
    Person,
    PersonLink,
    QuarantinedEntity,
    RightsRequest,
    SupportGrant,
)
from leads.people import held, subjects
from leads.rules import consent

MODELS: dict[str, Any] = {
    "lead": Lead,
    "installation": Installation,
    "supportgrant": SupportGrant,
    "grantcommunication": GrantCommunication,
    "leadnote": LeadNote,
    "rightsrequest": RightsRequest,
    "quarantinedentity": QuarantinedEntity,
    "marketinglistmember": MarketingListMember,
    "marketingemail": MarketingEmail,
    "personlink": PersonLink,
}


@dataclass(frozen=True)
class Profile:
    """Everything the person page shows. `marketing` previews the gate for each lead (nothing is audited)."""

    person: Person
    records: dict[str, list[Any]]  # table name -> ORM rows, for the tables the page shows
    counts: dict[str, int]  # every customer table of the map -> how many rows are the person's
    consent: records.Panel
    marketing: dict[int, consent.Decision]
    app_emails: list[tuple[Any, str]]  # the emails the app sent (or queued) to their leads, with the mailing's subject


def _rows(session: Session, model: Any, rows: list[dict]) -> list[Any]:
    """The ORM rows of `rows` (every column, as `held` read them), in that order, with no statement: each is put
    in the session as if loaded (one already there is used as it is). Reading them again was a statement a table.
    """
    mapper = sa_inspect(model)
    columns = [(attr.key, attr.columns[0].name) for attr in mapper.column_attrs]
    found = []
    for row in rows:
        key = mapper.identity_key_from_primary_key((row["id"],))
        loaded = session.identity_map.get(key)
        if loaded is None:
            loaded = mapper.class_manager.new_instance()
            for attr, name in columns:
                set_committed_value(loaded, attr, row[name])
            make_transient_to_detached(loaded)
            session.add(loaded)
        found.append(loaded)
    return found


def profile(*, session: Session, person_id: int, now: datetime) -> Profile | None:
    """The person's page, or None if there is no such person."""
    person = subjects.get(session=session, person_id=person_id)
    if person is None:
        return None
    found = held.held(session=session, person=person, fresh=True)  # just read: their own row is not read again
    shown = {name: _rows(session, model, found.get(name, [])) for name, model in MODELS.items()}
    leads = shown["lead"]
    # The person's consent history is among what `held` read (their records, by id): the panel and the preview
    # are made from it, with no statement of their own.
    history = _rows(session, ConsentRecord, [r for r in found.get("consentrecord", []) if r["person_id"] == person.id])
    panel, marketing = records.person_consent(
        session=session, person=person, leads=leads, now=now, action_code="marketing_list.add", history=history
    )
    return Profile(
        person,
        shown,
        {name: len(rows) for name, rows in found.items()},
        panel,
        marketing,
        _app_emails(session, found, leads),
    )


def _app_emails(session: Session, found: held.Rows, leads: list[Lead]) -> list[tuple[Any, str]]:
    """The app's emails to the person's leads, with their mailings' subjects: none to read when `held` found no
    message to any of them (the usual case), so no statement then."""
    ids = {lead.id for lead in leads}
    if not any(row["lead_id"] in ids for row in found.get("mailingmessage", [])):
        return []
    return mailings.sent_to(session=session, lead_ids=sorted(ids))  # type: ignore[arg-type]
