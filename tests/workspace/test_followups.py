"""Follow-ups as a queue: overdue, due and done per member of staff, one-click done, past dates refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from leads.models import AuditEvent, Lead, LeadNote
from leads.people import subjects
from leads.workspace import followups, nurture
from tests.factories import PINNED_NOW


def _lead(session, n: int = 1) -> Lead:
    lead = Lead(
        source_partition_key="p",
        source_row_key=f"r{n}",
        first_name="Ada",
        last_name=f"Lovelace{n}",
        first_seen_at=PINNED_NOW,
        received_at=PINNED_NOW,
    )
    subjects.file_leads(session=session, leads=[lead])
    session.add(lead)
    session.commit()
    return lead


def _follow_up(session, lead, author, hours: float) -> LeadNote:
    note = LeadNote(
        lead_id=lead.id,
        kind="follow_up",
        body=f"call in {hours}h",
        at=PINNED_NOW - timedelta(days=5),
        author=author.email,
        follow_up_on=PINNED_NOW + timedelta(hours=hours),
    )
    session.add(note)
    session.commit()
    return note


def _bodies(session, author, show) -> list[str]:
    window = followups.queue(
        session=session, author=author.email, query=followups.parse({"show": show}), now=PINNED_NOW, per_page=50
    )
    return [note.body for note in window.items]


def test_each_member_of_staff_sees_their_own_queue_in_order(session, make_user):
    me, colleague, lead = make_user("sales"), make_user("support"), _lead(session)
    for hours in (5, -30, 20, -2, 50):
        _follow_up(session, lead, me, hours)
    _follow_up(session, lead, colleague, -1)
    assert _bodies(session, me, "overdue") == ["call in -30h", "call in -2h"]  # oldest first
    assert _bodies(session, me, "due") == ["call in 5h", "call in 20h", "call in 50h"]  # soonest first
    mine = {"open": 5, "overdue": 2, "due": 3, "done": 0, "due_soon": 2}
    assert followups.counts(session=session, author=me.email, now=PINNED_NOW) == mine
    theirs = {"open": 1, "overdue": 1, "due": 0, "done": 0, "due_soon": 0}
    assert followups.counts(session=session, author=colleague.email, now=PINNED_NOW) == theirs


def test_marking_done_moves_it_to_done_once_and_is_audited(session, make_user):
    me, lead = make_user("sales"), _lead(session)
    note = _follow_up(session, lead, me, -3)
    followups.mark_done(session=session, note_id=note.id, actor=me, now=PINNED_NOW)
    followups.mark_done(session=session, note_id=note.id, actor=me, now=PINNED_NOW + timedelta(hours=1))
    assert _bodies(session, me, "overdue") == [] and _bodies(session, me, "done") == ["call in -3h"]
    session.refresh(note)
    assert note.follow_up_done_at == PINNED_NOW and note.follow_up_done_by == me.email
    audits = session.exec(select(AuditEvent).where(AuditEvent.action == "lead.follow_up.done")).all()
    assert len(audits) == 1 and audits[0].record_id == str(lead.id)


def test_only_its_author_marks_a_follow_up_done(session, make_user):
    me, colleague, lead = make_user("sales"), make_user("sales"), _lead(session)
    note = _follow_up(session, lead, me, -3)
    with pytest.raises(followups.FollowUpError):
        followups.mark_done(session=session, note_id=note.id, actor=colleague, now=PINNED_NOW)
    with pytest.raises(followups.FollowUpError):
        followups.mark_done(session=session, note_id=999999, actor=me, now=PINNED_NOW)


def test_a_follow_up_in_the_past_is_refused(session, make_user):
    me, lead = make_user("sales"), _lead(session)
    with pytest.raises(nurture.NurtureError, match="future"):
        nurture.add_note(
            session=session,
            lead=lead,
            kind="follow_up",
            body="call",
            actor=me,
            now=PINNED_NOW,
            follow_up_on=PINNED_NOW - timedelta(days=6 * 365),
        )
    assert session.exec(select(LeadNote)).all() == []


def test_the_queue_page_and_one_click_done(client, auth, session):
    me = auth.login("sales")
    lead = _lead(session)
    note = _follow_up(session, lead, me, -3)
    page = client.get("/follow-ups").get_data(as_text=True)
    assert "call in -3h" in page and "Mark done" in page and "GMT" in page
    done = client.post(f"/follow-ups/{note.id}/done", data={"show": "overdue"}, follow_redirects=True)
    assert "Marked done." in done.get_data(as_text=True) and "Nothing overdue" in done.get_data(as_text=True)
    dashboard = client.get("/").get_data(as_text=True)
    assert 'href="/follow-ups"><strong>0</strong> of your follow-ups overdue' in dashboard


def test_a_follow_up_typed_in_summer_is_uk_time(client, auth, session, clock):
    auth.login("sales")
    lead = _lead(session)
    client.post(f"/leads/{lead.id}/notes", data={"kind": "call", "body": "x", "follow_up_on": "2027-07-01T10:00"})
    note = session.exec(select(LeadNote)).one()
    assert note.follow_up_on.hour == 9  # 10:00 BST is 09:00 UTC


def test_the_queue_opens_on_everything_open_overdue_first_and_every_tab_counts(client, auth, session, make_user):
    """Issue #31: the queue opened on "Overdue (0) - nothing overdue" while follow-ups were due tomorrow."""
    me = auth.login("sales")
    lead = _lead(session)
    for hours in (20, -2, 50):
        _follow_up(session, lead, me, hours)
    followups.mark_done(session=session, note_id=_follow_up(session, lead, me, -9).id, actor=me, now=PINNED_NOW)
    assert _bodies(session, me, "open") == ["call in -2h", "call in 20h", "call in 50h"]  # overdue first, then due
    page = client.get("/follow-ups").get_data(as_text=True)
    assert page.index("call in -2h") < page.index("call in 20h") < page.index("call in 50h")
    assert "call in -9h" not in page  # done is its own tab
    for tab in ("Open (3)", "Overdue (1)", "Due (2)", "Done (1)"):
        assert tab in page, tab


@pytest.mark.parametrize(
    ("kind", "follow_up_on", "refused"),
    [
        ("follow_up", None, "needs the date"),  # a planned follow-up with no date never reaches the queue
        ("call", PINNED_NOW + timedelta(days=100 * 365), "destroyed"),  # after the lead is gone (2126 vs 2029)
        ("follow_up", PINNED_NOW + timedelta(days=2), None),
    ],
)
def test_a_planned_follow_up_needs_a_date_within_the_leads_lifetime(session, make_user, kind, follow_up_on, refused):
    me, lead = make_user("sales"), _lead(session)

    def add():
        nurture.add_note(
            session=session, lead=lead, kind=kind, body="call", actor=me, now=PINNED_NOW, follow_up_on=follow_up_on
        )

    if refused:
        with pytest.raises(nurture.NurtureError, match=refused):
            add()
        assert session.exec(select(LeadNote)).all() == []
    else:
        add()
        assert session.exec(select(LeadNote)).one().follow_up_on == follow_up_on
