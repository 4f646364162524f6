"""Undo of reversible changes, in the service, on a pinned clock: each kind put back, audited as a change of
its own, refused once the window has passed, once something changed since, for someone else's change, and
where the change itself would be refused (restriction, erasure)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import col, select

from leads.consent import marketing
from leads.models import AuditEvent, Installation, LeadNote, MarketingListMember
from leads.workspace import followups, nurture, undo
from tests.factories import PINNED_NOW, add_installation
from tests.marketing_samples import give, make_lead, make_list

SOON = PINNED_NOW + undo.UNDO_WINDOW - timedelta(seconds=1)
LATE = PINNED_NOW + undo.UNDO_WINDOW + timedelta(seconds=1)


def _changed(session, actor, make) -> list[int]:
    """Run `make()` and return the undo offer it earns (the audit event ids)."""
    since = undo.mark(session=session)
    make()
    return undo.offered(session=session, actor=actor, since=since)


def _events(session, action: str) -> list[dict]:
    rows = session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id)))
    return [json.loads(row.details or "{}") | {"actor": row.actor, "at": row.at} for row in rows]


def test_a_status_change_is_undone_within_the_window_and_audited_as_its_own_change(session, make_user):
    sam, lead = make_user("sales"), make_lead(session, 1)
    offer = _changed(
        session,
        sam,
        lambda: nurture.set_status(session=session, lead=lead, status="qualified", actor=sam, now=PINNED_NOW),
    )
    assert len(offer) == 1
    result = undo.undo(session=session, event_ids=offer, actor=sam, now=SOON)
    assert result.refused == [] and len(result.restored) == 1
    session.refresh(lead)
    assert lead.nurture_status == "new"
    put_back = _events(session, "lead.status.change")[-1]
    assert (put_back["before"], put_back["after"], put_back["undoes"], put_back["at"]) == (
        "qualified",
        "new",
        offer[0],
        SOON,
    )
    again = undo.undo(session=session, event_ids=offer, actor=sam, now=SOON)
    assert again.restored == [] and "changed again since" in again.refused[0][1]


def test_an_undo_after_the_window_is_refused_and_changes_nothing(session, make_user):
    sam, lead = make_user("sales"), make_lead(session, 1)
    offer = _changed(
        session,
        sam,
        lambda: nurture.set_status(session=session, lead=lead, status="qualified", actor=sam, now=PINNED_NOW),
    )
    result = undo.undo(session=session, event_ids=offer, actor=sam, now=LATE)
    assert result.restored == [] and "10 minutes" in result.refused[0][1]
    session.refresh(lead)
    assert lead.nurture_status == "qualified"


def test_an_undo_is_refused_when_the_value_changed_since_even_back_and_forth(session, make_user):
    sam, kim, lead = make_user("sales"), make_user("sales"), make_lead(session, 1)
    offer = _changed(
        session,
        sam,
        lambda: nurture.set_status(session=session, lead=lead, status="qualified", actor=sam, now=PINNED_NOW),
    )
    nurture.set_status(session=session, lead=lead, status="customer", actor=kim, now=PINNED_NOW + timedelta(minutes=1))
    nurture.set_status(session=session, lead=lead, status="qualified", actor=kim, now=PINNED_NOW + timedelta(minutes=2))
    result = undo.undo(session=session, event_ids=offer, actor=sam, now=SOON)
    assert result.restored == [] and f"by {kim.email}" in result.refused[0][1]
    session.refresh(lead)
    assert lead.nurture_status == "qualified"


def test_only_who_made_a_change_undoes_it(session, make_user):
    sam, kim, lead = make_user("sales"), make_user("sales"), make_lead(session, 1)
    offer = _changed(
        session, sam, lambda: nurture.set_status(session=session, lead=lead, status="lost", actor=sam, now=PINNED_NOW)
    )
    assert undo.offered(session=session, actor=kim, since=0) == []
    result = undo.undo(session=session, event_ids=offer, actor=kim, now=SOON)
    assert "Only who made a change" in result.refused[0][1]


@pytest.mark.parametrize("flag", ["processing_restricted", "erasure_pending"])
def test_an_undo_is_refused_where_the_change_would_be_and_the_refusal_is_audited(session, make_user, flag):
    sam, lead = make_user("sales"), make_lead(session, 1)
    offer = _changed(
        session, sam, lambda: nurture.set_owner(session=session, lead=lead, owner_id=sam.id, actor=sam, now=PINNED_NOW)
    )
    setattr(lead, flag, True)
    session.commit()
    result = undo.undo(session=session, event_ids=offer, actor=sam, now=SOON)
    assert result.restored == [] and "privacy notice" in result.refused[0][1]
    session.refresh(lead)
    assert lead.owner_id == sam.id
    assert _events(session, "lead.owner.change.refused")[-1]["undoes"] == offer[0]


def test_an_owner_change_is_undone(session, make_user):
    sam, kim, lead = make_user("sales"), make_user("support"), make_lead(session, 1)
    nurture.set_owner(session=session, lead=lead, owner_id=kim.id, actor=sam, now=PINNED_NOW - timedelta(hours=1))
    offer = _changed(
        session, sam, lambda: nurture.set_owner(session=session, lead=lead, owner_id=None, actor=sam, now=PINNED_NOW)
    )
    assert undo.undo(session=session, event_ids=offer, actor=sam, now=SOON).refused == []
    session.refresh(lead)
    assert lead.owner_id == kim.id


def test_a_bulk_edit_is_undone_lead_by_lead_and_a_changed_one_is_refused_alone(session, make_user):
    sam, kim = make_user("sales"), make_user("sales")
    leads = [make_lead(session, n) for n in (1, 2, 3)]

    def bulk():
        for lead in leads:
            nurture.set_status(session=session, lead=lead, status="contacted", actor=sam, now=PINNED_NOW)

    offer = _changed(session, sam, bulk)
    nurture.set_status(session=session, lead=leads[1], status="lost", actor=kim, now=PINNED_NOW + timedelta(minutes=3))
    result = undo.undo(session=session, event_ids=offer, actor=sam, now=SOON)
    assert len(result.restored) == 2 and len(result.refused) == 1
    for lead in leads:
        session.refresh(lead)
    assert [lead.nurture_status for lead in leads] == ["new", "lost", "new"]


def test_a_follow_up_marked_done_goes_back_in_the_queue(session, make_user):
    sam, lead = make_user("sales"), make_lead(session, 1)
    note = LeadNote(
        lead_id=lead.id,
        kind="follow_up",
        body="call",
        at=PINNED_NOW - timedelta(days=1),
        author=sam.email,
        follow_up_on=PINNED_NOW + timedelta(hours=1),
    )
    session.add(note)
    session.commit()
    offer = _changed(
        session, sam, lambda: followups.mark_done(session=session, note_id=note.id, actor=sam, now=PINNED_NOW)
    )
    assert undo.undo(session=session, event_ids=offer, actor=sam, now=SOON).refused == []
    session.refresh(note)
    assert (note.follow_up_done_at, note.follow_up_done_by) == (None, None)
    assert _events(session, "lead.follow_up.reopen")[-1]["undoes"] == offer[0]
    assert "changed again since" in undo.undo(session=session, event_ids=offer, actor=sam, now=SOON).refused[0][1]


def test_a_link_and_an_unlink_are_undone_and_relinking_passes_the_gate(session, make_user):
    sam, lead = make_user("sales"), make_lead(session, 1)
    installation = add_installation(session, None, "app-1")
    linked = _changed(
        session,
        sam,
        lambda: nurture.link(session=session, installation=installation, lead=lead, actor=sam, now=PINNED_NOW),
    )
    assert undo.undo(session=session, event_ids=linked, actor=sam, now=SOON).refused == []
    assert session.get(Installation, installation.id).lead_id is None
    nurture.link(session=session, installation=installation, lead=lead, actor=sam, now=PINNED_NOW)
    unlinked = _changed(
        session,
        sam,
        lambda: nurture.link(session=session, installation=installation, lead=None, actor=sam, now=PINNED_NOW),
    )
    lead.processing_restricted = True
    session.commit()
    refused = undo.undo(session=session, event_ids=unlinked, actor=sam, now=SOON)
    assert refused.restored == [] and session.get(Installation, installation.id).lead_id is None
    lead.processing_restricted = False
    session.commit()
    assert undo.undo(session=session, event_ids=unlinked, actor=sam, now=SOON).refused == []
    session.expire_all()
    assert session.get(Installation, installation.id).lead_id == lead.id


def test_an_addition_to_a_marketing_list_is_undone(session, make_user):
    sam, lead, launch = make_user("sales"), make_lead(session, 1), make_list(session)
    give(session, lead, at=PINNED_NOW - timedelta(days=1))
    offer = _changed(
        session,
        sam,
        lambda: marketing.add_to_list(
            session=session, list_id=launch.id, lead_ids=[lead.id], actor=sam, now=PINNED_NOW
        ),
    )
    assert len(offer) == 1
    assert undo.undo(session=session, event_ids=offer, actor=sam, now=SOON).refused == []
    assert session.exec(select(MarketingListMember)).all() == []
    assert _events(session, "marketing_list.remove")[-1] | {"at": None} == {
        "list_id": launch.id,
        "undoes": offer[0],
        "actor": sam.email,
        "at": None,
    }


def test_nothing_else_is_offered_or_undone(session, make_user):
    sam, lead = make_user("sales"), make_lead(session, 1)
    offer = _changed(
        session,
        sam,
        lambda: nurture.add_note(session=session, lead=lead, kind="note", body="hi", actor=sam, now=PINNED_NOW),
    )
    assert offer == []
    assert (
        undo.undo(session=session, event_ids=[10**6], actor=sam, now=SOON).refused[0][1]
        == "There is no such change to undo."
    )
