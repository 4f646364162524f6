"""The person's own privacy page: a one-time code emailed to their address, then their consent choices and
rights requests, recorded at once on the person and in the register.

Codes are 6 digits, valid 15 minutes, used once, and kept only as keyed hashes (of the address and of the code,
keyed by the app's secret): the table names nobody. A code is sent whether or not we hold anything about the
address, so asking for one reveals nothing; only the address's holder learns what we hold. Services are
keyword-only, take the session first and commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlmodel import Session, col, delete, select

from leads.consent import mailer
from leads.consent.records import CONSENT_PURPOSES, ConsentError, ConsentInput, ConsentState, person_panel
from leads.consent.records import record_for_person as record_consent
from leads.models import Person, PrivacyCode, RightsRequest
from leads.rights import register
from leads.rules import people, rights, uktime
from leads.staff import audit

ACTOR = "system:privacy-page"
WORDING = "Privacy page v1 (privacy notice, last updated 2025-10-08)"
CODE_LIFETIME = timedelta(minutes=15)
MAX_TRIES = 5  # wrong codes against one code before it is destroyed
SOURCE = "privacy_page"


def _key(secret: str, *parts: str) -> str:
    return hmac.new(secret.encode(), "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def address_hash(email: str, *, secret: str) -> str:
    """The keyed hash an address is known by in the code table (its normalised form, never the address)."""
    return _key(secret, "privacy-address", people.normalise_email(email) or "")


def issue_code(*, session: Session, email: str, secret: str, now: datetime) -> str:
    """A fresh 6-digit code for `email`, stored hashed; expired codes of anyone are destroyed. Commits; returns
    the code (to be emailed, never stored)."""
    session.exec(delete(PrivacyCode).where(col(PrivacyCode.expires_at) <= now))  # type: ignore[call-overload]
    code = f"{secrets.randbelow(10**6):06d}"
    hashed = address_hash(email, secret=secret)
    session.add(
        PrivacyCode(
            address_hash=hashed,
            code_hash=_key(secret, "privacy-code", hashed, code),
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
    )
    session.commit()
    return code


def verify_code(*, session: Session, email: str, code: str, secret: str, now: datetime) -> bool:
    """Whether `code` is a live code sent to `email`. A right code is used up (every code of the address goes);
    a wrong one counts against the address's newest code, destroyed after MAX_TRIES. Commits."""
    hashed = address_hash(email, secret=secret)
    live = list(
        session.exec(
            select(PrivacyCode)
            .where(PrivacyCode.address_hash == hashed, col(PrivacyCode.expires_at) > now)
            .order_by(col(PrivacyCode.id).desc())
        )
    )
    wanted = _key(secret, "privacy-code", hashed, code.strip())
    if any(hmac.compare_digest(row.code_hash, wanted) for row in live):
        session.exec(delete(PrivacyCode).where(PrivacyCode.address_hash == hashed))  # type: ignore[call-overload]
        session.commit()
        return True
    if live:
        newest = live[0]
        newest.attempts += 1
        if newest.attempts >= MAX_TRIES:
            session.delete(newest)
        else:
            session.add(newest)
        session.commit()
    return False


def code_email(*, sender: str, to: str, code: str, page_url: str) -> EmailMessage:
    """The email carrying a code: plain text, no link that would carry the code or the address."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, f"Your RADNAC privacy code: {code}"
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or None)
    message.set_content(
        f"Your code is {code}.\n\nType it on our privacy page ({page_url}) within 15 minutes; it works once.\n"
        "If you did not ask for it, ignore this email: nothing happens without the code.\n"
    )
    return message


def send(*, mail_url: str, message: EmailMessage) -> bool:
    """Hand `message` to the mail server; whether it was accepted."""
    with mailer.Transport(mailer.parse_url(mail_url)) as transport:
        return transport.send(message).outcome == mailer.SENT


@dataclass(frozen=True)
class Mine:
    """What the page shows a verified address: the consent per purpose, and the requests it made."""

    held: bool
    consents: dict[str, ConsentState]
    requests: list[RightsRequest]


def person_for(*, session: Session, email: str) -> Person | None:
    """The person the (verified) address finds, if we hold one."""
    key = people.normalise_email(email)
    return session.exec(select(Person).where(Person.email_key == key)).first() if key else None


def mine(*, session: Session, email: str, now: datetime) -> Mine:
    """The page's view of a verified address."""
    person = person_for(session=session, email=email)
    states = person_panel(session=session, person_id=person.id, now=now).states if person and person.id else {}
    made = session.exec(
        select(RightsRequest)
        .where(RightsRequest.requester_email == email, RightsRequest.source == SOURCE)
        .order_by(col(RightsRequest.id).desc())
    )
    return Mine(person is not None, {p: states.get(p, ConsentState("none")) for p in CONSENT_PURPOSES}, list(made))


def choose(*, session: Session, email: str, purpose: str, granted: bool, now: datetime, objection: bool = False) -> str:
    """Record the verified address's consent choice on their person at once, the address and this page's wording
    as evidence. Returns what happened in words; raises ConsentError when a grant is refused. Commits."""
    person = person_for(session=session, email=email)
    if person is None:
        return "We hold no records about this address, so there is no consent to change."
    what = "objected to" if objection else ("gave consent for" if granted else "withdrew consent for")
    evidence = (
        f"On the privacy page, the holder of {email} (verified by a one-time code emailed to it) {what} "
        f"{purpose} at {now:%Y-%m-%d %H:%M:%S} UTC."
    )
    given = ConsentInput(purpose, granted, "web_form", evidence, WORDING, at=now)
    decision = record_consent(session=session, person=person, given=given, actor=ACTOR, now=now)
    if not decision.allowed:
        raise ConsentError(decision.reason_text)
    if objection:
        _object(session, person, now)
        return "Recorded your objection: we have stopped marketing to you and using your data, for every record."
    return "Recorded: " + ("you gave consent." if granted else "we have stopped, for every record we hold.")


def _object(session: Session, person: Person, now: datetime) -> None:
    """The person objects (line 29), as staff record it from an objection request: the flag on the person stops
    marketing and nurturing for every lead of theirs, one that arrives later too. Audited; commits."""
    person.objected = True
    session.add(person)
    audit.commit(session=session, at=now, actor=ACTOR, action="person.objection", on=("person", person.id),
                 details={"by": "privacy page"})  # fmt: skip


def make_request(*, session: Session, email: str, kind: str, details: str, now: datetime) -> RightsRequest:
    """A request made on the page: in the register as received today, identity verified by the emailed code (a
    step of its own). A rectification says what to correct. Commits; raises RequestError with the reason."""
    if kind not in rights.KINDS:
        raise register.RequestError("Choose what you would like us to do.")
    if kind == "rectification" and not details.strip():
        raise register.RequestError("Say what we should correct, and what it should say.")
    request = register.create(
        session=session, kind=kind, requester_name=email, requester_email=email, channel="web_form",
        received_on=uktime.today(now), details=details, actor=ACTOR, now=now, source=SOURCE,
    )  # fmt: skip
    register.verify_identity(session=session, request=request, actor=ACTOR, now=now, by_emailed_code=True)
    return request
