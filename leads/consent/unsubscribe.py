"""One-click unsubscribe (RFC 8058): the link in a marketing email withdraws the person's marketing consent.

The link's token names the person, the purpose and the message, signed (`rules/mailtext`). A POST with a good
token records a withdrawal on the person at once, dated when it arrived, with the message as its evidence; it
covers all their leads, as every withdrawal does. Each message's link works once: a replay (a second click, the
mail provider's POST and then the person's own) changes nothing. A forged or altered token changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, update

from leads.consent.records import ConsentInput, record_for_person
from leads.models import Lead, MailingMessage, Person
from leads.rules import mailtext

ACTOR = "system:unsubscribe"
WORDING = "One-click unsubscribe link in our marketing email (RFC 8058)"


def message_for(*, session: Session, token: str, secret: str) -> MailingMessage | None:
    """The message a well-signed marketing token came in, or None (forged, altered, or the message is gone)."""
    found = mailtext.verify(token, secret=secret)
    if found is None or found.purpose != "marketing":
        return None
    return session.get(MailingMessage, found.message_id)


def unsubscribe(*, session: Session, token: str, secret: str, now: datetime) -> str:
    """Withdraw the person's marketing consent for this token: "done", "already" (the link was used before:
    nothing changes) or "invalid" (nothing changes). Commits."""
    found = mailtext.verify(token, secret=secret)
    message = message_for(session=session, token=token, secret=secret)
    if found is None or message is None:
        return "invalid"
    claimed = session.exec(  # type: ignore[call-overload]
        update(MailingMessage)
        .where(col(MailingMessage.id) == message.id, col(MailingMessage.unsubscribed_at).is_(None))
        .values(unsubscribed_at=now)
    )
    if claimed.rowcount != 1:  # used before, or a concurrent request got there first
        session.rollback()
        return "already"
    lead = session.get(Lead, message.lead_id)
    person = session.get(Person, found.person_id) or (session.get(Person, lead.person_id) if lead else None)
    if person is None:
        session.rollback()
        return "invalid"
    evidence = (
        f"Used the one-click unsubscribe link of marketing email message #{message.id} (mailing "
        f"#{message.mailing_id}, subject {message.subject!r}); the request arrived {now:%Y-%m-%d %H:%M:%S} UTC."
    )
    given = ConsentInput("marketing", False, "unsubscribe_link", evidence, WORDING, at=now)
    record_for_person(session=session, person=person, given=given, actor=ACTOR, now=now)  # commits with the claim
    return "done"
