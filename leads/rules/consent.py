"""The consent gate: what each action on a lead is for, what the person agreed to, and whether it may go ahead.

Pure: no Flask, no database, standard library only; the clock is always an argument. Line numbers cite the
privacy notice (`policy/privacy-notice.txt`, `nl -ba` numbering). Lead data may be used for marketing only
with the person's consent (line 67); nurturing and support rest on legitimate interests and need none (lines 66,
36-37). Every action goes through `check`, and `check` knows only the actions in `ACTIONS`, so a new action
cannot skip the rules: it has to be registered, and the registry is checked when this module is imported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# One vocabulary of purposes and bases, shared with the rights matrix and the data map (purposes.py).
from leads.rules.purposes import CONSENT as CONSENT
from leads.rules.purposes import LAWFUL_BASES as LAWFUL_BASES
from leads.rules.purposes import PURPOSES, Purpose

LONDON = ZoneInfo("Europe/London")

# How the person told us, as (code, plain label) pairs: usable as form choices as they stand.
METHODS: tuple[tuple[str, str], ...] = (
    ("email_reply", "Replied by email"),
    ("phone_call", "Said so on a phone call"),
    ("web_form", "Ticked a box on a web form"),
    ("signed_form", "Signed a form"),
    ("in_person", "Said so in person"),
    ("other", "Other (see the evidence)"),
    ("unsubscribe_link", "Used the unsubscribe link in our email"),
)
METHOD_LABELS = dict(METHODS)


def _require_aware(moment: datetime, name: str) -> None:
    """Raise ValueError for a naive datetime: comparing one with an aware time would be wrong or crash later."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")


@dataclass(frozen=True)
class ConsentEvent:
    """One grant or withdrawal of consent for one purpose, with how we know. History is never edited, only added to.

    Raises ValueError for a naive `at`, an unknown method, or a purpose that does not rest on consent.
    """

    id: int | None
    purpose: str
    granted: bool
    at: datetime
    method: str
    evidence: str
    wording_version: str
    recorded_by: str
    superseded: bool = False  # corrected as entered in error: kept in the history, never counted

    def __post_init__(self) -> None:
        _require_aware(self.at, "at")
        if self.purpose not in PURPOSES or not PURPOSES[self.purpose].needs_consent:
            # Consent to a purpose held on legitimate interests would mean nothing, and withdrawing it even less.
            raise ValueError(f"{self.purpose!r} is not a purpose that rests on consent")
        if self.method not in METHOD_LABELS:
            raise ValueError(f"unknown consent method {self.method!r}")


def _order(event: ConsentEvent) -> tuple[datetime, bool, bool, int]:
    # The person's choices in the order they expressed them (`at`), whatever order staff recorded them in. At the
    # same moment a withdrawal wins, whatever was recorded last: wrongly assuming consent is the mistake that
    # hurts someone (RULES.md: no consent expressed before a withdrawal can override it). Then by id.
    return (event.at, not event.granted, event.id is None, event.id or 0)


def latest_event(events: Iterable[ConsentEvent], purpose: str, *, now: datetime) -> ConsentEvent | None:
    """The person's latest choice (grant or withdrawal) for `purpose` as it stood at `now`; None if they made none.

    Events dated after `now` are ignored. Raises KeyError for an unknown purpose, ValueError for a naive `now`.
    """
    _require_aware(now, "now")
    PURPOSES[purpose]  # a mistyped purpose must fail loudly, not read as "no consent"
    relevant = [event for event in events if event.purpose == purpose and event.at <= now and not event.superseded]
    return max(relevant, key=_order, default=None)


def overriding_withdrawal(events: Iterable[ConsentEvent], purpose: str, *, at: datetime) -> ConsentEvent | None:
    """The latest withdrawal of `purpose` expressed at or after `at`, if any: a grant the person expressed at `at`
    cannot override it, so recording one is refused (RULES.md). Raises ValueError for a naive `at`."""
    _require_aware(at, "at")
    later = [
        event
        for event in events
        if event.purpose == purpose and not event.granted and event.at >= at and not event.superseded
    ]
    return max(later, key=_order, default=None)


def grant_refusal(events: Iterable[ConsentEvent], purpose: str, *, at: datetime) -> str | None:
    """Why a grant of `purpose` expressed at `at` may not be recorded, or None: the person withdrew (or objected)
    on or after that moment, and a withdrawal is never overridden by a consent given before it."""
    withdrawal = overriding_withdrawal(events, purpose, at=at)
    if withdrawal is None:
        return None
    return (
        f"{purpose.capitalize()} consent was withdrawn on {_day(withdrawal.at)}, after the consent you are "
        "recording was given: a consent given before a withdrawal can never override it (privacy notice line 31)."
        " Record it only if the person gave it again after that date."
    )


MAX_CORRECTION_REASON = 1000  # why a record was entered in error: as long as any other reason staff give


