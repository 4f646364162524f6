"""Delivering a completed access export or portability bundle to the person who asked for it on the privacy
page: staff complete the request, the bundle is prepared into the export cache, and the person is emailed a
link; each download needs a fresh one-time code emailed to the request's address, is audited and kept in the
request's history, and the link serves `delivery.MAX_DOWNLOADS` downloads for `delivery.LINK_LIFETIME` at most,
after which the file is destroyed (`exportcache`). Services are keyword-only, take the session first and commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from sqlmodel import Session

from leads.models import RightsRequest, User
from leads.retention import exportcache
from leads.rights import actions, privacy_page, register
from leads.rules import delivery

KINDS = ("access", "portability")  # the requests answered with a bundle to download


class DeliveryError(ValueError):
    """The download was refused; the message says why, in the person's words."""


class LinkGone(DeliveryError):
    """The link does not (or no longer) work: spent, expired, or never ours."""


def deliverable(request: RightsRequest) -> bool:
    """Whether completing `request` emails its person a download link: an access or portability request made
    on the privacy page (requests staff typed in are answered by staff, as before)."""
    return request.source == privacy_page.SOURCE and request.kind in KINDS


@dataclass(frozen=True)
class Completed:
    """A completed request: the link's token and expiry when a bundle was prepared, else why not."""

    token: str | None = None
    expires_at: datetime | None = None
    not_prepared: str = ""


def complete(
    *, session: Session, request: RightsRequest, outcome: str, actor: User, now: datetime, cache: Path, secret: str,
    contact: str = "",
) -> Completed:  # fmt: skip
    """Complete `request`; when it is `deliverable`, first prepare its bundle (audited as staff's export) and,
    once closed, put it in the export cache behind a new link (the token is returned, to be emailed, never
    stored; `emailed` records what became of that email). A bundle that cannot be prepared (the request covers
    nobody) leaves the request completed without a link, saying why. Raises RequestError as closing does. Commits."""
    data, why = b"", ""
    if deliverable(request):
        try:
            chunks = actions.export(session=session, request=request, kind=request.kind, actor=actor, now=now,
                                    contact=contact)  # fmt: skip
            data = b"".join(chunks)
        except actions.ActionError as error:
            why = str(error)
    register.close(session=session, request=request, status="completed", outcome=outcome, actor=actor, now=now)
    if not data:
        return Completed(not_prepared=why)
    row, token = exportcache.store(session=session, request_id=request.id, kind=request.kind, data=data, cache=cache,
                                   secret=secret, now=now)  # fmt: skip
    return Completed(token, row.expires_at)


def emailed(
    *, session: Session, request: RightsRequest, token: str, sent: bool, actor: User, now: datetime, cache: Path,
    secret: str,
) -> None:  # fmt: skip
    """Record what became of the email carrying the link `token`: sent, it goes in the request's history; not
    taken by the mail server, the prepared export is destroyed at once (nobody holds the link: it would wait a
    week for no one) and the history says the link could not be emailed. Commits."""
    if sent:
        details = {"expires": delivery.expires(now).isoformat(), "downloads": delivery.MAX_DOWNLOADS}
        register.audit_request(session=session, request=request, actor=actor, now=now, action="delivery.sent",
                               details=details)  # fmt: skip
    else:
        exportcache.withdraw(session=session, token=token, secret=secret, cache=cache, now=now, why="not emailed")
        register.audit_request(session=session, request=request, actor=actor, now=now, action="delivery.not_emailed")
    session.commit()


def link_email(*, sender: str, request: RightsRequest, link: str, expires_at: datetime) -> EmailMessage:
    """The email carrying the link: plain text a person can follow, to the address the request came from."""
    words = delivery.email(kind=request.kind, link=link, expires_at=expires_at)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, request.requester_email, words.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or None)
    message.set_content(words.text)
    return message


def ask_code(*, session: Session, token: str, secret: str, cache: Path, now: datetime) -> tuple[str, str] | None:
    """A fresh one-time code for the address of the request the link answers: (address, code) to email, or None
    when the link does not (or no longer) work. Commits."""
    row = exportcache.live(session=session, token=token, secret=secret, cache=cache, now=now)
    request = session.get(RightsRequest, row.request_id) if row else None
    if request is None:
        return None
    email = request.requester_email
    return email, privacy_page.issue_code(session=session, email=email, secret=secret, now=now)


def opens(*, session: Session, token: str, secret: str, cache: Path, now: datetime) -> bool:
    """Whether the link still works (an expired or spent one is destroyed on the way). Commits."""
    return exportcache.live(session=session, token=token, secret=secret, cache=cache, now=now) is not None


@dataclass(frozen=True)
class Download:
    """One download: the bundle's kind, its bytes, and how many downloads the link has left."""

    kind: str
    data: bytes
    left: int


def download(*, session: Session, token: str, code: str, secret: str, cache: Path, now: datetime) -> Download:
    """The prepared bundle, for a live link and a right code emailed to the request's address: counted, audited
    and kept in the request's history; the last download allowed destroys the file. Raises DeliveryError with
    the reason for a dead link or a wrong or expired code. Commits."""
    row = exportcache.live(session=session, token=token, secret=secret, cache=cache, now=now)
    request = session.get(RightsRequest, row.request_id) if row else None
    if row is None or request is None:
        raise LinkGone(GONE)
    if not privacy_page.verify_code(session=session, email=request.requester_email, code=code, secret=secret, now=now):
        raise DeliveryError("That code is wrong or has expired. Ask for a new code, then type it here.")
    data = exportcache.read(row=row, cache=cache)
    if data is None:
        exportcache.destroy(session=session, row=row, cache=cache, now=now, why="missing")
        session.commit()
        raise LinkGone(GONE)
    row.downloads += 1
    session.add(row)
    details = {"download": row.downloads, "of": delivery.MAX_DOWNLOADS}
    register.audit_request(session=session, request=request, actor=privacy_page.ACTOR, now=now,
                           action="delivery.downloaded", details=details)  # fmt: skip
    if delivery.spent(row.downloads):
        exportcache.destroy(session=session, row=row, cache=cache, now=now, why="limit reached")
    session.commit()
    return Download(row.kind, data, delivery.MAX_DOWNLOADS - row.downloads)


GONE = (
    "This link no longer works: it has been used the most times it allows, or it has expired, and the file has "
    "been deleted. You can ask for your data again on our privacy page."
)
