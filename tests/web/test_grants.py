"""Grant and plan pages: who may do what, and what staff see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from leads.grants import plans
from leads.models import PlanPermission, SupportGrant
from tests.factories import PINNED_NOW, add_installation, add_lead, open_grant


@pytest.fixture
def managed(session):
    installation = add_installation(session, None, "managed-app")
    installation.plan_name = "radnac-managed"
    session.add(installation)
    session.commit()
    plans.set_model(session=session, plan_name="radnac-managed", model="publisher_managed", actor="t", now=PINNED_NOW)
    return installation


def form(**overrides):
    values = {
        "support_request_ref": "SR-7",
        "consent_given_by": "Sam (CTO)",
        "consent_given_at": "2026-11-24T10:00",
        "consent_evidence": "Signed form ref F-88",
    }
    values.update(overrides)
    return values


def test_support_opens_a_grant_from_the_installation_page(client, auth, session, managed):
    user = auth.login("support")
    page = client.get(f"/installations/{managed.id}").data.decode()
    assert "Open a grant with the customer" in page and "Publisher managed" in page
    response = client.post(f"/installations/{managed.id}/grants/new", data=form())
    assert response.status_code == 303
    assert session.exec(select(SupportGrant)).one().opened_by == user.email
    detail = client.get(response.headers["Location"]).data.decode()
    # The window runs from the consent (24 Nov 10:00), not from opening the grant (25 Nov 09:30).
    assert "SR-7" in detail and "9 days 30 minutes" in detail and "Signed form ref F-88" in detail


def test_missing_consent_re_renders_the_form(client, auth, session, managed):
    auth.login("support")
    response = client.post(f"/installations/{managed.id}/grants/new", data=form(consent_evidence=""))
    assert response.status_code == 200 and "Paste the written consent" in response.data.decode()
    assert session.exec(select(SupportGrant)).all() == []


def test_locked_installations_offer_no_grant(client, auth, session):
    installation = add_installation(session, None, "locked-app")
    auth.login("support")
    assert "Open a grant" not in client.get(f"/installations/{installation.id}").data.decode()
    page = client.get(f"/installations/{installation.id}/grants/new").data.decode()
    assert "locked mode" in page
    client.post(f"/installations/{installation.id}/grants/new", data=form())
    assert session.exec(select(SupportGrant)).all() == []


def test_message_data_and_close_through_the_pages(client, auth, session, managed, clock):
    user = auth.login("support")
    grant = open_grant(session, managed, user)
    client.post(
        f"/grants/{grant.id}/communications",
        data={"direction": "in", "summary": "Sent logs", "at": clock.now.strftime("%Y-%m-%dT%H:%M")},
    )
    client.post(f"/grants/{grant.id}/data", data={"kind": "file", "description": "radius.log"})
    page = client.get(f"/grants/{grant.id}").data.decode()
    assert "Sent logs" in page and "radius.log" in page
    clock.now += timedelta(hours=1)
    client.post(f"/grants/{grant.id}/close", data={"confirm": "y"})
    page = client.get(f"/grants/{grant.id}").data.decode()
    assert "support request closed" in page and "radius.log" not in page and "Sent logs" not in page
    assert "Destroyed when the grant lapsed" in page


def test_the_list_flags_grants_lapsing_within_48_hours(client, auth, session, managed):
    user = auth.login("admin")
    open_grant(session, managed, user, now=PINNED_NOW - timedelta(days=9))
    open_grant(session, managed, user, support_request_ref="SR-fresh")
    page = client.get("/grants").data.decode()
    assert page.count("lapses within 48 hours") == 1 and "SR-fresh" in page


def test_the_list_names_each_grants_customer_and_installation(client, auth, session, managed):
    """Issue #31: a row says whose deployment the access is to, not only a grant number and a reference."""
    user = auth.login("support")
    lead = add_lead(session, PINNED_NOW, "cust", company="Contoso Ltd")
    managed.lead_id = lead.id
    session.add(managed)
    session.commit()
    open_grant(session, managed, user, support_request_ref="SR-open")
    lapsed = open_grant(session, managed, user, support_request_ref="SR-old", now=PINNED_NOW - timedelta(days=30))
    page = client.get("/grants").data.decode()
    assert lapsed.id and page.count("Contoso Ltd") == 2 and page.count("managed-app") == 2


@pytest.mark.parametrize("role", ["sales"])
def test_sales_cannot_see_or_touch_grants(client, auth, session, managed, role):
    auth.login(role)
    assert client.get("/grants").status_code == 403
    assert client.post(f"/installations/{managed.id}/grants/new", data=form()).status_code == 403


def test_admins_map_plans(client, auth, session):
    auth.login("admin")
    client.post("/admin/plans", data={"plan_name": "radnac-enterprise", "model": "publisher_managed"})
    assert session.exec(select(PlanPermission.model)).one() == "publisher_managed"
    assert "radnac-enterprise" in client.get("/admin/plans").data.decode()
    auth.logout()
    auth.login("support")
    assert client.get("/admin/plans").status_code == 403