def correction_refusal(
    events: Iterable[ConsentEvent], wrong: ConsentEvent, replacement: ConsentEvent | None, *, now: datetime
) -> str | None:
    """Why `wrong` (a record of `events`) may not be superseded by `replacement` (None: by nothing) at `now`, or None.

    Correcting must never let marketing reach someone who did not consent (privacy notice lines 31 and 67):
    - a record already corrected is not corrected again (correct its replacement instead);
    - a withdrawal is only ever corrected into another withdrawal of the same purpose (a wrong date, method or
      evidence): never into nothing or into a grant, since a withdrawal wrongly kept only stops marketing;
    - afterwards, no purpose may stand granted that did not before, unless what it relies on is the replacement
      itself, a grant with its own evidence (and a grant is refused as any grant is, `grant_refusal`).
    Raises ValueError for a naive `now`.
    """
    _require_aware(now, "now")
    events = list(events)
    if wrong.superseded:
        return "This record was already corrected: correct the record that replaced it instead."
    if not wrong.granted and (replacement is None or replacement.granted or replacement.purpose != wrong.purpose):
        return (
            "A withdrawal cannot be corrected away or into consent: the person may withdraw at any time (privacy "
            "notice line 31), and a withdrawal wrongly kept only stops marketing. Correct it only into another "
            f"withdrawal of {wrong.purpose} (a different date, method or evidence). If the person has since "
            "given consent again, record that as a new entry."
        )
    kept = [event for event in events if event.id != wrong.id]
    after = [*kept, replace(wrong, superseded=True), *([replacement] if replacement else [])]
    for purpose in sorted({wrong.purpose, *([replacement.purpose] if replacement else [])}):
        before_now = current_consent(events, purpose, now=now)
        after_now = current_consent(after, purpose, now=now)
        if after_now is not None and before_now is None and after_now is not replacement:
            return (
                f"This correction would make {purpose} consent count again from an earlier record, when the "
                "person's latest choice was not consent (privacy notice line 67). Record their consent as a new "
                "entry, with its evidence, if they gave it."
            )
    if replacement is not None and replacement.granted:
        return grant_refusal(kept, replacement.purpose, at=replacement.at)
    return None


def withdrawal_moment(received_on: date, *, now: datetime) -> datetime:
    """When a withdrawal or objection made by request was expressed: the day the request was received (UK), read
    as late in that day as has passed by `now`. A day has no hour, and reading it late means nothing the person
    said on or before the day they asked us to stop can outrank it. Raises ValueError for a naive `now`."""
    _require_aware(now, "now")
    end = datetime.combine(received_on + timedelta(days=1), time(0), tzinfo=LONDON).astimezone(UTC)
    return min(end - timedelta(microseconds=1), now)


def current_consent(events: Iterable[ConsentEvent], purpose: str, *, now: datetime) -> ConsentEvent | None:
    """The grant in force for `purpose` at `now`, or None if there was never one or the latest choice withdrew it."""
    latest = latest_event(events, purpose, now=now)
    return latest if latest is not None and latest.granted else None


@dataclass(frozen=True)
class Action:
    """Something staff or the app can do with a lead.

    `marketing` actions need consent for `purpose`; `processing` actions use the person's data, so a restriction
    stops them; `contacts` actions reach out to the person, so a Do Not Contact flag or a test lead stops them.
    """

    code: str
    label: str
    marketing: bool
    purpose: str | None
    processing: bool = True
    contacts: bool = False


ACTIONS: dict[str, Action] = {
    action.code: action
    for action in (
        Action("marketing_list.add", "Add the lead to a marketing list", True, "marketing"),
        # Checked again for each person at the moment of export: consent may have been withdrawn since they joined.
        Action("marketing_list.export", "Export a marketing list as CSV", True, "marketing"),
        Action("marketing_email.mark_sent", "Record that a marketing email was sent", True, "marketing", contacts=True),
        # Decided for each person at the moment the worker sends: a withdrawal since the list was built counts.
        Action("marketing_email.send", "Send a marketing email", True, "marketing", contacts=True),
        Action("lead.note.add", "Add a note to the lead", False, "service"),
        Action("lead.status.change", "Change the lead's status", False, "service"),
        Action("lead.owner.change", "Change who owns the lead", False, "service"),
        # Nurturing and support (line 66): no consent needed, but it is contact, and DNC leads must not be contacted.
        Action("lead.follow_up", "Follow up the lead (nurturing or support)", False, "service", contacts=True),
        # Confirming an installation is the lead's combines their data: processing, so a restriction stops it.
        Action("installation.link", "Link an installation to the lead", False, "service"),
        # Recording a grant or withdrawal is how the person's choice is honoured; a restriction must not block it.
        Action("consent.record", "Record consent given or withdrawn", False, None, processing=False),
    )
}


def registry_problems(actions: Mapping[str, Action], purposes: Mapping[str, Purpose]) -> list[str]:
    """Every way `actions` breaks the rules, in plain words; an empty list means the registry is sound."""
    problems = []
    for code, action in actions.items():
        if code != action.code:
            problems.append(f"{code}: registered under a code that is not its own ({action.code})")
        if action.purpose is not None and action.purpose not in purposes:
            problems.append(f"{code}: unknown purpose {action.purpose!r}")
        elif action.marketing and (action.purpose is None or not purposes[action.purpose].needs_consent):
            problems.append(f"{code}: a marketing action must name a purpose that rests on consent (line 67)")
        if action.marketing and not action.processing:
            problems.append(f"{code}: marketing always uses personal data, so it is always processing")
    return problems


