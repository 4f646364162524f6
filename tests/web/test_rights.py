"""The request page guides the work (issue #16): the state decides the steps offered, every step is in the
history (page and CSV), destructive actions ask to confirm and say what will go, results read as sentences,
and any member of staff may register a request."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from leads.models import Lead, RightsRequest
from leads.rights import register
from tests.factories import PINNED_NOW, add_installation, add_lead, new_request


def forms_on(page: str) -> set[str]:
    return set(re.findall(r'action="/rights/\d+/step/([a-z-]+)"', page))


@pytest.fixture
def erasure(session, make_user):
    actor = make_user("support")
    lead = add_lead(session, PINNED_NOW - timedelta(days=5), "ivy")
    installation = add_installation(session, None, "ivy-app")
    installation.lead_id = lead.id
    session.add(installation)
    session.commit()
    request = new_request(session, actor, received=date(2026, 11, 24), kind="erasure", email=lead.email)
    register.confirm_lead(session=session, request=request, lead=lead, actor=actor, now=PINNED_NOW)
    return request, lead


def test_the_state_decides_which_steps_are_offered(client, auth, erasure):
    request, _ = erasure
    auth.login("support")
    url = f"/rights/{request.id}"
    assert forms_on(client.get(url).data.decode()) == {"verify-identity", "ask-identity", "ask-clarification"} | {
        "extend",
        "close",
    }
    client.post(f"{url}/step/ask-identity", data={"on": "2026-11-24"})
    offered = forms_on(client.get(url).data.decode())
    assert "identity-received" in offered and not {"ask-identity", "verify-identity"} & offered
    client.post(f"{url}/step/ask-clarification", data={"on": "2026-11-24", "text": "Which address?"})
    offered = forms_on(client.get(url).data.decode())
    assert "clarified" in offered and "ask-clarification" not in offered


def test_every_step_is_in_the_history_on_the_page_and_in_the_register_csv(client, auth, erasure):
    request, _ = erasure
    user = auth.login("support")
    client.post(f"/rights/{request.id}/step/ask-identity", data={"on": "2026-11-24"})
    client.post(f"/rights/{request.id}/step/identity-received", data={"on": "2026-11-25"})
    page = client.get(f"/rights/{request.id}").data.decode()
    history = page[page.index('id="request-history"') :]
    for seen in ("Request registered", "Lead confirmed as the person", "Proof of identity asked for", user.email):
        assert seen in history
    assert "24 Nov 2026" in history and "25 Nov 2026" in history
    rows = list(csv.DictReader(io.StringIO(client.post("/rights/export.csv").data.decode())))
    assert rows[0]["history"].split(" | ")[2].startswith(f"2026-11-24 Proof of identity asked for ({user.email}")
    assert "2026-11-25 Proof of identity arrived" in rows[0]["history"]


def test_erasure_asks_to_confirm_and_says_what_will_go(client, auth, session, erasure):
    request, lead = erasure
    auth.login("support")
    client.post(f"/rights/{request.id}/step/verify-identity", data={"on": "2026-11-25"})
    page = client.get(f"/rights/{request.id}").data.decode()
    assert f'href="/rights/{request.id}/erase"' in page and 'class="button-link danger"' in page
    confirm = client.get(f"/rights/{request.id}/erase").data.decode()
    assert "This destroys 1 lead and 1 installation now" in confirm and lead.email in confirm
    assert client.post(f"/rights/{request.id}/erase").status_code == 400  # no confirmation: nothing goes
    assert session.get(Lead, lead.id) is not None
    done = client.post(f"/rights/{request.id}/erase", data={"confirm": "erase"}, follow_redirects=True).data.decode()
    assert "Erased 1 lead and 1 installation. The source table row is queued for deletion and will be retried " in done
    assert "Everything this request covered is erased" in done


def test_erase_is_not_offered_on_an_access_request(client, auth, session, make_user):
    actor = make_user("support")
    lead = add_lead(session, PINNED_NOW - timedelta(days=5), "jo")
    request = new_request(session, actor, received=date(2026, 11, 24), kind="access", email=lead.email)
    register.verify_identity(session=session, request=request, actor=actor, now=PINNED_NOW)
    register.confirm_lead(session=session, request=request, lead=lead, actor=actor, now=PINNED_NOW)
    auth.login("support")
    page = client.get(f"/rights/{request.id}").data.decode()
    assert "/erase" not in page and "Download the access export" in page
    assert client.get(f"/rights/{request.id}/erase").status_code == 409


def test_closing_asks_to_confirm_and_an_unconfirmed_close_changes_nothing(client, auth, session, erasure):
    request, lead = erasure
    auth.login("support")
    data = {"status": "refused", "text": "Legal claim pending"}
    refused = client.post(f"/rights/{request.id}/step/close", data=data)
    assert refused.status_code == 400 and "Tick the box to confirm" in refused.data.decode()
    session.refresh(request)
    assert request.status == "received"
    closed = client.post(f"/rights/{request.id}/step/close", data={**data, "confirm": "y"}, follow_redirects=True)
    assert "Saved: close the request. The request is refused." in closed.data.decode()
    session.refresh(lead)
    assert not lead.erasure_pending


def test_a_step_reads_as_a_sentence_and_a_bad_date_is_a_400_not_a_500(client, auth, erasure):
    request, _ = erasure
    auth.login("support")
    saved = client.post(f"/rights/{request.id}/step/verify-identity", data={"on": "2026-11-25"}, follow_redirects=True)
    assert "Saved: identity checked. The request is due Thursday 24 December 2026." in saved.data.decode()
    assert client.post(f"/rights/{request.id}/step/ask-clarification", data={"on": "2026-13-45"}).status_code == 400
    future = client.post(f"/rights/{request.id}/step/ask-clarification", data={"on": "2026-12-01", "text": "?"})
    assert future.status_code == 409 and "in the future" in future.data.decode()


def test_sales_staff_may_register_a_request_but_not_carry_it_out(client, auth, session):
    auth.login("sales")
    form = {
        "kind": "access",
        "requester_name": "Ken Thompson",
        "requester_email": "ken@bell.example",
        "channel": "phone",
        "received_on": "2026-11-25",
        "details": "Asked on the phone what we hold",
    }
    created = client.post("/rights/new", data=form, follow_redirects=True)
    assert created.status_code == 200 and "the support team will answer it" in created.data.decode()
    request = session.exec(select(RightsRequest)).one()
    assert (request.requester_email, request.status) == ("ken@bell.example", "received")
    assert client.get(f"/rights/{request.id}").status_code == 403
    assert client.get("/rights").status_code == 403


# UK days and times (issue #19, 10): a request is received on a UK calendar day; times are shown in UK time.
# 2026's clocks go forward on Sunday 29 March: 23:30 UTC that evening is 00:30 BST on Monday 30 March.
AFTER_MIDNIGHT_BST = datetime(2026, 3, 29, 23, 30, tzinfo=UTC)


def test_just_after_midnight_in_summer_today_is_the_uk_day(client, auth, session, clock):
    clock.now = AFTER_MIDNIGHT_BST
    auth.login("support")
    registered = {"kind": "access", "requester_name": "Ada", "requester_email": "ada@x.example", "channel": "email"}
    # The UK day is Monday 30 March; in UTC it is still Sunday, and Monday was refused as "in the future".
    answer = client.post("/rights/new", data={**registered, "received_on": "2026-03-30"})
    assert answer.status_code == 303, answer.data
    request = session.exec(select(RightsRequest)).one()
    assert request.received_on == date(2026, 3, 30)
    page = client.get(f"/rights/{request.id}").data.decode()
    assert 'value="30/03/2026"' in page  # the step forms start at today's UK date
    assert 'Due Thursday 30 April 2026 <span class="sub">by the end of the day, UK time</span>' in page
    client.post(f"/rights/{request.id}/step/ask-identity", data={})  # no date typed: today, in the UK
    session.refresh(request)
    assert request.identity_requested_on == date(2026, 3, 30)
    page = client.get(f"/rights/{request.id}").data.decode()
    history = page[page.index('id="request-history"') :]
    assert "30 Mar 2026 00:30 BST" in history and "UTC" not in history


def test_the_register_csv_keeps_utc_and_says_so(client, auth, session, clock):
    clock.now = AFTER_MIDNIGHT_BST
    auth.login("support")
    registered = {"kind": "access", "requester_name": "Ada", "requester_email": "ada@x.example", "channel": "email"}
    client.post("/rights/new", data={**registered, "received_on": "2026-03-30"})
    rows = list(csv.DictReader(io.StringIO(client.post("/rights/export.csv").data.decode())))
    assert rows[0]["received_on"] == "2026-03-30"
    assert "recorded 2026-03-29 23:30 UTC)" in rows[0]["history"]


REGISTERED = {"kind": "access", "requester_name": "Ada", "requester_email": "ada@x.example", "channel": "email"}


def test_a_request_received_before_2000_is_refused(client, auth, session):
    auth.login("support")
    answer = client.post("/rights/new", data={**REGISTERED, "received_on": "1926-11-20"})
    assert answer.status_code == 200 and "1 January 2000" in answer.data.decode()
    assert session.exec(select(RightsRequest)).all() == []


def test_a_request_received_over_a_month_ago_asks_whether_it_really_arrived_then(client, auth, session):
    """Issue #31: a date a month or more back (2025 typed for 2026?) starts a deadline already passed; it is
    registered only once staff tick that it really arrived then, the box shown again with the refusal."""
    auth.login("support")
    old = {**REGISTERED, "received_on": "2026-10-20"}  # PINNED_NOW is 25 Nov 2026
    answer = client.post("/rights/new", data=old).data.decode()
    assert "more than a month ago" in answer and 'name="really"' in answer and 'value="2026-10-20"' in answer
    assert session.exec(select(RightsRequest)).all() == []
    assert client.post("/rights/new", data={**old, "really": "y"}).status_code == 303
    assert session.exec(select(RightsRequest)).one().received_on == date(2026, 10, 20)
    assert client.post("/rights/new", data={**REGISTERED, "received_on": "2026-11-01"}).status_code == 303


def test_closing_a_request_says_what_will_be_destroyed_and_when(client, auth, session):
    auth.login("support")
    client.post("/rights/new", data={**REGISTERED, "received_on": "2026-11-20"})
    request = session.exec(select(RightsRequest)).one()
    page = client.get(f"/rights/{request.id}").data.decode()
    close = page[page.index('id="close-request"') :]
    assert "name and email, what they asked" in close and "destroyed 3 years after it closes" in close
    assert 'name="confirm" value="y" required' in close  # a tick first, with or without JavaScript
