"""Marketing lists, the people on them, and records of marketing emails sent (the app sends no mail).

Every action on a lead here is a marketing action in `consent.ACTIONS` and goes through `consent_records.gate`, so
none can happen without the person's current consent (privacy notice line 67), and each is audited with the consent
record it relied on, or refused with the reason. Services are keyword-only, take the session first, and commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from leads.consent.records import Act, Actor, Result, gate, label, preview, user_id
from leads.models import ConsentRecord, Lead, MarketingEmail, MarketingList, MarketingListMember
from leads.rules import consent
from leads.staff import audit

CHUNK = 500  # leads decided per query: bounded memory, and far below every backend's bound-parameter limit
MEMBERS_SHOWN = 200
ADD, EXPORT, MARK_SENT = "marketing_list.add", "marketing_list.export", "marketing_email.mark_sent"


class MarketingError(ValueError):
    """A request refused before any lead was considered; the message is safe to show to staff."""


# --- lists ---------------------------------------------------------------------------------------------------


def get_list(*, session: Session, list_id: int) -> MarketingList:
    """The marketing list with that id; raises MarketingError if there is none."""
    found = session.get(MarketingList, list_id)
    if found is None:
        raise MarketingError("That marketing list does not exist.")
    return found


def get_list_by_name(*, session: Session, name: str) -> MarketingList:
    """The marketing list with that name (in any case); raises MarketingError if there is none."""
    found = session.exec(select(MarketingList).where(func.lower(MarketingList.name) == name.strip().lower())).first()
    if found is None:
        raise MarketingError(f"There is no marketing list called {name!r}.")
    return found


def all_lists(*, session: Session) -> list[tuple[MarketingList, int]]:
    """Every marketing list by name, with how many people are on it."""
    query = (
        select(MarketingList, func.count(col(MarketingListMember.id)))
        .join(MarketingListMember, isouter=True)
        .group_by(col(MarketingList.id))
        .order_by(col(MarketingList.name))
    )
    return [(found, count) for found, count in session.exec(query)]


def list_choices() -> Any:
    """Every marketing list as a choice to add leads to: (id, name) rows, without sizes (counting members is a
    scan a page that offers the lists does not need). Ordered by name by the page that sends it."""
    return select(col(MarketingList.id), col(MarketingList.name))


def create_list(*, session: Session, name: str, description: str | None, actor: Actor, now: datetime) -> MarketingList:
    """A new, empty marketing list; refuses an empty name or one already taken (in any case). Commits."""
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise MarketingError("A list needs a name of at most 200 characters.")
    if session.exec(select(MarketingList.id).where(func.lower(MarketingList.name) == name.lower())).first():
        raise MarketingError(f"There is already a marketing list called {name!r}.")
    created = MarketingList(
        name=name,
        description=(description or "").strip() or None,
        created_by_user_id=user_id(actor),
        created_by=label(actor),
        created_at=now,
    )
    session.add(created)
    session.flush()
    # By id only: the audit trail is never erased, and a list's name may name someone.
    audit_list(session, created, "marketing_list.create", {}, actor, now)
    session.commit()
    return created


def about(target: MarketingList) -> dict[str, Any]:
    """How audit events name a list: by id only, since the audit trail is never erased and a list's name may
    name someone; the list page shows its name."""
    return {"list_id": target.id}


def audit_list(
    session: Session, target: MarketingList, action: str, details: dict[str, Any], actor: Actor, now: datetime
) -> None:
    """Add an audit event about a whole list (the caller commits)."""
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action=action,
        record_type="marketing_list",
        record_id=target.id,
        details=details,
    )


# --- adding people (one or many) -----------------------------------------------------------------------------


def _chunks(lead_ids: Iterable[int]) -> Iterator[list[int]]:
    unique = list(dict.fromkeys(lead_ids))
    for start in range(0, len(unique), CHUNK):
        yield unique[start : start + CHUNK]


def _load(session: Session, lead_ids: list[int]) -> tuple[list[Lead], list[int]]:
    """The leads with these ids in the order asked for, and the ids that matched none."""
    found = {lead.id: lead for lead in session.exec(select(Lead).where(col(Lead.id).in_(lead_ids)))}
    return [found[i] for i in lead_ids if i in found], [i for i in lead_ids if i not in found]


def _member_adder(session: Session, target: MarketingList, lead_ids: list[int], actor: Actor, now: datetime) -> Act:
    query = select(MarketingListMember.lead_id).where(
        MarketingListMember.list_id == target.id, col(MarketingListMember.lead_id).in_(lead_ids)
    )
    on_list = set(session.exec(query))

    def add(lead: Lead, relied_on: ConsentRecord | None) -> dict[str, Any] | None:
        if lead.id in on_list or relied_on is None:
            return None  # already on the list: nothing to do
        on_list.add(lead.id)  # type: ignore[arg-type]
        member = MarketingListMember(
            list_id=target.id,
            lead_id=lead.id,
            added_at=now,
            added_by_user_id=user_id(actor),
            added_by=label(actor),
            consent_record_id=relied_on.id,
        )
        session.add(member)
        return {}

    return add


def add_to_list(*, session: Session, list_id: int, lead_ids: Iterable[int], actor: Actor, now: datetime) -> Result:
    """Add each lead to the list through the gate: people without current marketing consent are refused, each with
    the reason; people already on it stay as they are; unknown ids are reported. Commits."""
    target = get_list(session=session, list_id=list_id)
    result = Result(about=target.name)
    for ids in _chunks(lead_ids):
        leads, missing = _load(session, ids)
        add = _member_adder(session, target, ids, actor, now)
        decided = gate(
            session=session, action_code=ADD, leads=leads, actor=actor, now=now, act=add, details=about(target)
        )
        result.add(decided, missing)
    session.commit()
    return result


def remove_from_list(
    *, session: Session, list_id: int, lead_id: int, actor: Actor, now: datetime, undoes: int | None = None
) -> bool:
    """Take one lead off a list (`undoes`: the audit event of the addition this puts back, if any); False when
    they were not on it. Never refused: it only stops processing. Audited. Commits."""
    member = session.exec(
        select(MarketingListMember).where(
            MarketingListMember.list_id == list_id, MarketingListMember.lead_id == lead_id
        )
    ).first()
    if member is None:
        return False
    session.delete(member)
    details = {"list_id": list_id, **({"undoes": undoes} if undoes is not None else {})}
    audit.record(
        session=session,
        at=now,
        actor=actor,
        action="marketing_list.remove",
        record_type="lead",
        record_id=lead_id,
        details=details,
    )
    session.commit()
    return True


# --- marketing emails ----------------------------------------------------------------------------------------


def _email_recorder(session: Session, subject: str, target: MarketingList | None, actor: Actor, now: datetime) -> Act:
    def record(lead: Lead, relied_on: ConsentRecord | None) -> dict[str, Any] | None:
        if relied_on is None:
            return None
        email = MarketingEmail(
            lead_id=lead.id,
            list_id=target.id if target else None,
            subject=subject,
            sent_at=now,
            recorded_by_user_id=user_id(actor),
            recorded_by=label(actor),
            consent_record_id=relied_on.id,
        )
        session.add(email)
        return {}

    return record


def mark_email_sent(
    *, session: Session, lead_ids: Iterable[int], subject: str, list_id: int | None, actor: Actor, now: datetime
) -> Result:
    """Record, through the gate, that a marketing email (`subject`, optionally part of a list's campaign) was sent
    to each lead now. The app sends no mail: this is the record that it happened. Commits."""
    subject = " ".join(subject.split())
    if not subject or len(subject) > 300:
        raise MarketingError("Give the email's subject (at most 300 characters).")
    target = get_list(session=session, list_id=list_id) if list_id is not None else None
    # The subject ("Hi Ada") lives in the email's record and goes with it; the audit names the list only.
    details = about(target) if target else {}
    result = Result()
    for ids in _chunks(lead_ids):
        leads, missing = _load(session, ids)
        record = _email_recorder(session, subject, target, actor, now)
        decided = gate(
            session=session, action_code=MARK_SENT, leads=leads, actor=actor, now=now, act=record, details=details
        )
        result.add(decided, missing)
    session.commit()
    return result


# --- what the pages show -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """A person on a list, and whether an export at this moment would take them (and if not, why)."""

    lead: Lead
    added_at: datetime
    added_by: str
    decision: consent.Decision


def members(*, session: Session, list_id: int, now: datetime, limit: int = MEMBERS_SHOWN) -> tuple[list[Member], int]:
    """The people on the list, latest added first (at most `limit`), each with the export's decision at `now`; and
    how many there are in all. A preview: nothing is audited."""
    query = (
        select(MarketingListMember, Lead)
        .join(Lead, col(MarketingListMember.lead_id) == col(Lead.id))
        .where(MarketingListMember.list_id == list_id)
        .order_by(col(MarketingListMember.added_at).desc(), col(MarketingListMember.id).desc())
        .limit(limit)
    )
    rows = list(session.exec(query))
    decisions = preview(session=session, leads=[lead for _, lead in rows], action_code=EXPORT, now=now)
    total = session.exec(select(func.count()).where(MarketingListMember.list_id == list_id)).one()
    return [Member(lead, m.added_at, m.added_by, decisions[lead.id]) for m, lead in rows], total  # type: ignore[index]


@dataclass(frozen=True)
class LeadMarketing:
    """Marketing as one lead's page shows it. `decision` previews the gate; every action is decided again."""

    decision: consent.Decision
    on_lists: list[MarketingList]
    emails: list[tuple[MarketingEmail, str | None]]  # newest first, with the list's name
    all_lists: list[Any]  # every list to offer (.id, .name), by name


def lead_marketing(
    *,
    session: Session,
    lead: Lead,
    now: datetime,
    emails_shown: int = 10,
    lists: list[Any] | None = None,
    decision: consent.Decision | None = None,
) -> LeadMarketing:
    """The lists a lead is on, the marketing emails recorded for them, and whether marketing is allowed now.
    `lists`: every list to offer (each with .id and .name, by name) when the caller has them (the viewer cache),
    else read here, each with whether the lead is on it. `decision`: the gate's preview of adding the lead to a
    list, when the caller has it (`records.lead_consent` on the lead page), else read here."""
    if decision is None:
        decision = preview(session=session, leads=[lead], action_code=ADD, now=now)[lead.id]  # type: ignore[index]
    emails = (
        select(MarketingEmail, MarketingList.name)
        .join(MarketingList, isouter=True)
        .where(MarketingEmail.lead_id == lead.id)
        .order_by(col(MarketingEmail.sent_at).desc(), col(MarketingEmail.id).desc())
        .limit(emails_shown)
    )
    if lists is None:  # every list once, each with whether the lead is on it
        on_it = (
            select(MarketingListMember.id)
            .where(MarketingListMember.list_id == MarketingList.id, MarketingListMember.lead_id == lead.id)
            .exists()
        )
        every = list(session.exec(select(MarketingList, on_it).order_by(col(MarketingList.name))))
        on_lists, lists = [found for found, on in every if on], [found for found, _ in every]
    else:
        on_lead = select(MarketingList).join(MarketingListMember).where(MarketingListMember.lead_id == lead.id)
        on_lists = list(session.exec(on_lead.order_by(col(MarketingList.name))))
    return LeadMarketing(
        decision,
        on_lists,
        [(email, name) for email, name in session.exec(emails)],
        lists,
    )
