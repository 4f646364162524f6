"""The retention schedule (privacy notice lines 57-105) as data, and the clock arithmetic around it.

Pure: no Flask, no database, no I/O, and no clock of its own — every function that depends on time takes
`now`. All datetimes must be timezone-aware; results are in UTC. The notice says records are kept for
"no more than" a period, so every rounding here errs EARLIER: a record may go a little early, never late.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from leads.rules.months import add_months

ACTIONS = ("destroy_record", "destroy_field", "lapse", "keep", "reduce_to_outline")


@dataclass(frozen=True)
class Period:
    """A calendar period: years and months move the date in the calendar, days are exact 24-hour days."""

    years: int = 0
    months: int = 0
    days: int = 0


@dataclass(frozen=True)
class Rule:
    """One row of the retention schedule, in words staff can read and with the notice lines it comes from."""

    kind: str
    label: str
    holds: str
    clock_starts: str
    period: Period | None  # None: kept indefinitely
    action: str
    notice_lines: str  # e.g. "58-69" or "93-97, 105"
    rule_text: str
    waiting: str = "clock not started"  # shown while the clock has not started

    @property
    def citation(self) -> str:
        """Where this rule comes from, e.g. "Privacy notice lines 58-69"."""
        return f"Privacy notice lines {self.notice_lines}"


SCHEDULE: dict[str, Rule] = {
    "lead": Rule(
        kind="lead",
        label="Marketplace lead",
        holds="name, email, country, company, job title and phone sent by Microsoft",
        clock_starts="when Microsoft created the lead (first sight if absent)",
        period=Period(years=3),
        action="destroy_record",
        notice_lines="58-69",
        rule_text="Lead data is retained for no more than three (3) years and is then automatically destroyed.",
    ),
    "install_notification": Rule(
        kind="install_notification",
        label="Install notification",
        holds="install time, subscription ID, resource group, application name, plan and version, install status",
        clock_starts="when the managed application was uninstalled (its first removal notice)",
        period=Period(days=90),
        action="destroy_record",
        notice_lines="70-85",
        rule_text="Install data is retained for no more than ninety (90) days after the application is uninstalled.",
        waiting="kept while installed",
    ),
    "support_grant": Rule(
        kind="support_grant",
        label="Support access grant",
        holds="the customer's written consent to publisher-managed access, and any data held under it",
        clock_starts="at the last communication with the customer (or when the support request closes, if sooner)",
        period=Period(days=10),
        action="lapse",
        notice_lines="86-92",
        rule_text=(
            "Access permission lapses when the support request is closed or ten (10) days after the last "
            "communication, whichever is sooner, and all data held under it is then destroyed immediately."
        ),
        waiting="no communication recorded yet",
    ),
    "correspondence": Rule(
        kind="correspondence",
        label="Correspondence",
        holds="emails and contact-form messages, with everything provided in them",
        clock_starts="never: correspondence has no retention clock",
        period=None,
        action="keep",
        notice_lines="93-97, 105",
        rule_text="Emails, including contact-form messages and their IP address, are retained indefinitely.",
    ),
    "rights_request": Rule(
        kind="rights_request",
        label="Data-protection request",
        holds="the requester's name and email, what they asked, the steps taken and the outcome",
        clock_starts="when the request was closed (completed or refused)",
        period=Period(years=3),
        action="reduce_to_outline",
        notice_lines="25-32",
        rule_text=(
            "Decision (RULES.md): the notice names no period; kept 3 years after closing, the longest it sets for "
            "comparable data (lines 58-69), then reduced to an outline (kind, dates, outcome) as proof of answering."
        ),
        waiting="open: kept while the request is answered",
    ),
    "ip_address": Rule(
        kind="ip_address",
        label="IP address",
        holds="an IP address captured with a request (e.g. a webhook caller); the record it belongs to stays",
        clock_starts="when the address was captured",
        period=Period(days=10),
        action="destroy_field",
        notice_lines="100-104",
        rule_text="IP addresses are automatically destroyed after no more than ten (10) days.",
    ),
}


def line_numbers(notice_lines: str) -> tuple[int, ...]:
    """Every line number a citation such as "93-97, 105" covers; ValueError if it is empty or malformed."""
    numbers: list[int] = []
    for part in notice_lines.split(","):
        first, _, last = part.strip().partition("-")
        if not first.isdigit() or not (last or first).isdigit():
            raise ValueError(f"malformed notice lines: {notice_lines!r}")
        low, high = int(first), int(last or first)
        if not 0 < low <= high:
            raise ValueError(f"malformed notice lines: {notice_lines!r}")
        numbers.extend(range(low, high + 1))
    return tuple(numbers)


def validate_schedule(schedule: Mapping[str, Rule]) -> None:
    """Raise ValueError if any row is inconsistent; a broken table must stop the app, not mis-destroy data."""
    for key, rule in schedule.items():
        problem = _rule_problem(key, rule)
        if problem:
            raise ValueError(f"retention rule {key!r}: {problem}")


def _rule_problem(key: str, rule: Rule) -> str | None:
    """What is wrong with one row, in words, or None."""
    if key != rule.kind:
        return f"filed under {key!r} but its kind is {rule.kind!r}"
    if rule.action not in ACTIONS:
        return f"unknown action {rule.action!r}"
    if not all((rule.label, rule.holds, rule.clock_starts, rule.rule_text, rule.waiting)):
        return "every wording field must be filled in"
    if rule.action == "keep" and rule.period is not None:
        return "a rule that keeps indefinitely cannot have a period"
    if rule.action != "keep":
        # Every destroy/lapse rule needs a period, support grants included: theirs is the silence limit.
        period = rule.period
        if period is None:
            return f"action {rule.action!r} needs a period"
        if min(period.years, period.months, period.days) < 0 or period == Period():
            return "the period must be positive"
    line_numbers(rule.notice_lines)
    return None


validate_schedule(SCHEDULE)


def _utc(moment: datetime, name: str = "datetime") -> datetime:
    """`moment` in UTC; ValueError if it is naive, since a naive time could be hours off."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC)


