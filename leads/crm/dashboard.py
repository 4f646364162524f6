"""The dashboard's figures: what needs attention this week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from leads.grants import grants
from leads.models import InstallEvent, Lead, LeadNote, SupportGrant
from leads.retention import forecast
from leads.retention.sweeper import TARGETS
from leads.rights import register

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Figures:
    """Counts for the tiles, the destruction chart's weeks, and the grants about to lapse."""

    new_leads: int
    installs: int
    failures: int
    uninstalls: int
    destroy_7: int
    destroy_30: int
    weeks: list[tuple[datetime, int]]
    lapsing: list[SupportGrant]
    follow_ups: int
    rights_overdue: int
    rights_due_this_week: int


def figures(*, session: Session, now: datetime) -> Figures:
    """Everything the dashboard shows, as of `now`."""
    return Figures(
        new_leads=session.exec(select(func.count()).select_from(Lead).where(Lead.received_at >= now - WEEK)).one(),
        installs=_events(session, now, "PUT", "Succeeded"),
        failures=_events(session, now, None, "Failed"),
        uninstalls=_events(session, now, "DELETE", "Deleted"),
        destroy_7=_due(session, now + WEEK),
        destroy_30=_due(session, now + timedelta(days=30)),
        weeks=forecast.weekly(session=session, now=now, weeks=12),
        lapsing=[
            g for g in grants.open_grants(session=session, now=now) if grants.lapse_at(g) <= now + timedelta(hours=48)
        ],
        rights_overdue=(rights_counts := register.counts(session=session, today=now.date()))["overdue"],
        rights_due_this_week=rights_counts["due_this_week"],
        follow_ups=session.exec(
            select(func.count())
            .select_from(LeadNote)
            .where(col(LeadNote.follow_up_on).is_not(None), col(LeadNote.follow_up_on) <= now + timedelta(days=1))
        ).one(),
    )


def _events(session: Session, now: datetime, event_type: str | None, state: str) -> int:
    query = (
        select(func.count())
        .select_from(InstallEvent)
        .where(InstallEvent.received_at >= now - WEEK, InstallEvent.provisioning_state == state)
    )
    if event_type:
        query = query.where(InstallEvent.event_type == event_type)
    return session.exec(query).one()


def _due(session: Session, until: datetime) -> int:
    return sum(forecast.count_due_by(session=session, target=target, as_of=until) for target in TARGETS)
