"""What `people.held` finds about a person, and what it sends to find it."""

from __future__ import annotations

from datetime import date, timedelta

from leads.models import Lead
from leads.people import held, subjects
from leads.rights import register
from tests.factories import PINNED_NOW
from tests.sqlplan import statements


def _lead(session, n: int, email: str) -> Lead:
    at = PINNED_NOW - timedelta(days=n)
    lead = Lead(source_partition_key="p", source_row_key=f"r{n}", first_seen_at=at, received_at=at, email=email,
                first_name=f"Person{n}", last_name="Tester")  # fmt: skip
    subjects.file_leads(session=session, leads=[lead])
    session.add(lead)
    session.commit()
    return lead


def _request(session, actor, email: str, lead: Lead | None = None):
    made = register.create(session=session, kind="access", requester_name="Someone", requester_email=email,
                           channel="email", received_on=date(2026, 11, 20), details="", actor=actor,
                           now=PINNED_NOW)  # fmt: skip
    if lead is not None:
        override = register.Override("the same person, another address", "their email of 20 November")
        register.confirm_lead(session=session, request=made, lead=lead, actor=actor, now=PINNED_NOW,
                              override=override)  # fmt: skip
    return made


def test_rights_requests_are_found_by_the_address_as_typed_and_by_a_confirmed_lead_in_one_statement(session, make_user):
    """A request is the person's when its address, normalised, is theirs (however it was typed), or when one of
    their leads is confirmed on it under another address; someone else's is not. Both ways are one statement."""
    ada, grace = _lead(session, 1, "ada@x.example"), _lead(session, 2, "grace@navy.example")
    admin = make_user("admin")
    typed = _request(session, admin, "  ADA@X.example ")
    confirmed = _request(session, admin, "ada.lovelace@elsewhere.example", lead=ada)
    _request(session, admin, "grace@navy.example")
    _request(session, admin, "grace.hopper@elsewhere.example", lead=grace)
    found = {}
    sent = statements(session, lambda: found.update(held.held(session=session, person=ada.person)),
                      containing="FROM rightsrequest")  # fmt: skip
    assert [row["id"] for row in found["rightsrequest"]] == sorted([typed.id, confirmed.id])
    assert set(found["rightsrequest"][0]) == {c.name for c in held._table("rightsrequest").c}  # the row's columns only
    assert len(sent) == 1
    theirs = held.held(session=session, person=grace.person)["rightsrequest"]
    assert len(theirs) == 2 and not {row["id"] for row in theirs} & {typed.id, confirmed.id}


def test_a_fresh_person_is_not_read_again_and_their_row_is_the_one_a_read_returns(session):
    """`fresh=True` (a page that has just loaded the person) takes their own row from the person: the same row,
    every column, as reading their table returns, and no statement for it."""
    ada = _lead(session, 1, "ada@x.example")
    person = ada.person
    person.undeliverable_at = PINNED_NOW
    session.commit()
    read = {}
    reads = statements(session, lambda: read.update(held.held(session=session, person=person)),
                       containing="FROM person \nWHERE")  # fmt: skip
    assert len(reads) == 1  # read when not fresh
    found = {}
    sent = statements(session, lambda: found.update(held.held(session=session, person=person, fresh=True)),
                      containing="FROM person \nWHERE")  # fmt: skip
    assert found == read and found["person"][0]["undeliverable_at"] == PINNED_NOW
    assert sent == []
