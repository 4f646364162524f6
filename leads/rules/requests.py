"""How a rights request moves, as pure rules: the steps and actions its state allows, and the dates a step may
carry. Pure: no Flask, no database.

The register (`leads.rights.register`), the actions (`leads.rights.actions`) and the request page all ask
here, so the page offers exactly what the server accepts, and the server refuses with the same reason the
page would give. Statuses are not moved by hand: `open_status` derives an open request's status from what
is outstanding (proof of identity, a clarification), so every order of steps ends in a status with a due
date once nothing is outstanding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from leads.rules.rights import KINDS, STATUSES, TERMINAL


@dataclass(frozen=True)
class State:
    """What the rules need to know about one request."""

    kind: str
    status: str
    received_on: date
    identity_requested_on: date | None = None  # None: proof was never asked for
    identity_received_on: date | None = None
    identity_verified: bool = False
    open_question_since: date | None = None  # the day the open clarification was asked
    last_answer_on: date | None = None  # the day the last clarification was answered
    answered: int = 0  # clarifications answered
    extended: bool = False
    covered: int = 0  # how many records the request covers
    erased: bool = False  # an erasure was carried out on this request

    @property
    def closed(self) -> bool:
        return self.status in TERMINAL

    @property
    def identity_pending(self) -> bool:
        return self.identity_requested_on is not None and self.identity_received_on is None


def open_status(state: State) -> str:
    """The status of an open request, from what is outstanding: a question first (the clock is stopped), then
    proof of identity, then an extension; "in progress" once identity is verified or a question answered."""
    if state.open_question_since is not None:
        return "awaiting_clarification"
    if state.identity_pending:
        return "awaiting_identity"
    if state.extended:
        return "extended"
    return "in_progress" if state.identity_verified or state.answered else "received"


# Step codes (the request page's forms post to /rights/<id>/step/<code>) and how the history reads them.
STEPS: dict[str, str] = {
    "verify-identity": "Identity checked (no proof needed)",
    "ask-identity": "We asked for proof of identity (the clock waits for it)",
    "identity-received": "Proof of identity arrived and was checked (the month runs from this date)",
    "ask-clarification": "We asked what the request covers (stops the clock)",
    "clarified": "The person answered (restarts the clock)",
    "extend": "Extend by two months (told within the first month, with reasons)",
    "close": "Close the request",
}

# Every audited action on a request, as its history shows it (the audit action without "rights.").
HISTORY: dict[str, str] = {
    "create": "Request registered",
    "identity.verified": "Identity checked without asking for proof",
    "identity.emailed_code": "Identity verified by a one-time code emailed to the address",
    "identity.requested": "Proof of identity asked for",
    "identity.received": "Proof of identity arrived",
    "clarification.asked": "Clarification asked (clock stopped)",
    "clarification.answered": "Clarification answered (clock restarted)",
    "extend": "Extended to three months",
    "completed": "Completed",
    "refused": "Refused",
    "lead.confirmed": "Lead confirmed as the person's",
    "lead.override": "Lead linked by override",
    "lead.unlinked": "Lead unlinked",
    "quarantine.theirs": "Unreadable lead details confirmed as the person's",
    "quarantine.not_theirs": "Unreadable lead details found not to be the person's",
    "export.access": "Access export downloaded",
    "export.portability": "Portability bundle downloaded",
    "rectification": "Details corrected",
    "erasure.requested": "Erasure carried out",
    "restriction.on": "Processing restricted",
    "restriction.off": "Restriction lifted",
    "consent.withdrawn": "Consents withdrawn",
    "delivery.sent": "Download link emailed to the person (needs a code emailed to them)",
    "delivery.downloaded": "Downloaded by the person, with a code emailed to them",
    "delivery.not_emailed": "Download link not emailed (the mail server refused it): prepared export destroyed",
}


def _day(on: date) -> str:
    return on.strftime("%d %b %Y")


def date_refusal(on: date, *, state: State, today: date, after: date | None = None, answers: str = "") -> str | None:
    """Why `on` cannot be a step's date (None if it can): not before receipt, not after today, and not before
    `after`, the date of the step it answers (`answers` names that step)."""
    if on < state.received_on:
        return f"The date ({_day(on)}) is before the request was received ({_day(state.received_on)})."
    if on > today:
        return f"The date ({_day(on)}) is in the future: record a step on the day it happened, not before."
    if after is not None and on < after:
        return f"The date ({_day(on)}) is before {answers} ({_day(after)})."
    return None


def _identity_refusal(step: str, state: State) -> str | None:
    if step in ("verify-identity", "ask-identity") and state.identity_verified:
        return "Identity is already verified."
    if step in ("verify-identity", "ask-identity") and state.identity_pending:
        return "Proof of identity was already asked for: record when it arrived."
    if step == "identity-received" and not state.identity_pending:
        return "Proof of identity was not asked for, or has already arrived."
    return None


def _clock_refusal(step: str, state: State) -> str | None:
    if step == "ask-clarification" and state.open_question_since is not None:
        return f"A question asked on {_day(state.open_question_since)} is still open: record its answer first."
    if step == "clarified" and state.open_question_since is None:
        return "There is no open question to answer."
    if step == "extend" and state.extended:
        return "This request has already been extended; it can be extended only once."
    return None


def step_refusal(step: str, state: State) -> str | None:
    """Why `step` cannot be taken on a request in `state` (None if it can). Dates are checked separately."""
    if step not in STEPS:
        return f"Unknown step {step!r}."
    if state.closed:
        return f"The request is already {STATUSES[state.status].lower()}; it cannot change."
    return _identity_refusal(step, state) or _clock_refusal(step, state)


def steps_offered(state: State) -> list[str]:
    """The steps the request page offers, in the order staff usually take them."""
    return [step for step in STEPS if step_refusal(step, state) is None]


def step_date_refusal(step: str, on: date, *, state: State, today: date) -> str | None:
    """Why `on` cannot be the date of `step` on this request (None if it can)."""
    if step == "identity-received":
        return date_refusal(on, state=state, today=today, after=state.identity_requested_on, answers="proof was asked")
    if step == "clarified":
        return date_refusal(on, state=state, today=today, after=state.open_question_since, answers="it was asked")
    if step == "ask-clarification":
        answers = "the last question was answered"
        return date_refusal(on, state=state, today=today, after=state.last_answer_on, answers=answers)
    return date_refusal(on, state=state, today=today)


def step_sentence(step: str, *, status: str, due_on: date | None) -> str:
    """What a step did, as staff read it: the step, then the due date or why there is none."""
    said = f"Saved: {STEPS[step].split(' (')[0].lower()}."
    if status in TERMINAL:
        return f"{said} The request is {STATUSES[status].lower()}."
    if due_on is None:
        waiting = "the answer" if status == "awaiting_clarification" else "the proof of identity"
        return f"{said} The clock is stopped until {waiting} arrives: no due date yet."
    return f"{said} The request is due {due_on.strftime('%A %d %B %Y')}."


def completion_refusal(*, kind: str, remaining: int, held: int, exemption: str) -> str | None:
    """Why an erasure request cannot be recorded as completed (None if it can): something it covers still
    exists, and neither a legal hold nor a recorded exemption accounts for it."""
    if kind != "erasure" or remaining == 0 or exemption.strip():
        return None
    if held >= remaining:
        return None  # every record left is kept by a legal hold, which the completion records
    return (
        f"{remaining} record{'s' if remaining != 1 else ''} this erasure request covers still exist: erase "
        "them first, or record the exemption that keeps them (e.g. a legal claim, citing it)."
    )


@dataclass(frozen=True)
class Action:
    """Carrying a right out: its label and the kinds of request it answers."""

    label: str
    kinds: frozenset[str]


# Which request carries out which right. Where the notice says a right is answered by another (RULES.md:
# portability of legitimate-interests data by the access export, line 36; an objection to consent-based
# processing by a withdrawal, lines 40-44), that request may carry the other out too.
ACTIONS: dict[str, Action] = {
    "export.access": Action("Download the access export", frozenset({"access", "portability"})),
    "export.portability": Action("Download the portability bundle", frozenset({"portability"})),
    "rectify": Action("Correct their details", frozenset({"rectification"})),
    "erase": Action("Erase everything about this person", frozenset({"erasure"})),
    "restrict": Action("Restrict processing", frozenset({"restriction", "objection"})),
    "withdraw": Action("Withdraw their consents", frozenset({"withdraw_consent", "objection"})),
}


def action_refusal(action: str, state: State) -> str | None:
    """Why `action` cannot be carried out on this request (None if it can): only on an open request, of a
    kind that right answers, whose identity is verified, covering at least one record."""
    if action not in ACTIONS:
        return f"Unknown action {action!r}."
    if state.closed:
        return f"The request is {STATUSES[state.status].lower()}: a right is carried out only on an open request."
    if state.kind not in ACTIONS[action].kinds:
        answers = " or ".join(sorted(KINDS[k].lower() for k in ACTIONS[action].kinds))
        return (
            f"This is a request for {KINDS[state.kind].lower()}: “{ACTIONS[action].label}” answers only a request "
            f"for {answers}. Register that request if the person asked for it."
        )
    if not state.identity_verified:
        return "Verify the person's identity first: a right is carried out only for the person it belongs to."
    if state.covered == 0 and state.erased:
        return "Everything this request covered is erased: close it as completed, saying so."
    if state.covered == 0:
        return "Confirm which leads are the requester's first."
    return None


def actions_offered(state: State) -> list[str]:
    """The actions the request page offers."""
    return [action for action in ACTIONS if action_refusal(action, state) is None]


NOUNS = {
    "lead": ("lead", "leads"),
    "installation": ("installation", "installations"),
    "quarantinedentity": ("quarantined entity", "quarantined entities"),
}


def counted(counts: dict[str, int]) -> str:
    """ "1 lead and 2 installations" from {"lead": 1, "installation": 2} (kinds with none left out)."""
    parts = [f"{n} {NOUNS.get(kind, (kind, kind + 's'))[n != 1]}" for kind, n in counts.items() if n]
    if not parts:
        return "nothing"
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def erasure_sentence(*, destroyed: dict[str, int], source_deleted: int, source_pending: int) -> str:
    """The result of an erasure as staff read it."""
    said = f"Erased {counted({'lead': destroyed.get('lead', 0), **destroyed})}."
    if source_pending:
        rows = "The source table row is" if source_pending == 1 else f"{source_pending} source table rows are"
        return f"{said} {rows} queued for deletion and will be retried until Azure confirms it."
    if source_deleted:
        return f"{said} The source table row{'s are' if source_deleted != 1 else ' is'} deleted too."
    return said
