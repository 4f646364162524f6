"""Who a request covers is the server's decision (issue #16): only matches or a recorded override are linked,
no right reaches a lead the request does not cover, and "erasure pending" follows every open erasure request."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from leads.models import AuditEvent, Lead, RequestLead
from leads.people import subjects
from leads.retention import holds
from leads.rights import register
from leads.rules.requests import ACTIONS
from leads.rules.rights import KINDS
from tests.factories import PINNED_NOW, add_lead, new_request

ACTION_URLS = {
    "export.access": ("post", "/rights/{id}/bundle/access"),
    "export.portability": ("post", "/rights/{id}/bundle/portability"),
    "rectify": ("post", "/rights/{id}/leads/{lead}/rectify"),
    "erase": ("post", "/rights/{id}/erase"),
    "restrict": ("post", "/rights/{id}/restrict"),
    "withdraw": ("post", "/rights/{id}/withdraw"),
}
ACTION_DATA = {"erase": {"confirm": "erase"}, "restrict": {"on": "1"}, "rectify": {"last_name": "Changed"}}


@pytest.fixture
def mallory(session, make_user):
    """Mallory's erasure request, and Victor's lead, which the register never matched to it."""
    actor = make_user("support")
    victor = add_lead(session, PINNED_NOW - timedelta(days=5), "victor")
    request = new_request(session, actor, received=date(2026, 11, 24), kind="erasure", email="mallory@evil.example")
    return request, victor, actor


def test_a_lead_that_was_not_a_match_is_refused_without_an_override(session, mallory):
    request, victor, actor = mallory
    assert register.candidates(session=session, request=request) == []
    with pytest.raises(register.RequestError, match="not one the register matched"):
        register.confirm_lead(session=session, request=request, lead=victor, actor=actor, now=PINNED_NOW)
    with pytest.raises(register.RequestError, match="override"):
        register.confirm_lead(
            session=session,
            request=request,
            lead=victor,
            actor=actor,
            now=PINNED_NOW,
            override=register.Override("he said so", " "),
        )
    assert register.covered_leads(session=session, request=request) == []
    session.refresh(victor)
    assert not victor.erasure_pending


def test_an_override_records_who_why_and_the_evidence(session, mallory):
    request, victor, actor = mallory
    override = register.Override("Old work address", "Email of 20 Nov from both addresses, ticket 881")
    register.confirm_lead(session=session, request=request, lead=victor, actor=actor, now=PINNED_NOW, override=override)
    link = session.exec(select(RequestLead)).one()
    assert (link.confirmed_by, link.override_reason, link.override_evidence) == (
        actor.email,
        "Old work address",
        "Email of 20 Nov from both addresses, ticket 881",
    )
    assert [s.step for s in register.steps(session=session, request=request)] == ["create", "lead.override"]
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "rights.lead.override")).one()


def test_the_issue_trick_posting_another_persons_lead_is_refused_and_erasure_cannot_reach_it(
    client, auth, session, mallory
):
    request, victor, _ = mallory
    auth.login("support")
    client.post(f"/rights/{request.id}/step/verify-identity", data={"on": "2026-11-24"})
    linked = client.post(f"/rights/{request.id}/leads", data={"lead_id": victor.id})
    assert linked.status_code == 409 and "not one the register matched" in linked.data.decode()
    erased = client.post(f"/rights/{request.id}/erase", data={"confirm": "erase"})
    assert erased.status_code == 409 and "Confirm which leads" in erased.data.decode()
    session.expire_all()
    assert session.get(Lead, victor.id) is not None


@pytest.fixture
def requests_of_every_kind(session, make_user):
    """One open, identity-verified request of each kind, each covering its own matched lead."""
    actor = make_user("support")
    made = {}
    for kind in KINDS:
        lead = add_lead(session, PINNED_NOW - timedelta(days=5), kind.replace("_", "-"))
        request = new_request(session, actor, received=date(2026, 11, 24), kind=kind, email=lead.email)
        register.verify_identity(session=session, request=request, actor=actor, now=PINNED_NOW)
        register.confirm_lead(session=session, request=request, lead=lead, actor=actor, now=PINNED_NOW)
        made[kind] = (request, lead)
    return made


def test_every_kind_and_action_pair_that_should_be_refused_is_4xx_with_a_reason(
    client, auth, session, requests_of_every_kind
):
    auth.login("admin")
    refused = 0
    for kind, (request, lead) in requests_of_every_kind.items():
        for action, (method, url) in ACTION_URLS.items():
            if kind in ACTIONS[action].kinds:
                continue
            response = getattr(client, method)(url.format(id=request.id, lead=lead.id), data=ACTION_DATA.get(action))
            assert response.status_code == 409, (kind, action, response.status_code)
            assert "answers only a request for" in response.data.decode()
            refused += 1
    assert refused == len(KINDS) * len(ACTIONS) - sum(len(a.kinds) for a in ACTIONS.values())
    session.expire_all()
    assert len(session.exec(select(Lead)).all()) == len(KINDS)  # nothing was erased
    assert not any(lead.processing_restricted for lead in session.exec(select(Lead)))


def test_an_unverified_access_request_neither_downloads_nor_erases(client, auth, session, make_user):
    """The issue's second defect: neither identity nor kind nor status was checked."""
    actor = make_user("support")
    lead = add_lead(session, PINNED_NOW - timedelta(days=5), "ada")
    request = new_request(session, actor, received=date(2026, 11, 24), kind="access", email=lead.email)
    register.confirm_lead(session=session, request=request, lead=lead, actor=actor, now=PINNED_NOW)
    auth.login("support")
    download = client.post(f"/rights/{request.id}/bundle/access")
    assert download.status_code == 409 and "Verify the person&#39;s identity" in download.data.decode()
    assert client.post(f"/rights/{request.id}/erase", data={"confirm": "erase"}).status_code == 409
    register.verify_identity(session=session, request=request, actor=actor, now=PINNED_NOW)
    assert client.post(f"/rights/{request.id}/bundle/access").status_code == 200
    register.close(session=session, request=request, status="completed", outcome="Sent", actor=actor, now=PINNED_NOW)
    closed = client.post(f"/rights/{request.id}/bundle/access")
    assert closed.status_code == 409 and "only on an open request" in closed.data.decode()
    session.expire_all()
    assert session.get(Lead, lead.id) is not None


