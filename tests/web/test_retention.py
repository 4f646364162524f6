"""Countdowns on every page a record appears, the upcoming-destruction page, and legal holds in the UI."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from leads.models import AuditEvent, LegalHold
from tests.factories import PINNED_NOW, add_installation, add_lead


def test_leads_list_and_detail_show_the_countdown_with_its_rule(client, auth, session):
    lead = add_lead(session, PINNED_NOW.replace(year=2023) + timedelta(days=6, hours=4))  # 3 calendar years on
    auth.login("sales")
    listing = client.get("/leads").data.decode()
    assert "6 days 4 hours" in listing and "lines 58-69" in listing
    detail = client.get(f"/leads/{lead.id}").data.decode()
    assert "6 days 4 hours" in detail and "Privacy notice lines 58-69" in detail
    assert "no more than three (3) years" in detail


def test_installations_show_kept_while_installed_and_the_ip_countdown(client, auth, session):
    installed = add_installation(session, None, "live", ip_at=PINNED_NOW - timedelta(days=3))
    gone = add_installation(session, PINNED_NOW - timedelta(days=80), "gone")
    auth.login("support")
    listing = client.get("/installations").data.decode()
    assert "kept while installed" in listing and "10 days" in listing
    detail = client.get(f"/installations/{installed.id}").data.decode()
    assert "address destroyed in" in detail and "7 days" in detail and "lines 100-104" in detail
    assert "10 days" in client.get(f"/installations/{gone.id}").data.decode()


def test_upcoming_page(client, auth, session):
    add_lead(session, PINNED_NOW - timedelta(days=1095) + timedelta(days=3), "soon")
    add_installation(session, PINNED_NOW - timedelta(days=85), "leaving")
    auth.login("support")
    page = client.get("/retention").data.decode()
    assert "Marketplace leads: 1" in page and "Installations and their notifications: 1" in page
    assert "Quarantined lead entities: 0" in page
    assert "lines 58-69" in page


def test_admins_place_and_lift_holds_with_a_reason(client, auth, session):
    lead = add_lead(session, PINNED_NOW - timedelta(days=1000))
    auth.login("admin")
    refused = client.post(f"/holds/lead/{lead.id}", data={"reason": ""})
    assert refused.status_code == 400 and "Give the reason for the hold." in refused.data.decode()
    assert session.exec(select(LegalHold)).all() == []
    client.post(f"/holds/lead/{lead.id}", data={"reason": "claim C-7"})
    hold = session.exec(select(LegalHold)).one()
    page = client.get(f"/leads/{lead.id}").data.decode()
    assert "On legal hold" in page and "claim C-7" in page and "on hold" in page
    client.post(f"/holds/{hold.id}/lift", data={"reason": "settled"})
    session.refresh(hold)
    assert hold.lifted_at == PINNED_NOW and hold.lift_reason == "settled"
    changes = AuditEvent.action != "record.viewed"  # the lead page's own view is recorded too (test_access.py)
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.record_type == "lead", changes)).all()
    assert actions == ["hold.place", "hold.lift"]


@pytest.mark.parametrize("role", ["sales", "support"])
def test_only_admins_manage_holds(client, auth, session, role):
    lead = add_lead(session, PINNED_NOW - timedelta(days=1000))
    auth.login(role)
    assert client.post(f"/holds/lead/{lead.id}", data={"reason": "x"}).status_code == 403
    assert "Place legal hold" not in client.get(f"/leads/{lead.id}").data.decode()


def test_a_hold_on_a_missing_record_is_refused(client, auth):
    auth.login("admin")
    client.post("/holds/lead/424242", data={"reason": "x"})
    assert client.post("/holds/widget/1", data={"reason": "x"}).status_code == 404


def test_sweep_cli_refuses_as_of_without_dry_run_and_lists_in_dry_run(app, session):
    add_lead(session, PINNED_NOW - timedelta(days=1095) + timedelta(days=2), "soon")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["retention", "sweep", "--as-of", "2027-01-01"])
    assert refused.exit_code != 0 and "only with --dry-run" in refused.output
    today = runner.invoke(args=["retention", "sweep", "--dry-run"])
    assert "lead #" not in today.output
    later = runner.invoke(args=["retention", "sweep", "--dry-run", "--as-of", "2026-12-31"])
    assert "lead #1" in later.output and "destroy" in later.output
    bad = runner.invoke(args=["retention", "sweep", "--dry-run", "--as-of", "someday"])
    assert bad.exit_code != 0 and "not a date" in bad.output


def _tile(page: str, days: int) -> int:
    import re

    return int(re.search(rf'id="due-{days}" [^>]*><strong>(\d+)</strong>', page).group(1))


@pytest.mark.parametrize("role", ["sales", "support", "admin"])
def test_retention_lists_every_kind_by_name_with_countdowns_and_the_dashboards_counts(
    client, auth, session, make_user, role
):
    """Issue #19 item 9: names, countdowns, grants included, and the dashboard's 7- and 30-day counts."""
    from tests.factories import seed_every_kind

    seed_every_kind(session, make_user("admin"))
    auth.login(role)
    dashboard, page = client.get("/").data.decode(), client.get("/retention?days=30").data.decode()
    for days in (7, 30):
        assert _tile(dashboard, days) == _tile(page, days) > 0
    assert f'Due in the next 30 days: <span id="due-window-total">{_tile(page, 30)}</span>' in page
    assert "Ada Lovelace" in page and "Firm 3" in page and "app5" in page  # names, not "lead #2"
    assert "Support access to app" in page and "Data-protection request #" in page and "Quarantined entity #" in page
    assert "destroyed in" in page and 'class="countdown countdown-counting"' in page and "on hold (legal hold)" in page
    assert ("SR-" in page) == (role != "sales")  # the support request only for those who see grants
    assert "lead #" not in page and "installation #" not in page
    assert client.get("/retention?days=7").status_code == 200
