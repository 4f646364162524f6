"""A withdrawal or objection is a fact about the person that always wins (RULES.md; issue #29, defect 1)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from leads.consent import marketing, records
from leads.models import ConsentRecord, MarketingListMember
from leads.people import subjects
from leads.rights import actions, register
from leads.rules import consent, purposes
from tests.factories import PINNED_NOW, add_lead, new_request

RECEIVED = date(2026, 11, 20)


def _request(session, make_user, kind="withdraw_consent"):
    actor = make_user("admin", "dpo@radnac.example")
    lead = add_lead(session, PINNED_NOW - timedelta(days=30), "ada")
    assert lead.person_id is not None  # filed under its person when added
    request = new_request(session, actor, received=RECEIVED, kind=kind)
    register.verify_identity(session=session, request=request, actor=actor, now=PINNED_NOW)
    register.confirm_lead(session=session, request=request, lead=lead, actor=actor, now=PINNED_NOW)
    return request, lead, actor


def _grant(at: datetime) -> records.ConsentInput:
    return records.ConsentInput("marketing", True, "signed_form", "Signed form found in the archive", "v1", at=at)


@pytest.mark.parametrize("kind", ["withdraw_consent", "objection"])
def test_a_withdrawal_with_nothing_granted_is_still_recorded_and_a_back_dated_grant_cannot_beat_it(
    session, make_user, kind
):
    request, lead, actor = _request(session, make_user, kind)
    assert actions.withdraw_consent(session=session, request=request, actor=actor, now=PINNED_NOW) == len(
        purposes.CONSENT_PURPOSES
    )
    rows = session.exec(select(ConsentRecord)).all()
    assert {(r.purpose, r.granted) for r in rows} == {(p, False) for p in purposes.CONSENT_PURPOSES}
    # An old signed form turns up: dated before the request, it is refused, with the withdrawal's date.
    with pytest.raises(records.ConsentError, match="20 November 2026"):
        records.record(session=session, lead=lead, given=_grant(datetime(2026, 11, 1, tzinfo=UTC)), actor=actor,
                       now=PINNED_NOW)  # fmt: skip
    with pytest.raises(records.ConsentError, match="20 November 2026"):
        person = subjects.get(session=session, person_id=lead.person_id)
        records.record_for_person(session=session, person=person, given=_grant(datetime(2026, 11, 20, 9, tzinfo=UTC)),
                                  actor=actor, now=PINNED_NOW)  # fmt: skip
    target = marketing.create_list(session=session, name="Launch", description=None, actor=actor, now=PINNED_NOW)
    marketing.add_to_list(session=session, list_id=target.id, lead_ids=[lead.id], actor=actor, now=PINNED_NOW)
    assert session.exec(select(MarketingListMember)).all() == []


def test_the_withdrawal_is_dated_when_the_person_expressed_it_not_when_staff_carried_it_out(session, make_user):
    request, lead, actor = _request(session, make_user)
    granted_at = datetime(2026, 11, 1, tzinfo=UTC)
    records.record(
        session=session, lead=lead, given=_grant(granted_at), actor=actor, now=PINNED_NOW - timedelta(days=20)
    )
    actions.withdraw_consent(session=session, request=request, actor=actor, now=PINNED_NOW)
    events = [records.event(r) for r in session.exec(select(ConsentRecord))]
    withdrawal = consent.latest_event(events, "marketing", now=PINNED_NOW)
    assert withdrawal is not None and not withdrawal.granted
    assert withdrawal.at.date() == RECEIVED and withdrawal.at < PINNED_NOW
    # Between the request's receipt and staff carrying it out, the person had already said no.
    assert consent.current_consent(events, "marketing", now=datetime(2026, 11, 22, tzinfo=UTC)) is None
    # A grant dated between the two is refused, naming the withdrawal's date.
    with pytest.raises(records.ConsentError, match="20 November 2026"):
        records.record(session=session, lead=lead, given=_grant(datetime(2026, 11, 20, 12, tzinfo=UTC)), actor=actor,
                       now=PINNED_NOW)  # fmt: skip


def test_a_grant_given_after_the_withdrawal_still_counts(session, make_user):
    request, lead, actor = _request(session, make_user)
    actions.withdraw_consent(session=session, request=request, actor=actor, now=PINNED_NOW)
    later = PINNED_NOW + timedelta(days=3)
    assert records.record(session=session, lead=lead, given=_grant(later), actor=actor, now=later).changed


def test_a_withdrawal_on_the_lead_page_also_refuses_earlier_grants(session, make_user):
    _, lead, actor = _request(session, make_user)
    withdrawn = records.ConsentInput(
        "marketing", False, "email_reply", "Said stop", "v1", at=PINNED_NOW - timedelta(days=2)
    )
    records.record(session=session, lead=lead, given=withdrawn, actor=actor, now=PINNED_NOW)
    with pytest.raises(records.ConsentError, match="23 November 2026"):
        records.record(session=session, lead=lead, given=_grant(PINNED_NOW - timedelta(days=3)), actor=actor,
                       now=PINNED_NOW)  # fmt: skip
