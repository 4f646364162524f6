"""Issue #33: the person's current consent per purpose, stored on the person by the one writer of consent records
(`people.consents`), always equals a full recount from the records, whatever the history: grants and
withdrawals recorded on a lead or on the person's page (as staff and the privacy page record them), a one-click
unsubscribe, a withdrawal request carried out, out of order in time, refused ones, records corrected as entered
in error (into nothing or into another record, issue #31), leads attached to another person or detached to one
of their own, and a new lead arriving through the sync for someone already known. And every lead's copy of its
person's marketing consent (`Lead.marketing_consent`, kept by migration 0030's triggers) equals that state.
On SQLite and PostgreSQL. The recount here is the gate's own rule (`consent.latest_event` at now over the
records, which leaves out a superseded one), not the writer's."""

from __future__ import annotations

import uuid
from datetime import timedelta
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlmodel import select

from leads.consent import records, unsubscribe
from leads.models import CONSENT_COLUMNS, ConsentRecord, Lead, Mailing, MailingMessage, Person
from leads.people import consents, subjects
from leads.rights import actions, coverage, register
from leads.rules import consent, mailtext, purposes
from leads.workspace import listpages
from tests.factories import PINNED_NOW, add_lead, lead_for, new_request, store_entities
from tests.lead_samples import customer_info, entity

PURPOSES = st.sampled_from(sorted(CONSENT_COLUMNS))
DAYS = st.integers(0, 6)  # small: ties in time are common
LEADS = st.integers(0, 7)  # a lead by position, modulo how many there are (new ones arrive)
STEP = st.one_of(
    st.tuples(st.just("lead"), LEADS, PURPOSES, st.booleans(), DAYS),
    st.tuples(st.just("person"), LEADS, PURPOSES, st.booleans(), DAYS),
    st.tuples(st.just("attach"), LEADS, LEADS),
    st.tuples(st.just("detach"), LEADS),
    # Correct one of the person's records (by position) as entered in error, into nothing or into another one.
    st.tuples(st.just("correct"), LEADS, st.integers(0, 9),
              st.none() | st.tuples(PURPOSES, st.booleans(), DAYS)),
    st.tuples(st.just("arrive"), LEADS),  # the sync stores a new lead with this lead's address
    st.tuples(st.just("unsubscribe"), LEADS),  # the one-click link of a marketing email sent to this lead
    st.tuples(st.just("request"), LEADS, DAYS),  # a withdrawal request covering this lead, carried out
)  # fmt: skip
SECRET = "unsubscribe-test-secret"


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
    arrivals = count()
    for step in steps:
        lead = session.get(Lead, lead_ids[step[1] % len(lead_ids)])
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
                to = session.get(Person, session.get(Lead, lead_ids[step[2] % len(lead_ids)]).person_id)
                subjects.attach(session=session, lead=lead, person=to, reason="same human", actor=staff, now=PINNED_NOW)
            elif step[0] == "detach":
                subjects.detach(session=session, lead=lead, reason="someone else", actor=staff, now=PINNED_NOW)
            elif step[0] == "arrive":
                lead_ids.append(_arrive(session, lead, f"{tag}-new{next(arrivals)}"))
            elif step[0] == "unsubscribe":
                _unsubscribe(session, lead)
            else:
                _withdrawal_request(session, make_user, lead, days=step[2])
        except (records.ConsentError, subjects.PersonError, actions.ActionError):
            session.rollback()
        session.expire_all()
        seen |= {session.get(Lead, lead_id).person_id for lead_id in lead_ids}  # and those a lead left
        for person_id in seen:
            assert stored(session.get(Person, person_id)) == recount(session, person_id), step
        # Every lead's copy of its person's marketing consent is that person's state (none without a person).
        assert copied(session, lead_ids) == {lead_id: _person_state(session, lead_id) for lead_id in lead_ids}, step
        # The leads list's consent column (read from the stored state, with the holds) says what the history says.
        from_history = records.states(session=session, lead_ids=lead_ids, now=PINNED_NOW)
        _held, on_the_list = listpages.rows_around(session, lead_ids)
        shown = {lead_id: (state.state, state.label) for lead_id, state in on_the_list.items()}
        assert shown == {lead_id: (state.state, state.label) for lead_id, state in from_history.items()}, step


