"""One person across every lead: found by normalised email, their consent and restriction cover all their leads,
including one synced afterwards; staff attach and detach leads with a reason."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from leads.consent import marketing
from leads.ingest import sync
from leads.models import AuditEvent, Lead, Person, PersonLink
from leads.people import subjects
from leads.rights import actions, register
from leads.rules.people import emails_in, normalise_email
from leads.workspace import nurture
from tests.factories import PINNED_NOW, add_installation, add_lead, lead_for, new_request
from tests.lead_samples import customer_info, entity, source_entity
from tests.marketing_samples import give


@pytest.mark.parametrize(
    ("given", "key"),
    [
        ("  Ada@X.Example ", "ada@x.example"),
        ("\uff41da@x.example", "ada@x.example"),  # full-width a: NFKC
        ("STRASSE@x.example", "strasse@x.example"),
        ("Straße@x.example", "strasse@x.example"),  # casefold, not lower
        ("", None),
        (None, None),
    ],
)
def test_a_person_is_found_by_the_nfkc_casefolded_trimmed_address(given, key):
    assert normalise_email(given) == key


def test_an_address_is_found_inside_a_quarantined_entitys_nested_json():
    raw = {"CustomerInfo": '{"FirstName": "Ada", "Email": "ADA@x.example"}', "Other": ["n/a"]}
    assert list(emails_in(raw)) == ["ada@x.example"]
    compact = {"CustomerInfo": '{"Email":"ADA@x.example","Phone":"1"}', "Description": "Ask bob@y.example."}
    assert list(emails_in(compact)) == ["ada@x.example", "bob@y.example"]


def two_leads(session):
    first = add_lead(session, PINNED_NOW - timedelta(days=30), "Ada")  # Ada@x.example
    second = lead_for(session, "two", " ada@X.example", days=10)
    return first, second


def synced_lead(session, email="ADA@x.example"):
    raw = entity("three", info=customer_info(Email=email, FirstName="Ada", LastName="Lovelace"))
    sync.store_page(session=session, entities=[source_entity(raw)], now=PINNED_NOW, tombstone_key="k")
    session.commit()
    return session.exec(select(Lead).where(Lead.source_row_key == "three")).one()


def test_leads_with_the_same_address_belong_to_one_person(session):
    first, second = two_leads(session)
    later = synced_lead(session)
    other = add_lead(session, PINNED_NOW, "bob")
    assert first.person_id == second.person_id == later.person_id != other.person_id
    assert session.get(Person, first.person_id).email_key == "ada@x.example"


def test_a_withdrawal_on_one_lead_stops_marketing_on_every_lead_of_the_person_and_one_synced_later(session, make_user):
    first, second = two_leads(session)
    give(session, first, at=PINNED_NOW - timedelta(days=5))
    give(session, second, at=PINNED_NOW - timedelta(days=4))
    give(session, first, at=PINNED_NOW - timedelta(days=1), granted=False)
    later = synced_lead(session)
    actor = make_user("sales")
    target = marketing.create_list(session=session, name="Launch", description=None, actor=actor, now=PINNED_NOW)
    result = marketing.add_to_list(
        session=session, list_id=target.id, lead_ids=[first.id, second.id, later.id], actor=actor, now=PINNED_NOW
    )
    assert result.done == [] and {lead.id for lead, _ in result.refused} == {first.id, second.id, later.id}
    assert all("withdrawn on 24 November 2026" in why for _, why in result.refused)


def restricted_person(session, make_user):
    first, second = two_leads(session)
    actor = make_user("admin")
    request = new_request(session, actor, received=date(2026, 11, 20), kind="restriction")
    register.verify_identity(session=session, request=request, actor=actor, now=PINNED_NOW)  # rights need it (#16)
    register.confirm_lead(session=session, request=request, lead=first, actor=actor, now=PINNED_NOW)
    actions.restrict(session=session, request=request, on=True, actor=actor, now=PINNED_NOW)
    return first, second, actor


def test_a_restriction_on_one_lead_stops_nurturing_and_linking_every_lead_of_the_person(session, make_user):
    _first, second, actor = restricted_person(session, make_user)
    later = synced_lead(session)
    installation = add_installation(session, None, "ada-app")
    for lead in (second, later):
        with pytest.raises(nurture.NurtureError, match="restrict"):
            nurture.set_status(session=session, lead=lead, status="qualified", actor=actor, now=PINNED_NOW)
        with pytest.raises(nurture.NurtureError, match="restrict"):
            nurture.add_note(session=session, lead=lead, kind="note", body="x", actor=actor, now=PINNED_NOW)
        with pytest.raises(nurture.NurtureError, match="restrict"):
            nurture.link(session=session, installation=installation, lead=lead, actor=actor, now=PINNED_NOW)
    session.refresh(installation)
    assert installation.lead_id is None and second.nurture_status == "new"


def test_staff_attach_a_lead_with_another_address_and_detach_it_with_a_reason(session, make_user):
    first, second, actor = restricted_person(session, make_user)
    work = add_lead(session, PINNED_NOW, "work")
    person = session.get(Person, first.person_id)
    with pytest.raises(subjects.PersonError, match="Say why"):
        subjects.attach(session=session, lead=work, person=person, reason="  ", actor=actor, now=PINNED_NOW)
    subjects.attach(session=session, lead=work, person=person, reason="Ada's work address", actor=actor, now=PINNED_NOW)
    assert work.person_id == person.id and work.person_pinned and work.processing_restricted
    detached = subjects.detach(session=session, lead=second, reason="A colleague", actor=actor, now=PINNED_NOW)
    assert second.person_id not in (None, person.id)
    # The split-off person starts as protected as the one it left: a restriction is never lost by a move.
    assert session.get(Person, second.person_id).processing_restricted
    assert {link.reason for link in session.exec(select(PersonLink))} == {"Ada's work address", "A colleague"}
    events = session.exec(select(AuditEvent).where(AuditEvent.action.in_(["person.attach", "person.detach"]))).all()
    assert [e.action for e in events] == ["person.attach", "person.detach"]
    assert all("work address" not in (e.details or "") and "colleague" not in (e.details or "") for e in events)
    assert str(detached.id) in events[1].details


def test_a_corrected_address_never_moves_a_lead_away_from_its_persons_protection(session, make_user):
    first, second, _ = restricted_person(session, make_user)
    second.email = "ada.new@x.example"
    subjects.follow_new_address(session=session, lead=second)
    session.add(second)
    session.commit()
    assert second.person_id == first.person_id and second.processing_restricted
    alone = lead_for(session, "solo", "solo@x.example")
    alone.email = "Solo.Two@x.example"
    subjects.follow_new_address(session=session, lead=alone)
    session.add(alone)
    session.commit()
    session.expire_all()
    assert session.get(Person, alone.person_id).email_key == "solo.two@x.example"  # its key follows
