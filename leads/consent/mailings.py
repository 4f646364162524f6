"""Marketing emails written in the app for a list: the template, a preview for one member, and queueing a copy
for every member. Sending is `sending.py` (the worker), one-click withdrawal is `unsubscribe.py`.

Queueing decides nothing about consent: each copy goes through the gate at the moment the worker sends it, so a
withdrawal, objection, restriction or erasure recorded after the list was built still stops it. Services are
keyword-only, take the session first, and commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from leads.consent.marketing import MarketingError, get_list
from leads.consent.records import Actor, label, preview, user_id
from leads.models import Lead, Mailing, MailingMessage, MarketingListMember
from leads.rules import consent, mailtext
from leads.staff import audit

SEND = "marketing_email.send"
QUEUED = "queued"
STATUSES = ("queued", "sent", "refused", "bounced", "failed")
MESSAGES_SHOWN = 200


def create(*, session: Session, list_id: int, subject: str, body: str, actor: Actor, now: datetime) -> Mailing:
    """A marketing email for the list, not yet queued; refuses an empty or overlong subject or body. Commits."""
    target = get_list(session=session, list_id=list_id)
    subject = " ".join(subject.split())
    if not subject or len(subject) > 300:
        raise MarketingError("Give the email a subject of at most 300 characters.")
    if not body.strip() or len(body) > 50_000:
        raise MarketingError("Write the email's text (at most 50,000 characters).")
    mailing = Mailing(
        list_id=target.id,
        subject=subject,
        body=body.strip(),
        created_by_user_id=user_id(actor),
        created_by=label(actor),
        created_at=now,
    )
    session.add(mailing)
    session.flush()
    audit.commit(session=session, at=now, actor=actor, action="mailing.create", on=("mailing", mailing.id),
                 details={"list_id": target.id})  # fmt: skip
    return mailing


def get(*, session: Session, mailing_id: int) -> Mailing:
    """The mailing with that id; raises MarketingError if there is none."""
    found = session.get(Mailing, mailing_id)
    if found is None:
        raise MarketingError("That marketing email does not exist.")
    return found


def fields(lead: Lead) -> dict[str, str | None]:
    """What a template may say about the person."""
    return {"first_name": lead.first_name, "last_name": lead.last_name, "company": lead.company}


@dataclass(frozen=True)
class Preview:
    """The email as one member would get it now, and whether the gate would let it go to them at this moment."""

    lead: Lead
    subject: str
    text: str
    html: str
    decision: consent.Decision


def preview_for(*, session: Session, mailing: Mailing, lead_id: int | None, now: datetime) -> Preview | None:
    """The mailing filled in for the member `lead_id` (default: the latest added), or None if the list is empty
    or that lead is not on it. The unsubscribe link is shown as a placeholder; nothing is audited."""
    query = select(Lead).join(MarketingListMember, col(MarketingListMember.lead_id) == col(Lead.id))
    query = query.where(MarketingListMember.list_id == mailing.list_id)
    if lead_id is not None:
        query = query.where(col(Lead.id) == lead_id)
    lead = session.exec(query.order_by(col(MarketingListMember.id).desc()).limit(1)).first()
    if lead is None:
        return None
    body, url = mailtext.fill(mailing.body, fields(lead)), "(their own unsubscribe link)"
    decision = preview(session=session, leads=[lead], action_code=SEND, now=now)[lead.id]  # type: ignore[index]
    subject = mailtext.fill(mailing.subject, fields(lead))
    return Preview(lead, subject, mailtext.text_body(body, url), mailtext.html_body(body, url), decision)


def members(*, session: Session, mailing: Mailing) -> list[tuple[int, str]]:
    """The list's members as (lead id, name or address) for the preview's chooser, at most MESSAGES_SHOWN."""
    query = (
        select(Lead)
        .join(MarketingListMember, col(MarketingListMember.lead_id) == col(Lead.id))
        .where(MarketingListMember.list_id == mailing.list_id)
        .order_by(col(MarketingListMember.id).desc())
        .limit(MESSAGES_SHOWN)
    )
    return [(lead.id, lead.display_name or lead.email or f"Lead {lead.id}") for lead in session.exec(query)]  # type: ignore[misc]


def queue(*, session: Session, mailing_id: int, actor: Actor, now: datetime) -> int:
    """Queue a copy for every member of the list who has none yet (a second press adds only people who joined
    since); how many were queued. The worker decides and sends each. Commits."""
    mailing = get(session=session, mailing_id=mailing_id)
    if mailing.list_id is None:
        raise MarketingError("This email's list no longer exists.")
    have = select(MailingMessage.lead_id).where(MailingMessage.mailing_id == mailing.id)
    leads = select(MarketingListMember.lead_id).where(
        MarketingListMember.list_id == mailing.list_id, col(MarketingListMember.lead_id).not_in(have)
    )
    count = 0
    for lead_id in session.exec(leads.order_by(col(MarketingListMember.id))):
        session.add(MailingMessage(mailing_id=mailing.id, lead_id=lead_id, status=QUEUED))
        count += 1
    mailing.queued_at = now
    session.add(mailing)
    audit.commit(session=session, at=now, actor=actor, action="mailing.queue", on=("mailing", mailing.id),
                 details={"queued": count})  # fmt: skip
    return count


@dataclass(frozen=True)
class Outcomes:
    """A mailing's messages as staff see them: how many in each status, and the latest ones with their person."""

    counts: dict[str, int]
    messages: list[tuple[MailingMessage, Lead]]


def outcomes(*, session: Session, mailing_id: int, limit: int = MESSAGES_SHOWN) -> Outcomes:
    """How the mailing's messages stand: counts by status, and up to `limit` messages, refusals and failures
    first (what staff need to read), each with its lead."""
    counted = select(MailingMessage.status, func.count()).where(MailingMessage.mailing_id == mailing_id)
    counts = dict.fromkeys(STATUSES, 0) | dict(session.exec(counted.group_by(col(MailingMessage.status))).all())
    shown = (
        select(MailingMessage, Lead)
        .join(Lead, col(Lead.id) == col(MailingMessage.lead_id))
        .where(MailingMessage.mailing_id == mailing_id)
        .order_by(col(MailingMessage.status).in_(("sent", "queued")), col(MailingMessage.id))
        .limit(limit)
    )
    return Outcomes(counts, list(session.exec(shown).all()))  # type: ignore[arg-type]


def sent_to(*, session: Session, lead_ids: list[int], limit: int = MESSAGES_SHOWN) -> list[tuple[MailingMessage, str]]:
    """The app's emails to these leads, newest first, each with its mailing's subject (what a queued copy will
    say before it is filled in)."""
    query = (
        select(MailingMessage, Mailing.subject)
        .join(Mailing, col(Mailing.id) == col(MailingMessage.mailing_id))
        .where(col(MailingMessage.lead_id).in_(lead_ids))
        .order_by(col(MailingMessage.id).desc())
        .limit(limit)
    )
    return list(session.exec(query).all())  # type: ignore[arg-type]


def for_list(*, session: Session, list_id: int) -> list[Mailing]:
    """The list's marketing emails, newest first."""
    query = select(Mailing).where(Mailing.list_id == list_id).order_by(col(Mailing.id).desc())
    return list(session.exec(query))
