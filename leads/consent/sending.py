"""Sending queued marketing email: each copy through the consent gate at the moment it is sent, then SMTP.

For each queued message the gate decides about the person then (`marketing_email.send`), audits the decision
with the consent record it relied on, and only if allowed is the message built (text and HTML, one-click
unsubscribe headers and link) and handed to the server. The outcome is kept on the message: sent, refused (the
gate's reason), bounced (the server refused the address for good: the person's address is marked undeliverable)
or, after `max_attempts` temporary failures spaced out exponentially, failed. Each message is committed on its
own, right after its attempt: a crash loses at most the one in hand, which is then sent again (at least once).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlmodel import Session, col, or_, select

from leads.consent import mailer
from leads.consent.mailings import QUEUED, SEND, fields
from leads.consent.records import gate
from leads.models import ConsentRecord, Lead, Mailing, MailingMessage, Person
from leads.rules import mailtext

ACTOR = "system:mail"
PURPOSE = "marketing"


class Transport(Protocol):
    def send(self, message: Any) -> mailer.Attempt: ...


@dataclass(frozen=True)
class Sender:
    """How mail leaves: the transport, the addresses it comes from, and where its unsubscribe links point."""

    transport: Transport
    sender: str
    reply_to: str | None
    public_url: str  # the app's address as people reach it, e.g. https://leads.radnac.example
    unsubscribe_mailto: str | None
    secret: str  # signs the unsubscribe tokens
    max_attempts: int = 5
    retry_after: timedelta = timedelta(minutes=5)


def send_due(
    *,
    session: Session,
    sender: Sender,
    clock: Callable[[], datetime],
    batch_size: int = 200,
    pause: Callable[[], object] = lambda: None,
    should_stop: Callable[[], bool] = lambda: False,
    mailing_id: int | None = None,
) -> Counter[str]:
    """Decide and send up to `batch_size` queued messages whose time has come (of one mailing, if given), oldest
    first, each committed on its own; `pause()` runs after each (the rate limit). How many ended in each outcome
    ("retry": to be tried again later)."""
    now = clock()
    due = select(MailingMessage.id).where(
        MailingMessage.status == QUEUED,
        or_(col(MailingMessage.next_attempt_at).is_(None), col(MailingMessage.next_attempt_at) <= now),
    )
    if mailing_id is not None:
        due = due.where(MailingMessage.mailing_id == mailing_id)
    counts: Counter[str] = Counter()
    for message_id in list(session.exec(due.order_by(col(MailingMessage.id)).limit(batch_size))):
        if should_stop():
            break
        counts[_send_one(session, sender, message_id, clock())] += 1
        pause()
    return counts


def _send_one(session: Session, sender: Sender, message_id: int, now: datetime) -> str:
    message = session.get(MailingMessage, message_id)
    if message is None or message.status != QUEUED:  # erased meanwhile, or another sender took it
        return "skipped"
    lead = session.get(Lead, message.lead_id)
    mailing = session.get(Mailing, message.mailing_id)
    assert lead is not None and mailing is not None  # nosec B101 # foreign keys with ON DELETE CASCADE

    def act(found: Lead, relied_on: ConsentRecord | None) -> dict[str, Any]:
        return {"outcome": _deliver(session, sender, mailing, message, found, relied_on, now)}

    details = {"mailing_id": mailing.id, "message_id": message.id}
    (outcome,) = gate(session=session, action_code=SEND, leads=[lead], actor=ACTOR, now=now, act=act, details=details)
    result = message.status if message.status != QUEUED else "retry"
    if not outcome.decision.allowed:
        message.status, message.reason, message.decided_at = "refused", outcome.decision.reason_text, now
        result = "refused"
    session.add(message)
    session.commit()
    return result


def _deliver(
    session: Session,
    sender: Sender,
    mailing: Mailing,
    message: MailingMessage,
    lead: Lead,
    relied_on: ConsentRecord | None,
    now: datetime,
) -> str:
    """Build and hand over one allowed message; record what was sent and what became of it; the outcome."""
    message.consent_record_id = relied_on.id if relied_on else None
    message.attempts += 1
    if not lead.email:
        return _finish(message, "failed", "The lead has no email address.", now)
    letter = _letter(sender, mailing, message, lead)
    message.to_address, message.subject, message.body = lead.email, letter.subject, letter.text
    attempt = sender.transport.send(mailer.build(letter))
    if attempt.outcome == mailer.SENT:
        return _finish(message, "sent", None, now)
    if attempt.outcome == mailer.BOUNCED:
        person = session.get(Person, lead.person_id) if lead.person_id else None
        if person is not None:
            person.undeliverable_at = person.undeliverable_at or now
            session.add(person)
        return _finish(message, "bounced", attempt.detail, now)
    if message.attempts >= sender.max_attempts:
        return _finish(message, "failed", attempt.detail, now)
    message.reason, message.next_attempt_at = attempt.detail, now + sender.retry_after * 2 ** (message.attempts - 1)
    return "retry"


def _finish(message: MailingMessage, status: str, reason: str | None, now: datetime) -> str:
    message.status, message.reason, message.decided_at, message.next_attempt_at = status, reason, now, None
    return status


def _letter(sender: Sender, mailing: Mailing, message: MailingMessage, lead: Lead) -> mailer.Letter:
    token = mailtext.sign(mailtext.Token(lead.person_id or 0, PURPOSE, message.id or 0), secret=sender.secret)
    url = f"{sender.public_url.rstrip('/')}/unsubscribe/{token}"
    body = mailtext.fill(mailing.body, fields(lead))
    return mailer.Letter(
        sender=sender.sender,
        reply_to=sender.reply_to,
        to=lead.email or "",
        subject=mailtext.fill(mailing.subject, fields(lead)),
        text=mailtext.text_body(body, url),
        html=mailtext.html_body(body, url),
        unsubscribe_url=url,
        unsubscribe_mailto=sender.unsubscribe_mailto,
    )
