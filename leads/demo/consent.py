"""Demo consent and marketing, so `make run` shows the gate at work: a few people gave marketing consent, one of
them withdrew it since, and a marketing list holds them (the one who withdrew is left out of its export)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from leads.models import ConsentRecord, Lead, Mailing, MailingMessage, MarketingList, MarketingListMember
from leads.people import consents
from leads.rules.vocabulary import CURRENT_WORDING

ACTOR = "system:demo"
LIST_NAME = "RADNAC 3.0 launch (demo)"
GRANTS = [
    ("email_reply", "Replied “yes, keep me posted on new releases” to our follow-up of their trial (sales@ mailbox)."),
    ("phone_call", "Asked on a support call to hear about the launch; call note in the support ticket."),
    ("web_form", "Ticked “send me product news” on the radnac.com contact form."),
    ("signed_form", "Signed the marketing preferences form at the partner event; scan kept in the shared drive."),
    ("email_reply", "Wrote back “happy to receive your newsletter”."),
]


DEMO_BODY = "Dear {first_name},\n\nRADNAC 3.0 ships next month. Reply to this email to book a demo for {company}."


def load(*, session: Session, leads: list[Lead], now: datetime) -> None:
    """Add the demo consent history and list for `leads` (flushed, so they have ids); the caller commits."""
    people = [lead for lead in leads if lead.email and not lead.is_dnc and now - lead.received_at > timedelta(days=60)]
    launch = MarketingList(
        name=LIST_NAME,
        description="People who asked to hear about the next major release.",
        created_by=ACTOR,
        created_at=now - timedelta(days=25),
    )
    session.add(launch)
    session.flush()
    for n, (lead, (method, evidence)) in enumerate(zip(people, GRANTS, strict=False)):
        grant = _record(lead, True, now - timedelta(days=40 - n), method, evidence)
        consents.append(session=session, records=[grant])
        added = now - timedelta(days=20 - n)
        session.add(
            MarketingListMember(
                list_id=launch.id, lead_id=lead.id, added_at=added, added_by=ACTOR, consent_record_id=grant.id
            )
        )
    withdrew = people[len(GRANTS) - 1]  # after joining the list: the export leaves them out
    withdrawal = _record(withdrew, False, now - timedelta(days=3), "email_reply", "Replied “please take me off”.")
    consents.append(session=session, records=[withdrawal])
    _queue_mailing(session, launch, [lead for lead, _ in zip(people, GRANTS, strict=False)], now)


def _queue_mailing(session: Session, launch: MarketingList, members: list[Lead], now: datetime) -> None:
    """An email to the list, queued: `make run`'s worker sends it to the local mail catcher through the gate
    (the person who withdrew is refused), so a newcomer sees what the app sends and what it refuses."""
    mailing = Mailing(list_id=launch.id, subject="RADNAC 3.0 is coming, {first_name}", body=DEMO_BODY,
                      created_by=ACTOR, created_at=now, queued_at=now)  # fmt: skip
    session.add(mailing)
    session.flush()
    session.add_all(MailingMessage(mailing_id=mailing.id, lead_id=lead.id, status="queued") for lead in members)


def _record(lead: Lead, granted: bool, at: datetime, method: str, evidence: str) -> ConsentRecord:
    return ConsentRecord(
        person_id=lead.person_id,
        lead_id=lead.id,
        purpose="marketing",
        granted=granted,
        at=at,
        method=method,
        evidence=evidence,
        wording_version=CURRENT_WORDING,
        recorded_by=ACTOR,
        created_at=at + timedelta(hours=2),
    )
