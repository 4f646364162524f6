"""Data protection rights: which apply to whom, when a request is due, and how it moves. Pure: no Flask, no database.

The privacy notice (`policy/privacy-notice.txt`, `nl -ba` numbering) is the law here: rights are
lines 25-31, the one-month answer line 32, and the lawful basis of each purpose lines 35-44. Changing the
notice should mean changing one row below. Deadlines follow UK GDPR Art. 12(3) and the ICO's right-of-access
guidance, with England and Wales bank holidays from the maintained `holidays` library.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

from leads.rules.months import add_months
from leads.rules.purposes import LAWFUL_BASES, PURPOSES
from leads.rules.purposes import Purpose as Purpose


@dataclass(frozen=True)
class Right:
    """A data protection right as the notice states it."""

    label: str
    line: int


RIGHTS: dict[str, Right] = {
    "access": Right("Right of access", 25),
    "rectification": Right("Right to rectification", 26),
    "erasure": Right("Right to erasure", 27),
    "restriction": Right("Right to restriction of processing", 28),
    "objection": Right("Right to object to processing", 29),
    "portability": Right("Right to data portability", 30),
    "withdraw_consent": Right("Right to withdraw consent", 31),
}

# The purposes and their bases are one table shared with the consent gate (purposes.py).
BASES = LAWFUL_BASES

# (right, basis) -> (the right to use instead, why; {line} is the basis line) where the basis leaves the right out.
# The app informs rather than refuses (RULES.md), so every exclusion names the right that serves the person instead.
_INSTEAD: dict[tuple[str, str], tuple[str, str]] = {
    ("portability", "legitimate_interests"): (
        "access",
        "Portability is not owed for data held on legitimate interests (line {line}), "
        "but the access export still covers this data (line 25).",
    ),
    ("withdraw_consent", "legitimate_interests"): (
        "objection",
        "There is no consent to withdraw: this data is held on legitimate interests, not consent (line 31). "
        "The person may object instead (line 29); all rights apply except portability (line {line}).",
    ),
    ("objection", "consent"): (
        "withdraw_consent",
        "The right to object does not apply to processing based on consent (line {line}); "
        "handle the objection as a withdrawal of consent, which is possible at any time.",
    ),
}


@dataclass(frozen=True)
class Advice:
    """Whether `right` applies to data held for `purpose`, the notice lines that say so, and any alternative.

    `notice_line` is "<right's line>, <purpose's lawful-basis line>", e.g. "30, 36". `instead` is the code
    of the right that serves the person when this one does not apply, else None.
    """

    right: str
    purpose: str
    applies: bool
    notice_line: str
    explanation: str
    instead: str | None


def _advice(right: str, purpose: str) -> Advice:
    """The advice for one right and one purpose; both codes must be known."""
    held = PURPOSES[purpose]
    lines = f"{RIGHTS[right].line}, {held.basis_line}"
    basis = BASES[held.basis].lower()
    if right not in held.excluded:
        why = f"{RIGHTS[right].label} applies to data held for this purpose on {basis} (line {held.basis_line})."
        return Advice(right, purpose, True, lines, why, None)
    instead, why = _INSTEAD[(right, held.basis)]
    return Advice(right, purpose, False, lines, why.format(line=held.basis_line), instead)


def _known(table: dict, code: str, what: str) -> str:
    """`code` if `table` has it; KeyError naming `what` otherwise."""
    if code not in table:
        raise KeyError(f"unknown {what}: {code!r}")
    return code


def rights_matrix(purposes: Iterable[str]) -> list[Advice]:
    """Advice for every right against every purpose given (duplicates once), purpose by purpose, rights in
    notice order. Raises KeyError for an unknown purpose."""
    wanted = dict.fromkeys(_known(PURPOSES, p, "purpose") for p in purposes)
    return [_advice(right, purpose) for purpose in wanted for right in RIGHTS]


def advise(right: str, purposes: Iterable[str]) -> list[Advice]:
    """The advice for one right against each purpose given. Raises KeyError for an unknown right or purpose."""
    _known(RIGHTS, right, "right")
    return [advice for advice in rights_matrix(purposes) if advice.right == right]


# --- The one-month deadline (RULES.md "One-month deadline"; notice line 32) ---


@dataclass(frozen=True)
class Pause:
    """A clarification stop: the clock stops on `start` (the day we ask) and restarts on `end` (the day the
    answer arrives). `end` is None while we are still waiting. Raises ValueError if it ends before it starts."""

    start: date
    end: date | None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError("a clarification pause cannot end before it starts")

    @property
    def days(self) -> int | None:
        """Days the clock was stopped (end - start), or None while still stopped."""
        return None if self.end is None else (self.end - self.start).days


@lru_cache(maxsize=32)
def _bank_holidays(year: int) -> frozenset[date]:
    """England and Wales bank holidays in `year`, substitute ("observed") days included."""
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def next_working_day(day: date) -> date:
    """`day` itself if it is Monday to Friday and not an England and Wales bank holiday, else the next such day."""
    while day.weekday() >= 5 or day in _bank_holidays(day.year):
        day += timedelta(days=1)
    return day


def due_date(
    *,
    received: date,
    identity_received: date | None = None,
    identity_requested: bool = False,
    pauses: Sequence[Pause] = (),
    extended: bool = False,
) -> date | None:
    """The day a request must be answered by, or None while the clock has not started or is stopped.

    The month runs from the day of receipt, which is day one, so it ends on the same date next month (ICO:
    received 25 November, due 25 December before the working-day rule). If we asked for identity, authority
    or a fee (`identity_requested`), it runs from the day that arrives instead, and None until it has.
    One month, or three from the same start when `extended`; then the days of every pause (assumed not to
    overlap) are added to that unadjusted date; then the result moves to the next working day. Only the days
    a pause stopped a running clock count: a clarification asked while the clock had not yet started (proof
    of identity awaited) adds only the days after the clock started.
    Raises ValueError if identity is said to arrive before the request.
    """
    start = _clock_start(received, identity_received, identity_requested)
    if start is None or any(pause.end is None for pause in pauses):
        return None
    stopped = sum(max(0, (pause.end - max(start, pause.start)).days) for pause in pauses if pause.end is not None)
    return next_working_day(add_months(start, 3 if extended else 1) + timedelta(days=stopped))


def _clock_start(received: date, identity_received: date | None, identity_requested: bool) -> date | None:
    """The day the month runs from: receipt, or the arrival of the identity we asked for (None until then)."""
    if identity_received is not None and identity_received < received:
        raise ValueError("identity cannot arrive before the request it belongs to")
    # Unrequested identity documents do not move the clock: only a wait we imposed stops it (Art. 12(6)).
    return identity_received if identity_requested else received


def extension_allowed(*, received_start: date, told_on: date, pauses: Sequence[Pause] = ()) -> bool:
    """Whether an extension is lawful: the person was told on or before the unextended due date.

    `received_start` is the day the clock started (receipt, or identity's arrival). While a pause is open the
    first month has not run out, so telling the person then is in time.
    """
    first_month = due_date(received=received_start, pauses=pauses)
    return first_month is None or told_on <= first_month


URGENCIES = {
    "overdue": "Overdue",
    "due_this_week": "Due within a week",
    "on_track": "On track",
    "clock_stopped": "Clock stopped",
}


def urgency(due: date | None, *, today: date) -> str:
    """The register's flag for a request due on `due` (a key of URGENCIES).

    "due_this_week" covers the seven days starting today (today to today + 6); None means "clock_stopped".
    """
    if due is None:
        return "clock_stopped"
    if due < today:
        return "overdue"
    return "due_this_week" if (due - today).days < 7 else "on_track"


# --- Requests: kinds and statuses ---

KINDS: dict[str, str] = {code: right.label for code, right in RIGHTS.items()}

STATUSES: dict[str, str] = {
    "received": "Received",
    "awaiting_identity": "Waiting for proof of identity",
    "awaiting_clarification": "Waiting for clarification (clock stopped)",
    "in_progress": "In progress",
    "extended": "Extended to three months",
    "completed": "Completed",
    "refused": "Refused",
}

TERMINAL = frozenset({"completed", "refused"})
# A refusal must say why; so must an extension, which the person is told about with reasons (RULES.md).
REASON_REQUIRED = frozenset({"refused", "extended"})

ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    "received": {"awaiting_identity", "awaiting_clarification", "in_progress", "extended", "completed", "refused"},
    "awaiting_identity": {"awaiting_clarification", "in_progress", "refused"},
    "awaiting_clarification": {"in_progress", "extended", "completed", "refused"},
    "in_progress": {"awaiting_clarification", "extended", "completed", "refused"},
    "extended": {"awaiting_clarification", "completed", "refused"},
    "completed": set(),
    "refused": set(),
}


def validate_transition(old: str, new: str, *, reason: str | None) -> None:
    """Return if a request may move from `old` to `new`; raise ValueError with a plain message if not."""
    for status in (old, new):
        if status not in STATUSES:
            raise ValueError(f"Unknown status: {status!r}.")
    if old in TERMINAL:
        raise ValueError(f"The request is already {STATUSES[old].lower()}; it cannot change.")
    if new not in ALLOWED_TRANSITIONS[old]:
        raise ValueError(f"A request cannot go from “{STATUSES[old]}” to “{STATUSES[new]}”.")
    if new in REASON_REQUIRED and not (reason and reason.strip()):
        raise ValueError(f"“{STATUSES[new]}” needs a reason, which the person will be told.")