def copied(session, lead_ids: list[int]) -> dict[int, str]:
    """Each lead's copy of its person's marketing consent, as the row holds it (not the ORM's loaded value)."""
    lead = Lead.__table__  # type: ignore[attr-defined]
    query = select(lead.c.id, lead.c.marketing_consent).where(lead.c.id.in_(lead_ids))
    return dict(session.connection().execute(query).all())


def _person_state(session, lead_id: int) -> str:
    person_id = session.get(Lead, lead_id).person_id
    return recount(session, person_id)["marketing_consent"] if person_id else "none"


def _arrive(session, lead: Lead, row_key: str) -> int:
    """The sync stores a new lead from the source with `lead`'s address (filed under whoever has it); its id."""
    info = customer_info(Email=lead.email, FirstName="Ada", Country="FR")
    store_entities(session, entity(row_key, info=info), now=PINNED_NOW)
    return session.exec(select(Lead.id).where(Lead.source_row_key == row_key)).one()


def _unsubscribe(session, lead: Lead) -> None:
    """The person behind `lead` uses the one-click link of a marketing email sent to it."""
    mailing = Mailing(subject="News", body="Hello", created_by="sales", created_at=PINNED_NOW)
    session.add(mailing)
    session.flush()
    message = MailingMessage(mailing_id=mailing.id, lead_id=lead.id, status="sent", subject="News")
    session.add(message)
    session.commit()
    token = mailtext.sign(mailtext.Token(lead.person_id, "marketing", message.id), secret=SECRET)
    assert unsubscribe.unsubscribe(session=session, token=token, secret=SECRET, now=PINNED_NOW) == "done"


def _withdrawal_request(session, make_user, lead: Lead, *, days: int) -> None:
    """A withdrawal request received `days` ago, covering `lead` (so its person), carried out at now."""
    dpo = make_user("admin", f"dpo-{uuid.uuid4().hex[:8]}@radnac.example")
    received = (PINNED_NOW - timedelta(days=days)).date()
    request = new_request(session, dpo, received=received, kind="withdraw_consent", email=lead.email)
    register.verify_identity(session=session, request=request, actor=dpo, now=PINNED_NOW)
    coverage.confirm_lead(session=session, request=request, lead=lead, actor=dpo, now=PINNED_NOW)
    actions.withdraw_consent(session=session, request=request, actor=dpo, now=PINNED_NOW)


def test_a_write_of_the_lead_copy_itself_is_put_back(session):
    """The copy's only writers are the triggers and the filing of a new lead: a direct write (a bug, a hand-made
    fix) is put back to the person's state in the same statement, a lead moved by any UPDATE takes its new
    person's state, and a lead without a person reads "none"."""
    lead = add_lead(session, PINNED_NOW - timedelta(days=3), row_key="copy")
    session.execute(update(Person).where(Person.id == lead.person_id).values(marketing_consent="withdrawn"))
    assert copied(session, [lead.id]) == {lead.id: "withdrawn"}
    session.execute(update(Lead).where(Lead.id == lead.id).values(marketing_consent="granted"))
    assert copied(session, [lead.id]) == {lead.id: "withdrawn"}
    alone = Lead(source_partition_key="p", source_row_key="alone", first_seen_at=PINNED_NOW, received_at=PINNED_NOW)
    session.add(alone)
    session.flush()
    assert copied(session, [alone.id]) == {alone.id: "none"}
    session.execute(update(Lead).where(Lead.id == alone.id).values(person_id=lead.person_id))
    assert copied(session, [alone.id]) == {alone.id: "withdrawn"}
    session.execute(update(Lead).where(Lead.id == alone.id).values(person_id=None))
    assert copied(session, [alone.id]) == {alone.id: "none"}
    session.commit()
    # A new lead filed under a person who withdrew carries the withdrawal from its first moment.
    again = lead_for(session, "copy-again", "copy@x.example", days=1)
    assert again.person_id == lead.person_id
    assert copied(session, [again.id]) == {again.id: "withdrawn"}


def test_the_consent_filter_reads_the_stored_state_not_the_records(session, make_user):
    """The leads list's consent filter and its capped count read the person's stored state: no statement
    of the list touches the consent records; on SQLite the count reads the people in that state from their
    index, and the page walks the list's order testing each lead's copy of it (no sort of every match)."""
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
            # The page tests the lead's own copy of the state as it walks the list's order (migration 0030).
            assert "TEMP B-TREE" not in page and "person" not in page and "SCAN lead USING INDEX" in page, page


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
