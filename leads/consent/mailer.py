"""The SMTP transport: a server named by `MAIL_URL`, messages built with the standard library's `email`, sent with
`smtplib`, and each attempt's outcome sorted into sent, bounced (the server refused it for good), or temporary.

`MAIL_URL` is `smtp://host:port` (plain, for a local catcher), `smtp+starttls://user:password@host:587` or
`smtps://user:password@host:465` (TLS from the first byte); user and password are percent-encoded. One
connection is kept for a run of messages and opened again after the server drops it.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

SCHEMES = {"smtp": "plain", "smtp+starttls": "starttls", "smtps": "tls"}
DEFAULT_PORTS = {"plain": 25, "starttls": 587, "tls": 465}
SENT, BOUNCED, TEMPORARY = "sent", "bounced", "temporary"


class MailConfigError(ValueError):
    """MAIL_URL cannot be read; the message says what is wrong (never the password)."""


@dataclass(frozen=True)
class MailServer:
    """Where and how to hand mail over."""

    host: str
    port: int
    security: str  # "plain", "starttls" or "tls"
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0


def parse_url(url: str) -> MailServer:
    """The server `url` names; raises MailConfigError for an unknown scheme or a missing host."""
    parts = urlsplit(url)
    security = SCHEMES.get(parts.scheme)
    if security is None or not parts.hostname:
        raise MailConfigError("MAIL_URL must look like smtp+starttls://user:password@host:587 (or smtp://, smtps://)")
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return MailServer(parts.hostname, parts.port or DEFAULT_PORTS[security], security, user, password)


@dataclass(frozen=True)
class Letter:
    """One message as the app sends it: both parts and the unsubscribe headers (RFC 2369, RFC 8058)."""

    sender: str
    reply_to: str | None
    to: str
    subject: str
    text: str
    html: str
    unsubscribe_url: str
    unsubscribe_mailto: str | None


def build(letter: Letter) -> EmailMessage:
    """The MIME message: multipart/alternative (text, then HTML), with List-Unsubscribe and its one-click POST."""
    message = EmailMessage()
    message["From"] = letter.sender
    if letter.reply_to:
        message["Reply-To"] = letter.reply_to
    message["To"] = letter.to
    message["Subject"] = letter.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=letter.sender.rpartition("@")[2].strip("> ") or None)
    targets = [f"<{letter.unsubscribe_url}>"]
    if letter.unsubscribe_mailto:
        targets.append(f"<mailto:{letter.unsubscribe_mailto}?subject=unsubscribe>")
    message["List-Unsubscribe"] = ", ".join(targets)
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(letter.text)
    message.add_alternative(letter.html, subtype="html")
    return message


@dataclass(frozen=True)
class Attempt:
    """What happened to one message: SENT, BOUNCED (refused for good: 5xx) or TEMPORARY (retry later), and the
    server's words when it refused."""

    outcome: str
    detail: str = ""


class Transport:
    """A connection to one server, opened on first use and again after the server drops it. A context manager."""

    def __init__(self, server: MailServer) -> None:
        self.server = server
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Say QUIT and let go of the connection (quietly, if it is already gone)."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def _connect(self) -> smtplib.SMTP:
        server, context = self.server, ssl.create_default_context()
        if server.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
            if server.security == "starttls":
                smtp.starttls(context=context)
        if server.user:
            smtp.login(server.user, server.password or "")
        return smtp

    def send(self, message: EmailMessage) -> Attempt:
        """Hand `message` to the server; never raises for what the server or the network does."""
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            code, said = next(iter(error.recipients.values()))
            return _refused(code, said)
        except smtplib.SMTPSenderRefused as error:  # our address, not theirs: never the recipient's bounce
            self._reset()
            return Attempt(TEMPORARY, f"sender refused: {error.smtp_code}")
        except smtplib.SMTPDataError as error:
            self._reset()
            return _refused(error.smtp_code, error.smtp_error)
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            return Attempt(TEMPORARY, type(error).__name__)
        return Attempt(SENT)

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None


def _refused(code: int, said: bytes | str) -> Attempt:
    """A 5xx refusal is a hard bounce; anything else (4xx) is worth trying again later."""
    words = said.decode(errors="replace") if isinstance(said, bytes) else str(said)
    return Attempt(BOUNCED if 500 <= code < 600 else TEMPORARY, f"{code} {words}"[:500])
