"""The person's own privacy page (/privacy): a code emailed to the address, then consent and requests, through a
real SMTP server on loopback; off by default; reveals nothing about strangers; throttled, bounded, CSRF-protected.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from leads.consent import records
from leads.models import AuditEvent, ExportDelivery, PrivacyCode, RequestStep, RightsRequest
from leads.rules import uktime
from tests.factories import PINNED_NOW
from tests.marketing_samples import give, make_lead
from tests.web.walk import row_counts

ROUTES = [("GET", "/privacy"), ("POST", "/privacy/code"), ("POST", "/privacy/verify"), ("GET", "/privacy/mine"),
          ("POST", "/privacy/choose"), ("POST", "/privacy/request"), ("GET", "/privacy/download/not-a-link"),
          ("POST", "/privacy/download/not-a-link/code"), ("POST", "/privacy/download/not-a-link")]  # fmt: skip


@pytest.fixture
def page_on(app, smtp_server):
    app.config.update(PRIVACY_PAGE=True, MAIL_URL=smtp_server.url)
    return smtp_server


def _code(inbox, email: str) -> str:
    return re.search(r"\b(\d{6})\b", inbox.to(email)[-1]["Subject"]).group(1)


def _sign_in(client, inbox, email: str):
    answer = client.post("/privacy/code", data={"email": email})
    assert answer.status_code == 200
    return answer, client.post("/privacy/verify", data={"code": _code(inbox, email)})


def test_the_page_is_off_by_default_and_every_route_answers_404(app, client):
    assert app.config["PRIVACY_PAGE"] is False
    for method, url in ROUTES:
        assert client.open(url, method=method, data={"email": "a@x.example"}).status_code == 404, url


def test_a_person_with_two_leads_withdraws_marketing_for_both_at_once(app, client, session, page_on, clock):
    first, second = make_lead(session, 1, email="ada@x.example"), make_lead(session, 2, email="Ada@X.example")
    give(session, first)
    _, verified = _sign_in(client, page_on, "ada@x.example")
    assert verified.status_code == 303 and verified.headers["Location"].endswith("/privacy/mine")
    assert "You agreed" in client.get("/privacy/mine").get_data(as_text=True)
    answer = client.post("/privacy/choose", data={"purpose": "marketing", "choice": "withdraw"})
    assert answer.status_code == 200 and "we have stopped" in answer.get_data(as_text=True)
    states = records.states(session=session, lead_ids=[first.id, second.id], now=clock.now)
    assert {s.state for s in states.values()} == {"withdrawn"}
    latest = records.person_histories(session=session, person_ids=[first.person_id])[first.person_id][-1]
    assert "ada@x.example" in latest.evidence and latest.wording_version.startswith("Privacy page v1")
    assert session.exec(select(PrivacyCode)).all() == []  # used: destroyed


def test_a_strangers_address_gets_the_same_answer_and_no_data(client, session, page_on):
    make_lead(session, 1, email="ada@x.example")
    known = client.post("/privacy/code", data={"email": "ada@x.example"}).get_data(as_text=True)
    stranger = client.post("/privacy/code", data={"email": "eve@x.example"}).get_data(as_text=True)
    assert _without_tokens(known) == _without_tokens(stranger)
    client.post("/privacy/verify", data={"code": _code(page_on, "eve@x.example")})
    mine = client.get("/privacy/mine").get_data(as_text=True)
    assert "We hold no records about this address" in mine and "Person1" not in mine
    assert all(row.address_hash != "eve@x.example" for row in session.exec(select(PrivacyCode)))


def _without_tokens(page: str) -> str:
    return re.sub(r'name="csrf_token"[^>]*value="[^"]*"', "", page)


def test_a_wrong_or_expired_code_is_refused_and_a_code_works_once(client, page_on, clock):
    client.post("/privacy/code", data={"email": "ada@x.example"})
    code = _code(page_on, "ada@x.example")
    wrong = "000000" if code != "000000" else "111111"
    assert client.post("/privacy/verify", data={"code": wrong}).status_code == 400
    assert client.get("/privacy/mine").status_code == 303  # not verified
    clock.now = PINNED_NOW + timedelta(minutes=16)
    assert client.post("/privacy/verify", data={"code": code}).status_code == 400  # expired
    client.post("/privacy/code", data={"email": "ada@x.example"})
    fresh = _code(page_on, "ada@x.example")
    assert client.post("/privacy/verify", data={"code": fresh}).status_code == 303
    other = type(client)(client.application, client.response_wrapper, use_cookies=True)
    other.post("/privacy/code", data={"email": "bob@x.example"})
    assert other.post("/privacy/verify", data={"code": fresh}).status_code == 400  # one use, one address


def test_a_request_lands_in_the_register_received_today_verified_by_the_emailed_code(client, session, page_on, clock):
    make_lead(session, 1, email="ada@x.example")
    _sign_in(client, page_on, "ada@x.example")
    answer = client.post("/privacy/request", data={"kind": "access", "details": ""})
    assert answer.status_code == 200 and "received today" in answer.get_data(as_text=True)
    (made,) = session.exec(select(RightsRequest)).all()
    assert (made.source, made.received_on, made.identity_verified) == ("privacy_page", uktime.today(clock.now), True)
    assert made.due_on is not None and made.requester_email == "ada@x.example"
    steps = [s.step for s in session.exec(select(RequestStep).where(RequestStep.request_id == made.id))]
    assert steps == ["create", "identity.emailed_code"]
    refused = client.post("/privacy/request", data={"kind": "rectification", "details": " "})
    assert refused.status_code == 400 and "what we should correct" in refused.get_data(as_text=True)


def test_staff_see_the_source_on_the_register_and_in_its_csv(client, session, page_on, auth):
    _sign_in(client, page_on, "ada@x.example")
    client.post("/privacy/request", data={"kind": "erasure", "details": ""})
    staff = type(client)(client.application, client.response_wrapper, use_cookies=True)
    auth.client = staff
    auth.login("admin")
    assert "Privacy page" in staff.get("/rights").get_data(as_text=True)
    csv = staff.post("/rights/export.csv").get_data(as_text=True)
    assert "source" in csv.splitlines()[0] and "privacy_page" in csv


def test_csrf_is_required_on_every_post(app, client, page_on):
    app.config["WTF_CSRF_ENABLED"] = True
    for method, url in ROUTES:
        if method == "POST":
            assert client.post(url, data={"email": "a@x.example", "code": "123456"}).status_code == 400, url
    assert page_on.messages == []


def test_a_hostile_sweep_writes_nothing_beyond_the_throttled_codes(app, session, page_on):
    before = row_counts(session)
    text = "FORGED-" + "x" * 4096
    statuses = set()
    for round_ in range(30):
        visitor = app.test_client()
        for method, url in ROUTES:
            data = {"email": f"v{round_}@x.example" if round_ % 2 else text, "code": text, "purpose": text,
                    "choice": text, "kind": text, "details": text}  # fmt: skip
            response = visitor.open(url, method=method, data=data if method == "POST" else None, query_string=data)
            statuses.add(response.status_code)
    grown = {t: n - before[t] for t, n in row_counts(session).items() if n != before[t]}
    assert grown.pop("privacycode", 0) <= 10  # PRIVACY_CODE_LIMIT_PER_ADDRESS
    assert grown == {}, grown
    assert 500 not in statuses and 429 in statuses
    assert session.exec(select(AuditEvent)).all() == []


def test_objecting_on_the_page_sets_the_objection_and_marketing_is_refused_for_every_lead(
    client, session, page_on, clock
):
    first, second = make_lead(session, 1, email="ada@x.example"), make_lead(session, 2, email="ADA@x.example")
    give(session, first)
    _sign_in(client, page_on, "ada@x.example")
    answer = client.post("/privacy/choose", data={"purpose": "marketing", "choice": "object"})
    assert answer.status_code == 200 and "objection" in answer.get_data(as_text=True)
    decisions = records.preview(session=session, leads=[first, second], action_code="marketing_email.send",
                                now=clock.now)  # fmt: skip
    for decision in decisions.values():  # the same as staff recording it: the person's objection (line 29)
        assert not decision.allowed and any("objected" in reason for reason in decision.reasons), decision.reasons
    nurture = records.preview(session=session, leads=[second], action_code="lead.follow_up", now=clock.now)
    assert not nurture[second.id].allowed
    (event,) = session.exec(select(AuditEvent).where(AuditEvent.action == "person.objection")).all()
    assert (event.record_type, event.record_id) == ("person", str(first.person_id))


def _link(inbox, email: str) -> str:
    text = inbox.to(email)[-1].get_content()
    return re.search(r"(http://\S+/privacy/download/\S+)", text).group(1)


def test_staff_completing_a_page_access_request_email_the_person_a_link_that_downloads_three_times(
    app, client, session, page_on, auth, clock
):
    lead = make_lead(session, 1, email="ada@x.example")
    _sign_in(client, page_on, "ada@x.example")
    client.post("/privacy/request", data={"kind": "access", "details": ""})
    (made,) = session.exec(select(RightsRequest)).all()
    staff = type(client)(client.application, client.response_wrapper, use_cookies=True)
    auth.client = staff
    auth.login("support")
    staff.post(f"/rights/{made.id}/leads", data={"lead_id": lead.id})
    closed = staff.post(f"/rights/{made.id}/step/close", follow_redirects=True,
                        data={"status": "completed", "text": "Sent the export", "confirm": "y"})  # fmt: skip
    assert "emailed a link" in closed.get_data(as_text=True)
    email = page_on.to("ada@x.example")[-1]
    text = email.get_content()  # as the person reads it: plain text, the link, what to do, until when
    assert email["Subject"] == "Your RADNAC data is ready to download" and not email.is_multipart()
    assert "09:30 on Wednesday 2 December 2026 (UK time)" in text and "one-time code" in text
    path = _link(page_on, "ada@x.example").removeprefix(app.config["PUBLIC_URL"])
    assert "ada" not in path.lower()

    person = app.test_client()  # another browser: the link and the code are all it needs
    assert "Download your data" in person.get(path).get_data(as_text=True)
    assert "wrong or has expired" in person.post(path, data={"code": "12345x"}).get_data(as_text=True)
    for n in range(3):
        assert person.post(f"{path}/code").status_code == 200
        got = person.post(path, data={"code": _code(page_on, "ada@x.example")})
        assert got.status_code == 200 and got.mimetype == "application/zip", n
        assert got.headers["Content-Disposition"].startswith("attachment;")
    assert person.get(path).status_code == 404
    assert person.post(f"{path}/code").status_code == 404
    for _ in range(2):  # codes for one link: 6 per 15 minutes, however the link stands
        person.post(f"{path}/code")
    assert person.post(f"{path}/code").status_code == 429
    assert list(Path(app.config["EXPORT_CACHE"]).iterdir()) == []
    downloads = session.exec(select(AuditEvent).where(AuditEvent.action == "rights.delivery.downloaded")).all()
    assert len(downloads) == 3 and {e.record_id for e in downloads} == {str(made.id)}


def test_when_the_mail_server_refuses_the_link_staff_are_told_and_nothing_waits_for_nobody(
    app, client, session, page_on, auth
):
    """The link's email refused (550 at RCPT): staff are told to answer by email, the history does not say a
    link was emailed, and the prepared export is destroyed at once instead of waiting a week for no one."""
    lead = make_lead(session, 1, email="ada@x.example")
    _sign_in(client, page_on, "ada@x.example")
    client.post("/privacy/request", data={"kind": "access", "details": ""})
    (made,) = session.exec(select(RightsRequest)).all()
    auth.login("support")
    client.post(f"/rights/{made.id}/leads", data={"lead_id": lead.id})
    page_on.refuse.add("ada@x.example")
    closed = client.post(f"/rights/{made.id}/step/close", follow_redirects=True,
                         data={"status": "completed", "text": "Sent the export", "confirm": "y"})  # fmt: skip
    shown = closed.get_data(as_text=True)
    assert "could not be emailed" in shown and "emailed a link" not in shown
    assert "Download link emailed" not in client.get(f"/rights/{made.id}").get_data(as_text=True)
    steps = [step.step for step in session.exec(select(RequestStep).where(RequestStep.request_id == made.id))]
    assert "delivery.sent" not in steps and steps[-1] == "delivery.not_emailed"
    assert list(Path(app.config["EXPORT_CACHE"]).iterdir()) == []
    assert session.exec(select(ExportDelivery)).all() == []
    (destroyed,) = session.exec(select(AuditEvent).where(AuditEvent.action == "retention.export_destroyed")).all()
    assert json.loads(destroyed.details)["why"] == "not emailed"
