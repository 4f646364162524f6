"""One calendar-month arithmetic for the schedule and the rights deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from leads.rules.months import add_months


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),
        (date(2026, 5, 15), 36, date(2029, 5, 15)),
    ],
)
def test_dates_move_by_calendar_months_clamped_to_the_last_day(start, months, expected):
    assert add_months(start, months) == expected


def test_a_moment_keeps_its_time_and_zone():
    moved = add_months(datetime(2026, 1, 31, 23, 59, 30, tzinfo=UTC), 1)
    assert moved == datetime(2026, 2, 28, 23, 59, 30, tzinfo=UTC) and moved.tzinfo is UTC


@given(
    # hypothesis takes naive bounds and adds the zone itself
    start=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2400, 12, 31), timezones=st.just(UTC)),  # noqa: DTZ001
    months=st.integers(min_value=-1200, max_value=1200),
)
def test_the_same_answer_as_relativedelta(start, months):
    assert add_months(start, months) == start + relativedelta(months=months)
    assert add_months(start.date(), months) == start.date() + relativedelta(months=months)
