"""Issue #31: a consent record entered in error is superseded by a correction that keeps it in the history. The
gate and the person's stored consent ignore it; a correction never lets marketing reach someone who did not
consent (a withdrawal is only ever corrected into another withdrawal; consent counts again only from a
replacement grant with its own evidence). Clock pinned: every `now` is PINNED_NOW or given."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from leads.consent import records
from leads.consent.records import ConsentError, ConsentInput
from leads.models import AuditEvent, ConsentRecord, Person
from leads.rules import auditwords, consent
from tests.factories import PINNED_NOW, logged_in
from tests.marketing_samples import give, make_lead

DAY = timedelta(days=1)


def correct(session, lead, wrong, reason="typed the wrong date", replacement=None, now=PINNED_NOW):
    person = session.get(Person, lead.person_id)
    return records.correct(
        session=session, person=person, record_id=wrong.id, reason=reason, replacement=replacement,
        actor="sam@radnac.example", now=now, lead=lead,
    )  # fmt: skip


def allowed(session, lead, now=PINNED_NOW) -> bool:
    return records.preview(session=session, leads=[lead], action_code="marketing_list.add", now=now)[lead.id].allowed


def stored(session, lead) -> str:
    session.expire_all()
    return session.get(Person, lead.person_id).marketing_consent


def history(session, lead) -> list[tuple]:
    session.expire_all()
    rows = session.exec(
        select(ConsentRecord).where(ConsentRecord.person_id == lead.person_id).order_by(ConsentRecord.id)
    )
    return [(r.id, r.purpose, r.granted, r.at, r.superseded_at, r.superseded_by, r.correction_reason) for r in rows]


def test_a_wrong_date_is_corrected_and_the_original_kept_marked(session):
    lead = make_lead(session, 1)
    wrong = give(session, lead, at=PINNED_NOW - 30 * DAY)
    right = ConsentInput("marketing", True, "email_reply", "their email of 5 Dec", "notice v1", PINNED_NOW - 2 * DAY)
    row = correct(session, lead, wrong, reason="Typed November for December", replacement=right)

    rows = history(session, lead)
    assert rows == [
        (wrong.id, "marketing", True, wrong.at, PINNED_NOW, "sam@radnac.example", "Typed November for December"),
        (row.id, "marketing", True, PINNED_NOW - 2 * DAY, None, None, None),
    ]
    assert stored(session, lead) == "granted"
    panel = records.panel(session=session, lead_id=lead.id, now=PINNED_NOW)
    assert panel.states["marketing"] == records.ConsentState("granted", PINNED_NOW - 2 * DAY)
    # Before the right date the person had not consented: the wrong record no longer counts at any moment.
    assert allowed(session, lead, now=PINNED_NOW - 10 * DAY) is False
    assert allowed(session, lead) is True
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "consent.correct")).one()
    said = auditwords.sentence(
        event.action, who="Sam", what="Person1 Tester", details=json.loads(event.details), staff={}
    )
    assert said == (
        f"Sam corrected Person1 Tester's consent record {wrong.id} (marketing grant) as entered in error, "
        f"replaced by record {row.id} (marketing grant)."
    )
    assert "Typed November" not in str(event.details)  # the reason is the person's data, kept only on the record


def test_a_grant_on_the_wrong_person_is_corrected_into_nothing_and_stops_marketing(session):
    lead = make_lead(session, 1)
    wrong = give(session, lead, at=PINNED_NOW - 3 * DAY)
    assert (allowed(session, lead), stored(session, lead)) == (True, "granted")
    assert correct(session, lead, wrong, reason="Was Person2's reply, not theirs") is None
    assert (allowed(session, lead), stored(session, lead)) == (False, "none")
    assert history(session, lead)[0][4:] == (PINNED_NOW, "sam@radnac.example", "Was Person2's reply, not theirs")


def test_a_grant_for_the_wrong_purpose_moves_to_the_right_one(session):
    lead = make_lead(session, 1)
    wrong = give(session, lead, at=PINNED_NOW - 3 * DAY, purpose="queries")
    right = ConsentInput("marketing", True, "email_reply", "said yes to news", "notice v1", PINNED_NOW - 3 * DAY)
    correct(session, lead, wrong, reason="Ticked queries, meant marketing", replacement=right)
    session.expire_all()
    person = session.get(Person, lead.person_id)
    assert (person.marketing_consent, person.queries_consent) == ("granted", "none")
    assert allowed(session, lead) is True


@pytest.mark.parametrize(
    "replacement",
    [
        None,
        ConsentInput("marketing", True, "email_reply", "said yes", "notice v1", PINNED_NOW - 4 * DAY),
        ConsentInput("queries", False, "email_reply", "said stop", "notice v1", PINNED_NOW - 4 * DAY),
    ],
    ids=["into nothing", "into consent", "into another purpose"],
)
def test_a_withdrawal_cannot_be_corrected_into_consent_or_away(session, replacement):
    lead = make_lead(session, 1)
    give(session, lead, at=PINNED_NOW - 9 * DAY)
    withdrawal = give(session, lead, at=PINNED_NOW - 5 * DAY, granted=False)
    before = history(session, lead)
    with pytest.raises(ConsentError, match="A withdrawal cannot be corrected away or into consent"):
        correct(session, lead, withdrawal, reason="They did not mean it", replacement=replacement)
    session.rollback()
    assert history(session, lead) == before  # nothing marked, nothing added
    assert (allowed(session, lead), stored(session, lead)) == (False, "withdrawn")
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "consent.correct")).all() == []


def test_a_withdrawal_gets_its_right_date_but_never_one_that_lets_an_earlier_grant_count(session):
    lead = make_lead(session, 1)
    give(session, lead, at=PINNED_NOW - 9 * DAY)
    withdrawal = give(session, lead, at=PINNED_NOW - 5 * DAY, granted=False)
    earlier = ConsentInput(
        "marketing", False, "phone_call", "said stop on the call", "notice v1", PINNED_NOW - 12 * DAY
    )
    with pytest.raises(ConsentError, match="would make marketing consent count again"):
        correct(session, lead, withdrawal, reason="The call was earlier", replacement=earlier)
    session.rollback()
    later = ConsentInput("marketing", False, "phone_call", "said stop on the call", "notice v1", PINNED_NOW - 4 * DAY)
    correct(session, lead, withdrawal, reason="The call was a day later", replacement=later)
    assert (allowed(session, lead), stored(session, lead)) == (False, "withdrawn")
    assert [row[4] is not None for row in history(session, lead)] == [False, True, False]


def test_a_grant_is_not_corrected_to_before_a_later_withdrawal_nor_while_erasure_is_pending(session):
    lead = make_lead(session, 1)
    give(session, lead, at=PINNED_NOW - 9 * DAY, granted=False)
    wrong = give(session, lead, at=PINNED_NOW - 3 * DAY, purpose="queries")
    before_withdrawal = ConsentInput("marketing", True, "email_reply", "said yes", "notice v1", PINNED_NOW - 10 * DAY)
    with pytest.raises(ConsentError, match="withdrawn on"):
        correct(session, lead, wrong, replacement=before_withdrawal)
    session.rollback()
    lead.erasure_pending = True
    session.commit()
    right = ConsentInput("marketing", True, "email_reply", "said yes", "notice v1", PINNED_NOW - 2 * DAY)
    with pytest.raises(ConsentError, match=r"Not corrected\. This person has asked for their data to be erased"):
        correct(session, lead, wrong, replacement=right)
    session.rollback()
    assert [row[4] for row in history(session, lead)] == [None, None]


@pytest.mark.parametrize(
    ("reason", "says"), [("  ", "Say why the record is wrong"), ("x" * 1001, "at most 1000 characters")]
)
def test_a_correction_needs_a_short_reason(session, reason, says):
    lead = make_lead(session, 1)
    wrong = give(session, lead, at=PINNED_NOW - 3 * DAY)
    with pytest.raises(ConsentError, match=says):
        correct(session, lead, wrong, reason=reason)
    assert history(session, lead)[0][4] is None


def test_a_record_is_corrected_once_and_only_through_its_own_person(session):
    lead, other = make_lead(session, 1), make_lead(session, 2)
    wrong = give(session, lead, at=PINNED_NOW - 3 * DAY)
    with pytest.raises(LookupError):
        correct(session, other, wrong)
    correct(session, lead, wrong)
    with pytest.raises(ConsentError, match="already corrected"):
        correct(session, lead, wrong)


def test_the_pure_rule_refuses_a_correction_that_revives_an_older_grant():
    def ev(n, granted, days, purpose="marketing"):
        return consent.ConsentEvent(n, purpose, granted, PINNED_NOW - days * DAY, "email_reply", "e", "v", "s")

    grant, withdrawal = ev(1, True, 9), ev(2, False, 5)
    assert consent.correction_refusal([grant, withdrawal], grant, None, now=PINNED_NOW) is None
    assert consent.correction_refusal([grant, withdrawal], withdrawal, ev(None, False, 4), now=PINNED_NOW) is None
    assert "count again" in consent.correction_refusal(
        [grant, withdrawal], withdrawal, ev(None, False, 10), now=PINNED_NOW
    )


def test_the_pages_correct_a_record_refuse_a_withdrawal_with_its_reason_and_hide_others_records(
    app, session, make_user
):
    lead, other = make_lead(session, 1), make_lead(session, 2)
    grant = give(session, lead, at=PINNED_NOW - 9 * DAY)
    withdrawal = give(session, lead, at=PINNED_NOW - 5 * DAY, granted=False)
    staff = logged_in(app, make_user("support"))
    person = f"/people/{lead.person_id}/consent"
    form = {"reason": "Was someone else's", "purpose": "marketing", "decision": "granted", "method": "email_reply"}

    refused = staff.post(f"{person}/{withdrawal.id}/correction", data=form)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "A withdrawal cannot be corrected away or into consent" in page and "Was someone" in page
    assert staff.post(f"/people/{other.person_id}/consent/{grant.id}/correction", data=form).status_code == 404
    assert staff.post(f"/leads/{other.id}/consent/{grant.id}/correction", data=form).status_code == 404

    done = staff.post(f"{person}/{grant.id}/correction", data=form, follow_redirects=True)
    assert done.status_code == 200
    assert "Entered in error.</strong> Corrected on 25 Nov 2026 09:30 GMT" in done.get_data(as_text=True)
    assert [row[6] for row in history(session, lead)] == ["Was someone else's", None]

    fragment = staff.post(f"/leads/{lead.id}/consent/{withdrawal.id}/correction", headers={"HX-Request": "true"},
                          data={**form, "replace": "y", "evidence": "", "wording_version": "v1"})  # fmt: skip
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and 'id="consent-panel"' in text and "<html" not in text
    assert "Say what the person said or signed." in text  # the right record needs its evidence
