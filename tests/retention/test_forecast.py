"""Forecasts of destruction: exact at calendar edges, fast at scale, and they agree with the sweeper."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from leads.models import Installation, Lead, LegalHold, QuarantinedEntity, RightsRequest, SupportGrant
from leads.retention import due, forecast, holds, sweeper
from leads.rules import schedule
from leads.workspace import dashboard
from tests.factories import add_installation, add_lead, seed_every_kind

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
LEADS = due.KINDS[0]


def due_by(session, as_of: datetime) -> int:
    """How many leads are due at `as_of` (overdue and held included)."""
    return forecast.due_counts(session=session, now=as_of, days=[0]).due[LEADS.record_type][0]


def test_upcoming_lists_what_is_due_within_the_window_with_holds(session, make_user):
    admin = make_user("admin")
    soon = add_lead(session, NOW - timedelta(days=1096) + timedelta(days=5), "soon")
    held = add_lead(session, NOW - timedelta(days=1096) + timedelta(days=6), "held")
    add_lead(session, NOW - timedelta(days=900), "later")
    holds.place(session=session, record_type="lead", record_id=held.id, reason="claim", actor=admin, now=NOW)
    report = forecast.upcoming(session=session, now=NOW, days=30)
    assert report.counts["lead"] == 2
    assert [d.record_id for d in report.soonest["lead"]] == [soon.id, held.id]
    assert [d.record_id for d in report.held] == [held.id]


def test_counts_are_exact_across_a_leap_day(session):
    # Created 29 Feb 2024 noon: due 28 Feb 2027 noon. Created 28 Feb 2024 noon: also due 28 Feb 2027 noon.
    for day in (27, 28, 29):
        add_lead(session, datetime(2024, 2, day, 12, tzinfo=UTC), f"feb{day}")
    add_lead(session, datetime(2024, 3, 1, 12, tzinfo=UTC), "mar1")
    edge = datetime(2027, 2, 28, 12, tzinfo=UTC)
    assert due_by(session, edge - timedelta(seconds=1)) == 1
    assert due_by(session, edge) == 3
    assert due_by(session, datetime(2027, 3, 1, 12, tzinfo=UTC)) == 4


def test_the_forecast_matches_what_the_sweeper_destroys(session):
    for days in range(1080, 1110):
        add_lead(session, NOW - timedelta(days=days, hours=days % 7), f"r{days}")
    add_installation(session, NOW - timedelta(days=95), "gone")
    expected = forecast.due_counts(session=session, now=NOW, days=[0]).total(0)
    report = sweeper.sweep(session=session, now=NOW, source=None, tombstone_key="k", holder="t")
    assert sum(report.destroyed.values()) == expected > 0


def test_weekly_totals_add_up_to_the_window(session):
    for n in range(20):
        add_lead(session, NOW - timedelta(days=1096) + timedelta(days=3 * n, hours=5), f"r{n}")
    weeks = forecast.weekly(session=session, now=NOW, weeks=12)
    assert len(weeks) == 12 and weeks[0][0] == NOW
    assert sum(count for _, count in weeks) == due_by(session, NOW + timedelta(weeks=12))


def _recount(session, now: datetime, days: int) -> tuple[int, int]:
    """(due, held): every record read and decided by the countdown's own rule, no SQL cleverness."""
    until, found, held = now + timedelta(days=days), 0, 0
    active = {(h.record_type, h.record_id) for h in session.exec(select(LegalHold)) if h.lifted_at is None}
    rows = [
        *(("lead", "lead", r.id, r.received_at, True) for r in session.exec(select(Lead))),
        *(("lead", None, r.id, r.clock_started_at, True) for r in session.exec(select(QuarantinedEntity))),
        *(
            ("install_notification", "installation", r.id, r.clock_started_at, True)
            for r in session.exec(select(Installation))
        ),
        *(
            ("support_grant", None, r.id, r.last_communication_at, r.lapsed_at is None)
            for r in session.exec(select(SupportGrant))
        ),
        *(
            ("rights_request", None, r.id, r.closed_at, r.outlined_at is None)
            for r in session.exec(select(RightsRequest))
        ),
    ]
    for rule, hold_type, record_id, start, applies in rows:
        if applies and schedule.is_due(schedule.deadline(rule, start), until):
            found += 1
            held += (hold_type, record_id) in active
    return found, held


@pytest.mark.parametrize(
    "later",
    [timedelta(0), timedelta(days=2, hours=5), timedelta(days=40), datetime(2027, 2, 28, 11, tzinfo=UTC) - NOW],
)
def test_the_dashboard_and_the_retention_page_count_the_same_as_a_full_recount(session, make_user, later):
    """The tiles' figures, /retention's totals and a brute-force recount agree, as `now` moves (records become
    due) and after a sweep destroys what is due."""
    seed_every_kind(session, make_user("admin"))
    now = NOW + later
    for moment in (now, now + timedelta(days=1)):
        figures = dashboard.figures(session=session, now=moment, staff_email="sales@x.example")
        pages = {days: forecast.upcoming(session=session, now=moment, days=days) for days in (7, 30)}
        for days, tile, held in ((7, figures.destroy_7, figures.held_7), (30, figures.destroy_30, figures.held_30)):
            page = pages[days]
            assert tile == page.totals.total(days) == sum(page.counts.values()) == _recount(session, moment, days)[0]
            assert held == page.totals.held_total(days) == _recount(session, moment, days)[1]
            assert sum(len(dues) for dues in page.soonest.values()) == tile  # each by name (under 50 a kind)
        assert sum(count for _, count in figures.weeks[:1]) == figures.destroy_7 - figures.held_7
        sweeper.sweep(session=session, now=moment, source=None, tombstone_key="k", holder="t")
        assert figures.destroy_30 > figures.destroy_7 > figures.held_7 > 0 or moment > NOW + timedelta(days=30)
