"""What is due by when: exact at every month end, and the sweeper's internals stay its own."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leads.retention import due, sweeper
from leads.rules import schedule

LEADS = Path(__file__).resolve().parents[2] / "leads"


def _said(rule: str, start: datetime, as_of: datetime) -> str:
    """What the cutoffs say of a record whose clock started at `start`: "due", "maybe" (decided one by one)
    or "not due"."""
    certain, band = due.cutoffs(rule, as_of)
    if start <= certain:
        return "due"
    return "maybe" if band is not None and band[0] < start <= band[1] else "not due"


@pytest.mark.parametrize("rule", ["lead", "install_notification", "support_grant", "rights_request"])
@pytest.mark.parametrize(
    "as_of",
    [
        datetime(2027, 2, 28, 12, tzinfo=UTC),  # 3 years after a leap day: 28 and 29 Feb 2024 both land here
        datetime(2027, 2, 28, 11, 59, 59, tzinfo=UTC),
        datetime(2028, 2, 29, 0, 0, tzinfo=UTC),  # a leap day whose day did not exist 3 years before
        datetime(2027, 3, 1, 0, 0, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
    ],
)
def test_the_cutoffs_say_exactly_which_starts_are_due(rule, as_of):
    """Brute force: every start in the weeks around the cutoff, every 7 hours 13 minutes (so all times of day
    and the clamped days come up), decided by the countdown's own rule and by the cutoffs. The band ("maybe":
    decided one by one) is never wider than the clamped days."""
    band = due.cutoffs(rule, as_of)[1]
    assert band is None or band[1] - band[0] <= timedelta(days=3)
    period = schedule.SCHEDULE[rule].period
    around = as_of - timedelta(days=period.years * 365 + period.months * 30 + period.days)
    start = around - timedelta(days=10)
    while start < around + timedelta(days=10):
        said = _said(rule, start, as_of)
        if said != "maybe":
            assert (said == "due") == schedule.is_due(schedule.deadline(rule, start), as_of), (rule, start, as_of)
        start += timedelta(hours=7, minutes=13)


def test_the_band_holds_only_the_clamped_days_and_only_when_needed():
    certain, band = due.cutoffs("lead", datetime(2027, 2, 28, 12, tzinfo=UTC))
    assert certain == datetime(2024, 2, 28, 12, tzinfo=UTC)
    assert band == (
        datetime(2024, 2, 28, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
    )
    assert due.cutoffs("lead", datetime(2027, 2, 27, 12, tzinfo=UTC))[1] is None
    assert due.cutoffs("install_notification", datetime(2027, 2, 28, 12, tzinfo=UTC)) == (
        datetime(2026, 11, 30, 12, tzinfo=UTC),
        None,
    )


def _imports_of_sweeper(tree: ast.AST) -> set[str]:
    """The names a module takes from the sweeper: `from ...sweeper import x` and `sweeper.x`."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "leads.retention.sweeper":
            found |= {alias.name for alias in node.names}
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "sweeper":
            found.add(node.attr)
    return found


def test_nothing_outside_the_sweeper_reaches_past_its_public_names():
    """The sweeper's `__all__` is its whole surface: the dashboard and the forecast count by `due`, so editing
    the sweeper's destroyers and batches changes nothing else (issue #14, item 3)."""
    reached = {
        path.relative_to(LEADS).as_posix(): names - set(sweeper.__all__)
        for path in LEADS.rglob("*.py")
        if path.name != "sweeper.py" and (names := _imports_of_sweeper(ast.parse(path.read_text())))
    }
    assert {module: names for module, names in reached.items() if names} == {}
    assert all(hasattr(sweeper, name) for name in sweeper.__all__)


@pytest.mark.parametrize("module", ["workspace/dashboard.py", "retention/forecast.py", "web/retention.py"])
def test_the_counting_side_does_not_import_the_sweeper_at_all(module):
    assert _imports_of_sweeper(ast.parse((LEADS / module).read_text())) == set()
    lines = (LEADS / module).read_text().splitlines()
    assert not [line for line in lines if line.startswith(("import ", "from ")) and "sweeper" in line]
