"""Issue #33: the person's current consent per purpose, stored on the person by the one writer of consent records
(`people.consents`), always equals a full recount from the records, whatever the history: grants and
withdrawals recorded on a lead or on the person's page (as staff, withdrawal requests, unsubscribe and the
privacy page record them), out of order in time, refused ones, records corrected as entered in error (into
nothing or into another record, issue #31), and leads attached to another person or detached to one of their own.
On SQLite and PostgreSQL. The recount here is the gate's own rule (`consent.latest_event` at now over the
records, which leaves out a superseded one), not the writer's."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from leads.consent import records
from leads.models import CONSENT_COLUMNS, ConsentRecord, Lead, Person
from leads.people import consents, subjects
from leads.rules import consent, purposes
from leads.workspace import listpages
from tests.factories import PINNED_NOW, add_lead

PURPOSES = st.sampled_from(sorted(CONSENT_COLUMNS))
DAYS = st.integers(0, 6)  # small: ties in time are common
STEP = st.one_of(
    st.tuples(st.just("lead"), st.integers(0, 3), PURPOSES, st.booleans(), DAYS),
    st.tuples(st.just("person"), st.integers(0, 3), PURPOSES, st.booleans(), DAYS),
    st.tuples(st.just("attach"), st.integers(0, 3), st.integers(0, 3)),
    st.tuples(st.just("detach"), st.integers(0, 3)),
    # Correct one of the person's records (by position) as entered in error, into nothing or into another one.
    st.tuples(st.just("correct"), st.integers(0, 3), st.integers(0, 9),
              st.none() | st.tuples(PURPOSES, st.booleans(), DAYS)),
)  # fmt: skip


def recount(session, person_id: int) -> dict[str, str]:
    """Each purpose's state at now from every record of the person, by the gate's rule."""
    history = session.exec(select(ConsentRecord).where(ConsentRecord.person_id == person_id)).all()
    events = [records.event(record) for record in history]
    states = {}
    for purpose, column in CONSENT_COLUMNS.items():
        latest = consent.latest_event(events, purpose, now=PINNED_NOW)
        states[column] = "none" if latest is None else "granted" if latest.granted else "withdrawn"
    return states


def stored(person: Person) -> dict[str, str]:
    return {column: getattr(person, column) for column in CONSENT_COLUMNS.values()}


def test_every_consent_purpose_has_its_column_on_the_person():
    assert set(CONSENT_COLUMNS) == set(purposes.CONSENT_PURPOSES)
    assert all(column in Person.__table__.c for column in CONSENT_COLUMNS.values())  # type: ignore[attr-defined]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=10))
def test_the_stored_consent_always_equals_a_full_recount(session, make_user, steps):
    staff = make_user("support", email=f"support-{uuid.uuid4().hex[:8]}@radnac.example")
    tag = uuid.uuid4().hex[:8]  # this example's own people (the database outlives an example)
    # Two people: two leads share one address, a third and a fourth have their own.
    addresses = [f"ada-{tag}", f"ada-{tag}", f"alan-{tag}", f"grace-{tag}"]
    leads = [
        Lead(source_partition_key=tag, source_row_key=str(n), first_name="Ada", email=f"{address}@x.example",
             first_seen_at=PINNED_NOW - timedelta(days=9), received_at=PINNED_NOW - timedelta(days=9))
        for n, address in enumerate(addresses)
    ]  # fmt: skip
    subjects.file_leads(session=session, leads=leads)
    session.add_all(leads)
    session.commit()
    lead_ids, seen = [lead.id for lead in leads], {lead.person_id for lead in leads}
    for step in steps:
        lead = session.get(Lead, lead_ids[step[1]])
        try:
            if step[0] in ("lead", "person"):
                _kind, _n, purpose, granted, days = step
                at = PINNED_NOW - timedelta(days=days)
                said = records.ConsentInput(purpose, granted, "email_reply", "said so", "v1", at=at)
                if step[0] == "lead":
                    records.record(session=session, lead=lead, given=said, actor=staff, now=PINNED_NOW)
                else:
                    person = session.get(Person, lead.person_id)
                    records.record_for_person(session=session, person=person, given=said, actor=staff, now=PINNED_NOW)
            elif step[0] == "correct":
                _kind, _n, which, right = step
                mine = session.exec(select(ConsentRecord).where(ConsentRecord.person_id == lead.person_id)).all()
                if mine:
                    wrong = sorted(mine, key=lambda record: record.id)[which % len(mine)]
                    said = right and records.ConsentInput(right[0], right[1], "email_reply", "said so", "v1",
                                                          at=PINNED_NOW - timedelta(days=right[2]))  # fmt: skip
                    records.correct(session=session, person=session.get(Person, lead.person_id), record_id=wrong.id,
                                    reason="entered in error", replacement=said, actor=staff, now=PINNED_NOW,
                                    lead=lead)  # fmt: skip
            elif step[0] == "attach":
                to = session.get(Person, session.get(Lead, lead_ids[step[2]]).person_id)
                subjects.attach(session=session, lead=lead, person=to, reason="same human", actor=staff, now=PINNED_NOW)
            else:
                subjects.detach(session=session, lead=lead, reason="someone else", actor=staff, now=PINNED_NOW)
        except (records.ConsentError, subjects.PersonError):
            session.rollback()
        session.expire_all()
        seen |= {session.get(Lead, lead_id).person_id for lead_id in lead_ids}  # and those a lead left
        for person_id in seen:
            assert stored(session.get(Person, person_id)) == recount(session, person_id), step
        # The leads list's consent column (read from the stored state, with the holds) says what the history says.
        from_history = records.states(session=session, lead_ids=lead_ids, now=PINNED_NOW)
        _held, on_the_list = listpages.rows_around(session, lead_ids)
        shown = {lead_id: (state.state, state.label) for lead_id, state in on_the_list.items()}
        assert shown == {lead_id: (state.state, state.label) for lead_id, state in from_history.items()}, step


def test_the_consent_filter_reads_the_stored_state_not_the_records(session, make_user):
    """The leads list's consent filter and its capped count read the person's stored state: no statement
    of the list touches the consent records; on SQLite the count reads the people in that state from their
    index, and the page walks the list's order testing each lead's person by key (no sort of every match)."""
    from leads.workspace import leadlist
    from tests.sqlplan import plans, statements

    staff = make_user("sales")
    lead = add_lead(session, PINNED_NOW - timedelta(days=3), row_key="zoe")
    said = records.ConsentInput("marketing", True, "email_reply", "said so", "v1", at=PINNED_NOW)
    records.record(session=session, lead=lead, given=said, actor=staff, now=PINNED_NOW)
    for state, expected in (("granted", [lead.id]), ("withdrawn", []), ("none", [])):
        query = leadlist.parse({"consent": state})

        def listed(query=query) -> list[int]:
            window = leadlist.list_leads(session=session, query=query, now=PINNED_NOW, per_page=10)
            return [each.id for each in window.items]

        assert listed() == expected
        sent = statements(session, listed, containing="FROM lead")
        assert sent and all("consentrecord" not in statement for statement, _p, _m in sent), sent
        if session.get_bind().dialect.name == "sqlite" and state != "none":
            count, page = plans(session, listed, containing="FROM lead")[:2]
            assert "ix_person_marketing_consent" in count and "consentrecord" not in count, count
            assert "TEMP B-TREE" not in page and "SEARCH person USING INTEGER PRIMARY KEY" in page, page


@pytest.mark.parametrize("granted", [True, False])
def test_the_gate_still_decides_from_the_records_not_the_stored_state(session, make_user, granted):
    """The stored state is for listing only: a person whose stored state says "granted" but whose records
    say nothing is still refused marketing (and one whose records grant it is allowed whatever is stored)."""
    staff = make_user("sales")
    lead = add_lead(session, PINNED_NOW - timedelta(days=3), row_key="gate")
    person = session.get(Person, lead.person_id)
    if granted:
        said = records.ConsentInput("marketing", True, "email_reply", "said so", "v1", at=PINNED_NOW)
        records.record(session=session, lead=lead, given=said, actor=staff, now=PINNED_NOW)
    person.marketing_consent = "withdrawn" if granted else "granted"  # stored state made wrong on purpose
    session.add(person)
    session.commit()
    decision = records.preview(session=session, leads=[lead], action_code="marketing_list.add", now=PINNED_NOW)
    assert decision[lead.id].allowed is granted
    consents.recount(session=session, person_ids=[person.id])  # the writer's recount puts it right
    session.commit()
    session.refresh(person)
    assert person.marketing_consent == ("granted" if granted else "none")
