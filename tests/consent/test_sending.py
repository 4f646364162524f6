"""Marketing email sent by the app, end to end through a real SMTP server on loopback (aiosmtpd): the gate decides
each copy at the moment it is sent, every email carries a one-click unsubscribe that works once, and a hard bounce
marks the address undeliverable."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlsplit

from sqlmodel import col, func, select

from leads.consent import mailer, mailings, marketing, sending
from leads.models import AuditEvent, ConsentRecord, Lead, MailingMessage, Person
from leads.retention import sweeper
from tests.factories import PINNED_NOW, TOMBSTONE_KEY, stored_anywhere, sweep
from tests.marketing_samples import give, make_lead, make_list

PUBLIC_URL = "https://leads.radnac.example"


def _send(session, smtp_server, clock, **kwargs):
    with mailer.Transport(mailer.parse_url(smtp_server.url)) as transport:
        sender = sending.Sender(
            transport=transport,
            sender="RADNAC <marketing@radnac.example>",
            reply_to="sales@radnac.example",
            public_url=PUBLIC_URL,
            unsubscribe_mailto="unsubscribe@radnac.example",
            secret="test-secret",
            **kwargs,
        )
        return sending.send_due(session=session, sender=sender, clock=clock)


def _mail(session, target, clock, subject="Hello {first_name}"):
    mailing = mailings.create(
        session=session, list_id=target.id, subject=subject, body="Dear {first_name},\n\nNews.", actor="system:test",
        now=clock.now,
    )  # fmt: skip
    return mailing, mailings.queue(session=session, mailing_id=mailing.id, actor="system:test", now=clock.now)


def _on_list(session, name, leads, clock):
    target = make_list(session, name)
    ids = [lead.id for lead in leads]
    marketing.add_to_list(session=session, list_id=target.id, lead_ids=ids, actor="system:test", now=clock.now)
    return target


def _unsubscribe_path(message) -> str:
    https = [part.strip("<> ") for part in message["List-Unsubscribe"].split(",") if "https://" in part]
    return urlsplit(https[0]).path


def _audits(session, action):
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))
    return [(event.record_id, json.loads(event.details)) for event in session.exec(query)]


def test_a_send_reaches_only_current_consent_and_a_second_send_nobody(client, session, clock, smtp_server):
    ada, bob, cy = (make_lead(session, n) for n in (1, 2, 3))
    grants = {lead.id: give(session, lead) for lead in (ada, bob, cy)}
    launch = _on_list(session, "Launch", [ada, bob, cy], clock)
    # Cy got an earlier email and used its one-click unsubscribe (the POST a mail provider sends).
    _mail(session, _on_list(session, "Early", [cy], clock), clock, subject="Early news")
    assert _send(session, smtp_server, clock) == {"sent": 1}
    (first,) = smtp_server.to(cy.email)
    clock.now += timedelta(hours=1)
    answer = client.post(_unsubscribe_path(first), data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200 and b"You are unsubscribed" in answer.data
    # Bob withdraws by email after being added to the list; staff record it.
    give(session, bob, at=clock.now, granted=False)
    clock.now += timedelta(hours=1)

    _mailing, queued = _mail(session, launch, clock)
    assert queued == 3
    assert _send(session, smtp_server, clock) == {"sent": 1, "refused": 2}

    assert [m["To"] for m in smtp_server.messages] == [cy.email, ada.email]
    launched = select(MailingMessage).where(MailingMessage.mailing_id == _mailing.id)
    outcome = {message.lead_id: message for message in session.exec(launched)}
    assert outcome[ada.id].status == "sent" and outcome[ada.id].consent_record_id == grants[ada.id].id
    assert outcome[bob.id].status == "refused" and "Marketing consent was withdrawn" in outcome[bob.id].reason
    assert outcome[cy.id].status == "refused" and "withdrawn" in outcome[cy.id].reason
    allowed = [d for lead_id, d in _audits(session, "marketing_email.send") if lead_id == str(ada.id)]
    assert allowed[0]["consent_record_id"] == grants[ada.id].id and allowed[0]["outcome"] == "sent"
    refused = dict(_audits(session, "marketing_email.send.refused"))
    assert any("withdrawn" in reason for reason in refused[str(bob.id)]["reasons"])

    # A second send reaches nobody: everyone has their copy, and nothing is left due.
    assert mailings.queue(session=session, mailing_id=_mailing.id, actor="system:test", now=clock.now) == 0
    assert _send(session, smtp_server, clock) == {}
    assert len(smtp_server.messages) == 2


def test_the_unsubscribe_records_a_withdrawal_on_the_person_once(client, session, clock, smtp_server):
    ada = make_lead(session, 1)
    second = make_lead(session, 4, email=ada.email.upper())  # the same person, through their address
    give(session, ada)
    _mail(session, _on_list(session, "Launch", [ada], clock), clock)
    _send(session, smtp_server, clock)
    (message,) = smtp_server.messages
    path = _unsubscribe_path(message)
    clock.now += timedelta(minutes=5)

    assert client.get(path).status_code == 200  # a link scanner's GET: a page with a button, nothing recorded
    withdrawals = select(func.count()).select_from(ConsentRecord).where(ConsentRecord.granted == False)  # noqa: E712
    assert session.exec(withdrawals).one() == 0
    assert b"as of now" in client.post(path).data
    replay = client.post(path)
    assert replay.status_code == 200 and b"had already been used" in replay.data

    (withdrawal,) = session.exec(select(ConsentRecord).where(ConsentRecord.granted == False)).all()  # noqa: E712
    assert withdrawal.at == clock.now and withdrawal.method == "unsubscribe_link"
    assert f"message #{session.exec(select(MailingMessage.id)).one()}" in withdrawal.evidence
    assert withdrawal.person_id == ada.person_id == second.person_id  # covers all their leads
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert client.post(forged).status_code == 404
    assert session.exec(withdrawals).one() == 1  # the replay and the forgery changed nothing


def test_every_email_carries_both_parts_and_one_click_unsubscribe(session, clock, smtp_server):
    ada = make_lead(session, 1)
    give(session, ada)
    _mail(session, _on_list(session, "Launch", [ada], clock), clock)
    _send(session, smtp_server, clock)
    (message,) = smtp_server.messages
    assert message["Subject"] == "Hello Person1" and message["Reply-To"] == "sales@radnac.example"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "<mailto:unsubscribe@radnac.example" in message["List-Unsubscribe"]
    url = PUBLIC_URL + _unsubscribe_path(message)
    assert "@" not in url and "p1" not in url  # no address in the link
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Dear Person1" in text and url in text
    assert f'href="{url}"' in html and "Dear Person1" in html


def test_a_hard_bounce_marks_the_address_undeliverable_and_stops_further_mail(session, clock, smtp_server):
    ada = make_lead(session, 1)
    give(session, ada)
    smtp_server.refuse.add(ada.email)
    target = _on_list(session, "Launch", [ada], clock)
    _mail(session, target, clock)
    assert _send(session, smtp_server, clock) == {"bounced": 1}
    assert session.get(Person, ada.person_id).undeliverable_at == clock.now
    (bounced,) = session.exec(select(MailingMessage)).all()
    assert bounced.reason.startswith("550")

    _mail(session, target, clock, subject="Again")
    assert _send(session, smtp_server, clock) == {"refused": 1}
    assert smtp_server.messages == []


def test_a_temporary_failure_is_retried_later_then_given_up(session, clock, smtp_server):
    ada = make_lead(session, 1)
    give(session, ada)
    smtp_server.defer.add(ada.email)
    _mail(session, _on_list(session, "Launch", [ada], clock), clock)
    assert _send(session, smtp_server, clock, max_attempts=2) == {"retry": 1}
    assert _send(session, smtp_server, clock, max_attempts=2) == {}  # not due yet
    clock.now += timedelta(minutes=6)
    assert _send(session, smtp_server, clock, max_attempts=2) == {"failed": 1}
    (failed,) = session.exec(select(MailingMessage)).all()
    assert failed.attempts == 2 and failed.reason.startswith("451")


def _sent_to_a_canary(session, clock, smtp_server):
    """A lead named with a unique word, sent one email that names them; the word as sent."""
    ada = make_lead(session, 1, first_name="Cnrymailada")
    give(session, ada)
    _mail(session, _on_list(session, "Launch", [ada], clock), clock)
    assert _send(session, smtp_server, clock) == {"sent": 1}
    (sent,) = session.exec(select(MailingMessage)).all()
    assert "Cnrymailada" in sent.subject and "Cnrymailada" in sent.body
    return ada


def test_an_erasure_takes_the_sent_email_and_what_it_said(session, clock, smtp_server):
    ada = _sent_to_a_canary(session, clock, smtp_server)
    person = session.get(Person, ada.person_id)
    sweeper.erase_person(session=session, person=person, now=clock.now, actor="system:test",
                         tombstone_key=TOMBSTONE_KEY, source=None)  # fmt: skip
    session.expire_all()
    assert session.exec(select(func.count()).select_from(MailingMessage)).one() == 0
    assert stored_anywhere(session, "cnrymailada") == set()


def test_the_sweep_takes_the_sent_email_with_the_lead_at_its_deadline(session, clock, smtp_server):
    ada = _sent_to_a_canary(session, clock, smtp_server)
    sweep(session, now=PINNED_NOW + timedelta(days=3 * 366))
    session.expire_all()
    assert session.get(Lead, ada.id) is None
    assert session.exec(select(func.count()).select_from(MailingMessage)).one() == 0
    assert stored_anywhere(session, "cnrymailada") == set()


def test_the_lead_and_person_pages_show_the_apps_emails_and_an_undeliverable_address(
    client, auth, session, clock, smtp_server
):
    ada, bob = make_lead(session, 1), make_lead(session, 2)
    give(session, ada), give(session, bob)
    smtp_server.refuse.add(ada.email)
    _mail(session, _on_list(session, "Launch", [ada, bob], clock), clock)
    assert _send(session, smtp_server, clock) == {"bounced": 1, "sent": 1}
    auth.login("support")
    for path in (f"/leads/{ada.id}", f"/people/{ada.person_id}"):
        page = client.get(path).get_data(as_text=True)
        assert "Emails the app sent" in page and "Undeliverable" in page, path
        assert "bounced" in page and "“Hello Person1”" in page and "550 5.1.1 No such mailbox" in page, path
    page = client.get(f"/leads/{bob.id}").get_data(as_text=True)
    assert "<strong>sent</strong>" in page and "“Hello Person2” to p2@x.example" in page
    assert "Undeliverable" not in page
