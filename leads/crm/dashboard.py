"""The dashboard's figures: what needs attention this week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from leads.crm import followups, installlist, leadlist
from leads.grants import grants
from leads.models import SupportGrant
from leads.retention import forecast
from leads.retention.sweeper import TARGETS
from leads.rights import register

WEEK = timedelta(days=7)
NEW_LEADS = {"since": "7"}  # the "new leads" tile's filter; the tile links to the leads list with it


@dataclass(frozen=True)
class Figures:
    """Counts for the tiles, the destruction chart's weeks, and the grants about to lapse."""

    new_leads: int
    installs: int
    failures: int
    uninstalls: int
    needs_help: int
    destroy_7: int
    destroy_30: int
    weeks: list[tuple[datetime, int]]
    lapsing: list[SupportGrant]
    follow_ups: dict[str, int]  # this member of staff's: overdue, due_soon
    rights_overdue: int
    rights_due_this_week: int


def figures(*, session: Session, now: datetime, staff_email: str) -> Figures:
    """Everything the dashboard shows, as of `now`; the follow-ups are `staff_email`'s own."""
    return Figures(
        follow_ups=followups.counts(session=session, author=staff_email, now=now),
        new_leads=leadlist.count(session=session, query=leadlist.parse(NEW_LEADS), now=now),
        installs=_installs(session, now, happened="installed"),
        failures=_installs(session, now, happened="failed"),
        uninstalls=_installs(session, now, happened="uninstalled"),
        needs_help=_installs(session, now, state="needs_help"),
        destroy_7=_due(session, now + WEEK),
        destroy_30=_due(session, now + timedelta(days=30)),
        weeks=forecast.weekly(session=session, now=now, weeks=12),
        lapsing=[
            g for g in grants.open_grants(session=session, now=now) if grants.lapse_at(g) <= now + timedelta(hours=48)
        ],
        rights_overdue=(rights_counts := register.counts(session=session, today=now.date()))["overdue"],
        rights_due_this_week=rights_counts["due_this_week"],
    )


def _installs(session: Session, now: datetime, **args: str) -> int:
    """A tile's count: what the installations list shows for the same filter (the tile links to it)."""
    return installlist.count(session=session, query=installlist.parse({**args, "within": "7"}), now=now)


def _due(session: Session, until: datetime) -> int:
    return sum(forecast.count_due_by(session=session, target=target, as_of=until) for target in TARGETS)
