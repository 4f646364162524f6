"""The dashboard's figures: what needs attention this week."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from leads.grants import grants
from leads.models import SupportGrant
from leads.retention import forecast
from leads.rights import register
from leads.workspace import attention, followups, installlist, leadlist

NEW_LEADS = {"since": "7"}  # the "new leads" tile's filter; the tile links to the leads list with it


@dataclass(frozen=True)
class Figures:
    """Counts for the tiles, the destruction chart's weeks, and the grants about to lapse."""

    new_leads: int
    installs: int
    failures: int
    uninstalls: int
    needs_help: int
    destroy_7: int  # records due within 7 days (held included: `held_7` of them are kept by a legal hold)
    destroy_30: int
    held_7: int
    held_30: int
    retention: forecast.DueCounts  # what the tiles above come from, shared with /retention
    weeks: list[tuple[datetime, int]]
    lapsing: list[SupportGrant]
    follow_ups: dict[str, int]  # this member of staff's: overdue, due_soon
    rights_overdue: int
    rights_due_this_week: int


CHART_WEEKS = 12
LAPSING = timedelta(hours=48)  # grants shown as lapsing soon
WEEK_DAYS = tuple(7 * (n + 1) for n in range(CHART_WEEKS))


@dataclass(frozen=True)
class DashboardPage:
    """The dashboard: its figures, and the stuck work shown above them (empty for staff who may not see it)."""

    figures: Figures
    attention: list[attention.Item]


def page(
    *, session: Session, now: datetime, staff_email: str, settings: Mapping[str, Any], with_attention: bool
) -> DashboardPage:
    """The dashboard as of `now` for `staff_email`; `with_attention` is whether the viewer sees the stuck work
    (only then is it looked for, with the app's `settings`)."""
    shown = figures(session=session, now=now, staff_email=staff_email)
    stuck = attention.items(session=session, now=now, settings=settings) if with_attention else []
    return DashboardPage(figures=shown, attention=stuck)


def figures(*, session: Session, now: datetime, staff_email: str) -> Figures:
    """Everything the dashboard shows, as of `now`; the follow-ups are `staff_email`'s own. The retention tiles
    and chart come from `forecast.due_counts`, the function the /retention page counts with (after grants past
    their window are lapsed, as reading them does: `grants.open_grants`)."""
    lapsing = [g for g in grants.open_grants(session=session, now=now) if grants.lapse_at(g) <= now + LAPSING]
    due = forecast.due_counts(session=session, now=now, days=(*forecast.TILE_DAYS, *WEEK_DAYS))
    return Figures(
        follow_ups=followups.counts(session=session, author=staff_email, now=now),
        new_leads=leadlist.count(session=session, query=leadlist.parse(NEW_LEADS), now=now),
        installs=_installs(session, now, happened="installed"),
        failures=_installs(session, now, happened="failed"),
        uninstalls=_installs(session, now, happened="uninstalled"),
        needs_help=_installs(session, now, state="needs_help"),
        destroy_7=due.total(7),
        destroy_30=due.total(30),
        held_7=due.held_total(7),
        held_30=due.held_total(30),
        retention=due,
        weeks=forecast.weekly_from(due, CHART_WEEKS),
        lapsing=lapsing,
        rights_overdue=(rights_counts := register.counts(session=session, today=now.date()))["overdue"],
        rights_due_this_week=rights_counts["due_this_week"],
    )


def _installs(session: Session, now: datetime, **args: str) -> int:
    """A tile's count: what the installations list shows for the same filter (the tile links to it)."""
    return installlist.count(session=session, query=installlist.parse({**args, "within": "7"}), now=now)
