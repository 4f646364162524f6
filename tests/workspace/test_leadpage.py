"""The lead page's data: one composition of the services, so the templates that show it run no queries."""

from __future__ import annotations

from leads.retention import holds
from leads.workspace import leadpage
from tests.factories import PINNED_NOW
from tests.marketing_samples import give, make_lead, make_list


def test_the_lead_page_gets_its_consent_and_marketing_from_the_view_not_the_template(session):
    lead = make_lead(session, 1)
    give(session, lead)
    make_list(session)
    shown = leadpage.data(session=session, lead=lead, now=PINNED_NOW, with_marketing=True, version=None)
    assert shown["lead"] is lead and shown["linked"] == [] and shown["active_hold"] is None
    assert shown["consent_panel"].states["marketing"].state == "granted"
    marketing = shown["lead_marketing"]
    assert marketing.decision.allowed and [found.name for found in marketing.all_lists] == ["Launch"]
    # Staff who may not act on marketing never see the panel, so it is not looked up for them.
    assert (
        leadpage.data(session=session, lead=lead, now=PINNED_NOW, with_marketing=False, version=None)["lead_marketing"]
        is None
    )


def test_a_records_hold_is_the_active_one_and_its_history(session, make_user):
    lead = make_lead(session, 1)
    admin = make_user("admin")
    on_lead = {"session": session, "record_type": "lead", "record_id": lead.id, "actor": admin, "now": PINNED_NOW}
    first = holds.place(reason="a claim", **on_lead)
    holds.lift(session=session, hold_id=first.id, reason="settled", actor=admin, now=PINNED_NOW)
    second = holds.place(reason="again", **on_lead)
    shown = leadpage.hold(session=session, record_type="lead", record_id=lead.id)
    assert shown["active_hold"].id == second.id
    assert {found.id for found in shown["hold_history"]} == {first.id, second.id}