def test_erasure_pending_clears_only_when_no_open_erasure_request_covers_the_lead(session, make_user):
    actor = make_user("support")
    lead = add_lead(session, PINNED_NOW - timedelta(days=5), "eve")
    first, second = (
        new_request(session, actor, received=date(2026, 11, 24), kind="erasure", email=lead.email) for _ in range(2)
    )
    for request in (first, second):
        register.confirm_lead(session=session, request=request, lead=lead, actor=actor, now=PINNED_NOW)
    register.close(session=session, request=first, status="refused", outcome="Duplicate", actor=actor, now=PINNED_NOW)
    session.refresh(lead)
    assert lead.erasure_pending  # the second request still covers it
    register.unlink_lead(session=session, request=second, lead_id=lead.id, actor=actor, now=PINNED_NOW)
    session.refresh(lead)
    assert not lead.erasure_pending
    with pytest.raises(register.RequestError, match="closed"):
        register.unlink_lead(session=session, request=first, lead_id=lead.id, actor=actor, now=PINNED_NOW)


def test_erasure_pending_is_the_persons_an_open_request_on_one_lead_holds_every_lead_of_them(session, make_user):
    actor = make_user("support")
    first = add_lead(session, PINNED_NOW - timedelta(days=5), "gus")
    second = Lead(source_partition_key="2026-11", source_row_key="gus-trial", email="GUS@x.example",
                  first_seen_at=PINNED_NOW, received_at=PINNED_NOW)  # fmt: skip
    subjects.file_leads(session=session, leads=[second])
    session.add(second)  # the same person's other trial, the address typed another way
    session.commit()
    assert first.person_id == second.person_id  # one person: the same address, normalised
    erasure = new_request(session, actor, received=date(2026, 11, 24), kind="erasure", email=first.email)
    other = new_request(session, actor, received=date(2026, 11, 24), kind="erasure", email=first.email)
    register.confirm_lead(session=session, request=erasure, lead=first, actor=actor, now=PINNED_NOW)
    register.confirm_lead(session=session, request=other, lead=second, actor=actor, now=PINNED_NOW)
    register.close(session=session, request=other, status="refused", outcome="Duplicate", actor=actor, now=PINNED_NOW)
    session.refresh(second)
    assert second.erasure_pending  # closing the request on the second lead leaves the person pending
    assert register.candidates(session=session, request=other) == [first, second]  # both leads are the match
    register.unlink_lead(session=session, request=erasure, lead_id=first.id, actor=actor, now=PINNED_NOW)
    session.refresh(first)
    session.refresh(second)
    assert not first.erasure_pending and not second.erasure_pending


def test_an_erasure_request_completes_only_when_nothing_it_covers_remains_or_what_kept_it_is_recorded(
    session, make_user
):
    actor = make_user("support")
    lead = add_lead(session, PINNED_NOW - timedelta(days=5), "fay")
    request = new_request(session, actor, received=date(2026, 11, 24), kind="erasure", email=lead.email)
    register.confirm_lead(session=session, request=request, lead=lead, actor=actor, now=PINNED_NOW)
    with pytest.raises(register.RequestError, match="still exist"):
        register.close(
            session=session, request=request, status="completed", outcome="Done", actor=actor, now=PINNED_NOW
        )
    holds.place(session=session, record_type="lead", record_id=lead.id, reason="Claim 42", actor=actor, now=PINNED_NOW)
    register.close(session=session, request=request, status="completed", outcome="Done", actor=actor, now=PINNED_NOW)
    assert (request.status, request.exemption) == ("completed", "Kept by legal hold: Claim 42")
    kept = add_lead(session, PINNED_NOW - timedelta(days=5), "gus")
    exempt = new_request(session, actor, received=date(2026, 11, 24), kind="erasure", email=kept.email)
    register.confirm_lead(session=session, request=exempt, lead=kept, actor=actor, now=PINNED_NOW)
    why = "Art. 17(3)(e): needed to defend claim 42"
    register.close(
        session=session, request=exempt, status="completed", outcome="Told", exemption=why, actor=actor, now=PINNED_NOW
    )
    assert exempt.exemption == why
    session.refresh(kept)
    assert not kept.erasure_pending