_PROBLEMS = registry_problems(ACTIONS, PURPOSES)
if _PROBLEMS:  # fail at import, before any request could be let through by a bad row
    raise RuntimeError("consent action registry is unsound: " + "; ".join(_PROBLEMS))


@dataclass(frozen=True)
class Subject:
    """What the gate needs to know about a lead: its consent history and the flags that stop actions."""

    consent_events: tuple[ConsentEvent, ...]
    restricted: bool = False
    under_erasure: bool = False
    do_not_contact: bool = False
    objected: bool = False  # the person objected to processing on legitimate interests (line 29)
    test_lead: bool = False
    undeliverable: bool = False  # the person's address bounced for good: no email can reach it

    def __post_init__(self) -> None:
        object.__setattr__(self, "consent_events", tuple(self.consent_events))  # a list would make it unhashable


def _day(moment: datetime) -> str:
    """A date as a salesperson writes it, in UTC: "2 March 2026"."""
    day = moment.astimezone(UTC)
    return f"{day.day} {day:%B %Y}"


@dataclass(frozen=True)
class Decision:
    """The gate's answer: allowed exactly when there are no reasons against; `relied_on` is the consent used."""

    allowed: bool
    action: Action
    reasons: tuple[str, ...]
    relied_on: ConsentEvent | None

    def __post_init__(self) -> None:
        if self.allowed == bool(self.reasons):
            raise ValueError("a decision is allowed exactly when it has no reasons against it")

    @property
    def reason_text(self) -> str:
        """The decision in plain words, ready to show to staff."""
        if self.reasons:
            return " ".join(self.reasons)
        if self.relied_on is not None:
            method = METHOD_LABELS[self.relied_on.method].lower()
            return f"Allowed: relies on {self.relied_on.purpose} consent given on {_day(self.relied_on.at)} ({method})."
        return "Allowed."


def _rights_reasons(action: Action, subject: Subject) -> list[str]:
    """Reasons from the person's rights requests, which stop marketing and nurturing alike."""
    reasons = []
    if subject.under_erasure:
        reasons.append(
            "This person has asked for their data to be erased, so nothing more may be done with it "
            "(privacy notice line 27)."
        )
    if subject.restricted and action.processing:
        reasons.append(
            "This person has asked us to restrict how we use their data: it may be kept but not used "
            "(privacy notice line 28)."
        )
    if subject.objected and action.processing:
        reasons.append(
            "This person has objected to how we use their data, so it may not be used for nurturing or "
            "marketing (privacy notice line 29)."
        )
    return reasons


def _consent_reasons(action: Action, subject: Subject, now: datetime) -> tuple[ConsentEvent | None, list[str]]:
    """The consent a marketing action relies on, or why there is none."""
    assert action.purpose is not None  # nosec B101 # type narrowing; the registry check at import raises
    latest = latest_event(subject.consent_events, action.purpose, now=now)
    if latest is None:
        return None, [
            f"There is no {action.purpose} consent on record, and using lead data for marketing needs the "
            "person's consent (privacy notice line 67)."
        ]
    if not latest.granted:
        return None, [
            f"{action.purpose.capitalize()} consent was withdrawn on {_day(latest.at)}, and a withdrawal takes "
            "effect at once (privacy notice line 31)."
        ]
    return latest, []


def _contact_reasons(action: Action, subject: Subject) -> list[str]:
    """Reasons from where the lead came from, which stop marketing and any contact, and an address that bounced,
    which stops marketing email."""
    reasons = []
    if subject.undeliverable and action.marketing and action.contacts:
        reasons.append(
            "Their email address was refused for good by their mail server (a hard bounce): no email reaches it."
        )
    if subject.do_not_contact:
        reasons.append(
            "Microsoft marked this lead Do Not Contact (DNC): the customer asked another partner, not us, "
            "so they must not be contacted."
        )
    if subject.test_lead:
        reasons.append("This is a Microsoft test lead (MSFT_TEST_), not a real person, so there is no one to contact.")
    return reasons


def check(action_code: str, subject: Subject, *, now: datetime) -> Decision:
    """Whether `action_code` may be done for `subject` at `now`, with every reason against it, not just the first.

    Raises KeyError for an action not in `ACTIONS` (so none can bypass the registry), ValueError for a naive `now`.
    """
    action = ACTIONS[action_code]
    _require_aware(now, "now")
    reasons = _rights_reasons(action, subject)
    relied_on = None
    if action.marketing:
        relied_on, missing = _consent_reasons(action, subject, now)
        reasons += missing
    if action.marketing or action.contacts:
        reasons += _contact_reasons(action, subject)
    allowed = not reasons
    return Decision(allowed, action, tuple(reasons), relied_on if allowed else None)
