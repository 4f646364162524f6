"""UK time for people, UTC for storage: staff read and type times in Europe/London, with the zone stated."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def show(at: datetime | None, *, with_time: bool = True, seconds: bool = False) -> str:
    """An aware instant as UK staff read it: "02 Dec 2026 14:05 GMT" (BST in summer), to the second where the
    order of events matters (the audit trail, job runs); "—" for None."""
    if at is None:
        return "—"
    local = at.astimezone(LONDON)
    if not with_time:
        return local.strftime("%d %b %Y")
    return local.strftime("%d %b %Y %H:%M:%S %Z" if seconds else "%d %b %Y %H:%M %Z")


def today(now: datetime) -> date:
    """The UK calendar day `now` falls on."""
    return now.astimezone(LONDON).date()


def from_local(entered: datetime) -> datetime:
    """A time staff typed (naive, UK wall-clock time) as the aware UTC instant it means."""
    return entered.replace(tzinfo=LONDON).astimezone(UTC)


def for_input(at: datetime) -> datetime:
    """An aware instant as the naive UK wall-clock time a `datetime-local` input shows, to the minute."""
    return at.astimezone(LONDON).replace(tzinfo=None, second=0, microsecond=0)


def exists(entered: datetime) -> bool:
    """Whether a naive UK wall-clock time ever showed on a UK clock: not in the hour skipped when the clocks go
    forward (01:00-02:00 on the last Sunday of March). The hour repeated in October exists twice; `from_local`
    takes its first pass (BST)."""
    back = entered.replace(tzinfo=LONDON).astimezone(UTC).astimezone(LONDON)
    return back.replace(tzinfo=None) == entered