def add_period(start: datetime, period: Period) -> datetime:
    """`start` + `period`, calendar-correct, in UTC. Years and months first (clamped), then days.

    The arithmetic runs in UTC so the result never depends on a zone's daylight-saving rules.
    Raises ValueError for a naive `start`.
    """
    moved = add_months(_utc(start, "start"), period.years * 12 + period.months)
    return moved + timedelta(days=period.days)


def deadline(kind: str, start: datetime | None) -> datetime | None:
    """When a record of `kind` whose clock started at `start` must be gone (UTC).

    None when the clock has not started (`start` None, e.g. an installation still installed) or the kind is
    kept indefinitely. For "support_grant", `start` is the last communication (see `grant_lapse_at`).
    Unknown kind: KeyError.
    """
    rule = SCHEDULE[kind]
    if rule.period is None or start is None:
        return None
    return add_period(start, rule.period)


def latest_start(kind: str, due_by: datetime) -> datetime:
    """The latest clock start whose deadline is at or before `due_by`: a record of `kind` is due by then
    exactly when its start <= this (deadlines grow with their starts). Lets SQL filter "expires within".
    """
    period = SCHEDULE[kind].period
    if period is None:
        raise ValueError(f"{kind} is kept indefinitely")
    due_by = _utc(due_by, "due_by")
    guess = add_months(due_by - timedelta(days=period.days), -(period.years * 12 + period.months))
    # Month-end clamping makes several starts share a deadline, so search near the guess (deadlines never
    # decrease as starts increase) for the last microsecond that is still due.
    low, high = guess - timedelta(days=4), guess + timedelta(days=4)
    while high - low > timedelta(microseconds=1):
        middle = low + (high - low) / 2
        low, high = (middle, high) if add_period(middle, period) <= due_by else (low, middle)
    return low