def test_a_linked_lead_shows_the_grant_countdown(client, auth, session, managed):
    from tests.factories import add_lead

    user = auth.login("support")
    lead = add_lead(session, PINNED_NOW - timedelta(days=3))
    managed.lead_id = lead.id
    session.add(managed)
    session.commit()
    open_grant(session, managed, user)
    page = client.get(f"/leads/{lead.id}").data.decode()
    assert "Support access" in page and "access lapses in" in page and "10 days" in page


def test_the_grant_form_says_which_field_is_missing(client, auth, session, demo_data):
    from leads.models import Installation

    auth.login("support")
    installation = session.exec(select(Installation).where(Installation.plan_name == "radnac-managed")).first()
    page = client.post(f"/installations/{installation.id}/grants/new", data={}).get_data(as_text=True)
    assert "This field is required." not in page
    assert "Give the support request" in page and "Say who gave the consent" in page


# UK time in and out (issue #19, 10): staff type and read Europe/London times, with the zone; storage is UTC.
# 2026's clock changes: forward on Sunday 29 March, back on Sunday 25 October.


def test_a_consent_time_typed_in_summer_is_uk_time_not_utc(client, auth, session, managed, clock):
    clock.now = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)  # 10:30 BST
    auth.login("support")
    new = client.get(f"/installations/{managed.id}/grants/new").data.decode()
    assert "Consent given at (UK time, dd/mm/yyyy hh:mm)" in new and "UTC" not in new
    # 10:15 on the office clock is 09:15 UTC: fifteen minutes ago, not 45 minutes in the future.
    response = client.post(f"/installations/{managed.id}/grants/new", data=form(consent_given_at="2026-07-01T10:15"))
    assert response.status_code == 303, response.data
    grant = session.exec(select(SupportGrant)).one()
    assert grant.consent_given_at == datetime(2026, 7, 1, 9, 15, tzinfo=UTC)
    page = client.get(f"/grants/{grant.id}").data.decode()
    assert "01 Jul 2026 10:15 BST" in page  # consent given
    assert "01 Jul 2026 10:30 BST" in page  # opened
    assert "11 Jul 2026 10:15 BST" in page  # lapses, 10 days after the consent


def test_grant_times_across_the_october_change(client, auth, session, managed, clock):
    clock.now = datetime(2026, 10, 26, 9, 0, tzinfo=UTC)  # Monday, GMT again
    auth.login("support")
    client.post(f"/installations/{managed.id}/grants/new", data=form(consent_given_at="2026-10-24T16:00"))
    grant = session.exec(select(SupportGrant)).one()
    assert grant.consent_given_at == datetime(2026, 10, 24, 15, 0, tzinfo=UTC)  # Saturday, still BST
    page = client.get(f"/grants/{grant.id}").data.decode()
    assert "24 Oct 2026 16:00 BST" in page and "26 Oct 2026 09:00 GMT" in page
    assert "03 Nov 2026 15:00 GMT" in page  # the lapse, shown in the zone of its own day
    assert 'value="26/10/2026 09:00"' in page  # the message form starts at now, UK time
    listed = client.get("/grants").data.decode()
    assert "24 Oct 2026 16:00 BST" in listed  # last communication: the consent


def test_message_times_across_the_march_change(client, auth, session, managed, clock):
    user = auth.login("support")
    grant = open_grant(session, managed, user, now=datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    clock.now = datetime(2026, 3, 30, 10, 0, tzinfo=UTC)  # 11:00 BST
    assert 'value="30/03/2026 11:00"' in client.get(f"/grants/{grant.id}").data.decode()
    sent = {"direction": "in", "summary": "Sent logs"}
    client.post(f"/grants/{grant.id}/communications", data={**sent, "at": "2026-03-29T02:30"})
    session.refresh(grant)
    assert grant.last_communication_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert "29 Mar 2026 02:30 BST" in client.get(f"/grants/{grant.id}").data.decode()

    # 01:30 that Sunday never showed on a UK clock: refused with the reason, nothing logged.
    answer = client.post(f"/grants/{grant.id}/communications", data={**sent, "at": "2026-03-29T01:30", "summary": "x"})
    page = answer.data.decode()
    assert answer.status_code == 400 and "never showed on UK clocks" in page and 'value="2026-03-29T01:30"' in page
    session.refresh(grant)
    assert grant.communications == 2 and grant.last_communication_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_closing_a_grant_says_what_it_destroys_and_waits_for_a_tick(client, auth, session, managed):
    """Issue #31: one click closed the request and destroyed everything held under the grant, unwarned."""
    user = auth.login("support")
    grant = open_grant(session, managed, user)
    client.post(f"/grants/{grant.id}/data", data={"kind": "file", "description": "radius.log"})
    page = client.get(f"/grants/{grant.id}").data.decode()
    assert "destroys at once: the 1 item of data held under it" in page and 'name="confirm"' in page
    refused = client.post(f"/grants/{grant.id}/close", data={})
    assert refused.status_code == 400 and "Tick the box" in refused.data.decode()
    assert "radius.log" in refused.data.decode()
    session.refresh(grant)
    assert grant.lapsed_at is None
    assert client.post(f"/grants/{grant.id}/close", data={"confirm": "y"}).status_code == 303
    session.refresh(grant)
    assert grant.lapse_reason and grant.data_items_destroyed == 1
