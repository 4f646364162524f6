"""Marketing email: the app's sender (`leads.consent.sending.send_due`: the consent gate, its audit, the message
built with `leads.consent.mailer`, one commit a message) beside plain `smtplib` sending the same messages.

`python -m bench mail [--messages N]` (default `BENCH_MAIL_MESSAGES`, else 10,000). One aiosmtpd server on
loopback, in this process, counts what arrives and keeps nothing. Each side runs in a child process of its own
(through bench.launch, so its peak memory is its own): the app's on a fresh SQLite database with N consenting
people on one list and a mailing queued to them (set-up not timed), the plain one building each message with the
standard library and sending it on one connection. Each side samples its resident memory after every batch of
200, so a flat line shows that memory does not grow with N.
"""

from __future__ import annotations

import os
import secrets
import socket
import tempfile
import time
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from bench.generator import ANCHOR
from bench.jobs import job, spawn

BATCH = 200
BODY = "Dear {first_name},\n\nRADNAC 3.2 is out: faster policy sync and a new audit view.\n\nThe RADNAC team"


class _Sink:
    """aiosmtpd's handler: counts the messages accepted, keeps none."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's name
        self.count += 1
        return "250 OK"


def _rss_mb() -> float:
    """This process's resident memory now (Linux: /proc/self/statm), in MB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _fill(session: Any, count: int) -> None:
    """N people, each with one lead and a marketing grant, on one list, and a mailing queued to all of them."""
    from leads.models import ConsentRecord, Lead, Mailing, MailingMessage, MarketingList, Person

    at = ANCHOR - timedelta(days=30)
    target = MarketingList(name="Bench", created_by="system:bench", created_at=at)
    session.add(target)
    session.flush()
    mailing = Mailing(list_id=target.id, subject="News for {first_name}", body=BODY, created_by="system:bench",
                      created_at=at, queued_at=at)  # fmt: skip
    session.add(mailing)
    session.flush()
    for start in range(0, count, 1000):
        numbers = range(start, min(count, start + 1000))
        people = [Person(email_key=f"p{n}@bench.example", created_at=at) for n in numbers]
        session.add_all(people)
        session.flush()
        leads = [
            Lead(source_partition_key="bench", source_row_key=f"r{p.id}", email=p.email_key, first_name=f"Ada{p.id}",
                 last_name="Bench", company="Contoso", person_id=p.id, first_seen_at=at, received_at=at)
            for p in people
        ]  # fmt: skip
        session.add_all(leads)
        session.flush()
        session.add_all(
            ConsentRecord(person_id=lead.person_id, lead_id=lead.id, purpose="marketing", granted=True, at=at,
                          method="email_reply", evidence="bench", wording_version="v1", recorded_by="system:bench",
                          created_at=at)
            for lead in leads
        )  # fmt: skip
        session.add_all(MailingMessage(mailing_id=mailing.id, lead_id=lead.id, status="queued") for lead in leads)
        session.commit()
        session.expunge_all()


@job
def mail_app(smtp_url: str, count: str) -> dict[str, Any]:
    """The app's sender, as the worker's mail job runs it, until nothing is left queued."""
    from sqlmodel import Session, SQLModel

    from bench.site import bench_app
    from leads.consent import mailer, sending

    with tempfile.TemporaryDirectory() as folder:
        app = bench_app(f"sqlite:///{folder}/mail.db")
        engine = app.extensions["radnac.engine"]
        SQLModel.metadata.create_all(engine)
        with Session(engine, expire_on_commit=False) as session, app.app_context():
            _fill(session, int(count))
            with mailer.Transport(mailer.parse_url(smtp_url)) as transport:
                sender = sending.Sender(
                    transport=transport, sender="RADNAC <news@radnac.example>", reply_to=None,
                    public_url="https://leads.radnac.example", unsubscribe_mailto=None, secret=secrets.token_hex(16),
                )  # fmt: skip
                rss, sent, started = [_rss_mb()], 0, time.perf_counter()
                while batch := sending.send_due(session=session, sender=sender, clock=lambda: ANCHOR, batch_size=BATCH):
                    sent += batch["sent"]
                    session.expunge_all()
                    rss.append(_rss_mb())
                seconds = time.perf_counter() - started
        engine.dispose()
    return {"seconds": seconds, "sent": sent, "rss_mb": [rss[0], max(rss), rss[-1]]}


@job
def mail_raw(smtp_url: str, count: str) -> dict[str, Any]:
    """The same messages (both parts, the unsubscribe headers) built with `email` and sent with `smtplib`."""
    import smtplib
    from urllib.parse import urlsplit

    parts = urlsplit(smtp_url)
    rss, started = [_rss_mb()], time.perf_counter()
    with smtplib.SMTP(parts.hostname or "127.0.0.1", parts.port or 25) as smtp:
        for n in range(int(count)):
            smtp.send_message(_plain(n))
            if n % BATCH == BATCH - 1:
                rss.append(_rss_mb())
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "sent": int(count), "rss_mb": [rss[0], max(rss), rss[-1]]}


def _plain(n: int) -> EmailMessage:
    url = f"https://leads.radnac.example/unsubscribe/token{n}"
    message = EmailMessage()
    message["From"], message["To"] = "RADNAC <news@radnac.example>", f"p{n}@bench.example"
    message["Subject"] = f"News for Ada{n}"
    message["List-Unsubscribe"], message["List-Unsubscribe-Post"] = f"<{url}>", "List-Unsubscribe=One-Click"
    text = BODY.format(first_name=f"Ada{n}")
    message.set_content(f"{text}\n\nUnsubscribe: {url}")
    message.add_alternative(f"<p>{text}</p><p><a href='{url}'>Unsubscribe</a></p>", subtype="html")
    return message


def run(count: int, log: Any = print) -> dict[str, dict[str, Any]]:
    """Both sides on `count` messages through one loopback server; each side's answer with `per_second`."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # a free loopback port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        url = f"smtp://127.0.0.1:{controller.port}"
        answers = {side: spawn(f"mail_{side}", url, str(count)) for side in ("app", "raw")}
    finally:
        controller.stop()
    if sink.count != 2 * count or any(answer["sent"] != count for answer in answers.values()):
        raise RuntimeError(f"expected {count} messages a side, the server got {sink.count}: {answers}")
    for side, answer in answers.items():
        answer["per_second"] = count / answer["seconds"]
        low, high, end = answer["rss_mb"]
        rate, peak = answer["per_second"], answer["peak_mb"]
        log(f"  {side}: {count} messages in {answer['seconds']:.1f} s, {rate:.0f} a second; peak RSS {peak:.0f} MB; "
            f"RSS while sending {low:.0f} -> {high:.0f} MB (end {end:.0f})")  # fmt: skip
    return answers


def main(messages: int) -> None:
    """`python -m bench mail`: both sides on `messages` messages, reported on stdout."""
    print(f"Marketing email, {messages} messages a side, through aiosmtpd on loopback:")
    run(messages)
