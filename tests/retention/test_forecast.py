"""Forecasts of destruction: exact at calendar edges, fast at scale, and they agree with the sweeper."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leads.retention import forecast, holds, sweeper
from leads.retention.sweeper import TARGETS
from tests.retention.test_sweeper import add_installation, add_lead

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
LEADS = TARGETS[0]


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
    assert forecast.count_due_by(session=session, target=LEADS, as_of=edge - timedelta(seconds=1)) == 1
    assert forecast.count_due_by(session=session, target=LEADS, as_of=edge) == 3
    assert forecast.count_due_by(session=session, target=LEADS, as_of=datetime(2027, 3, 1, 12, tzinfo=UTC)) == 4


def test_the_forecast_matches_what_the_sweeper_destroys(session):
    for days in range(1080, 1110):
        add_lead(session, NOW - timedelta(days=days, hours=days % 7), f"r{days}")
    add_installation(session, NOW - timedelta(days=95), "gone")
    expected = sum(forecast.count_due_by(session=session, target=t, as_of=NOW) for t in TARGETS)
    report = sweeper.sweep(session=session, now=NOW, source=None, tombstone_key="k", holder="t")
    assert sum(report.destroyed.values()) == expected > 0


def test_weekly_totals_add_up_to_the_window(session):
    for n in range(20):
        add_lead(session, NOW - timedelta(days=1096) + timedelta(days=3 * n, hours=5), f"r{n}")
    weeks = forecast.weekly(session=session, now=NOW, weeks=12)
    assert len(weeks) == 12 and weeks[0][0] == NOW
    assert sum(count for _, count in weeks) == forecast.count_due_by(
        session=session, target=LEADS, as_of=NOW + timedelta(weeks=12)
    )