def grant_lapse_at(*, last_communication_at: datetime, closed_at: datetime | None) -> datetime:
    """When a support access grant lapses: the earlier of the request's close and the silence limit (UTC)."""
    silence = deadline("support_grant", last_communication_at)
    assert silence is not None  # nosec B101 # type narrowing; validate_schedule raises at import
    if closed_at is None:
        return silence
    return min(silence, _utc(closed_at, "closed_at"))


def is_due(deadline: datetime | None, now: datetime) -> bool:
    """True from the deadline instant on: a record survives the instant before and goes AT the deadline."""
    now = _utc(now, "now")
    return deadline is not None and now >= _utc(deadline, "deadline")


_UNITS = ("year", "month", "day", "hour", "minute", "second")


def _whole_months(earlier: datetime, later: datetime) -> int:
    """How many whole calendar months fit between two UTC times (earlier <= later)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    # The guess overshoots by one when `later` falls before the same day/time in its month.
    return months - 1 if add_months(earlier, months) > later else months


def humanize(now: datetime, then: datetime) -> str:
    """The time between `now` and `then` in its two largest non-zero calendar units, e.g. "2 years 3 months".

    Symmetric (the caller says "left" or "ago"); truncated, never rounded up; under a second reads
    "less than a second". Raises ValueError for naive input.
    """
    earlier, later = sorted((_utc(now, "now"), _utc(then, "then")))
    months = _whole_months(earlier, later)
    rest = later - add_months(earlier, months)
    hours, seconds = divmod(rest.seconds, 3600)
    amounts = (months // 12, months % 12, rest.days, hours, seconds // 60, seconds % 60)
    parts = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in zip(amounts, _UNITS, strict=True) if n]
    return " ".join(parts[:2]) or "less than a second"


@dataclass(frozen=True)
class Countdown:
    """What a record's retention looks like at `now`, for display beside the record.

    `state` is "counting", "due" (deadline reached, awaiting the sweeper), "not_started", "indefinite" or
    "on_hold". `seconds_left` is rounded up, so it is positive while counting and <= 0 once due (negative:
    overdue); None when there is no deadline.
    """

    rule: Rule
    deadline: datetime | None
    state: str
    seconds_left: int | None
    text: str

    @property
    def citation(self) -> str:
        """The notice lines behind the rule, e.g. "Privacy notice lines 58-69"."""
        return self.rule.citation


def countdown(
    kind: str,
    start: datetime | None,
    *,
    now: datetime,
    on_hold: bool = False,
    deadline_at: datetime | None = None,
) -> Countdown:
    """The countdown for a record of `kind` whose clock started at `start`, seen at `now`.

    `deadline_at` replaces the computed deadline (a support grant's comes from `grant_lapse_at`); it is a
    ValueError for a kind kept indefinitely. A legal hold (`on_hold`) wins over every other state.
    """
    rule = SCHEDULE[kind]
    now = _utc(now, "now")
    if deadline_at is not None and rule.period is None:
        raise ValueError(f"{kind!r} is kept indefinitely and cannot have a deadline")
    due_at = _utc(deadline_at, "deadline_at") if deadline_at is not None else deadline(kind, start)
    left = None if due_at is None else math.ceil((due_at - now).total_seconds())
    state, text = _state_and_text(rule, due_at, now, on_hold)
    return Countdown(rule=rule, deadline=due_at, state=state, seconds_left=left, text=text)


def _state_and_text(rule: Rule, due_at: datetime | None, now: datetime, on_hold: bool) -> tuple[str, str]:
    """The countdown's state and its wording for staff."""
    if on_hold:
        return "on_hold", "on hold (legal hold)"
    if rule.period is None:
        return "indefinite", "kept indefinitely"
    if due_at is None:
        return "not_started", rule.waiting
    if is_due(due_at, now):
        return "due", "due for destruction now"
    return "counting", humanize(now, due_at)
