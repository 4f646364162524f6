"""Consent as stored: each lead's append-only consent history, its current state, and the gate every action passes.

Lead data may be used for marketing only with the person's recorded consent (privacy notice line 67). `gate()` is
the one door to every action in `consent.ACTIONS`: it builds each lead's `consent.Subject` from the lead and its
`ConsentRecord` history, asks the pure `consent.check()`, audits the answer (a refusal with its reasons, an allowed
action with the consent record it relied on) and only then runs the action. Services are keyword-only, take the
session first, and commit; `gate()` leaves the commit to the service that calls it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from leads.models import CONSENT_COLUMNS, ConsentRecord, Lead, Person, User
from leads.people import consents
from leads.rules import consent, purposes
from leads.rules.vocabulary import MAX_EVIDENCE
from leads.staff import audit

CONSENT_PURPOSES = purposes.CONSENT_PURPOSES

Actor = User | str
# An action's body: runs only when the gate allows; returns what it changed (for the audit), None if nothing to do.
Act = Callable[[Lead, ConsentRecord | None], dict[str, Any] | None]


class ConsentError(ValueError):
    """A request refused before the gate was asked; the message is safe to show to staff."""


@dataclass(frozen=True)
class Outcome:
    """The gate's decision for one lead, and whether the action then changed anything."""

    lead: Lead
    decision: consent.Decision
    changed: bool


@dataclass
class Result:
    """What a gated action did to many leads: done, allowed but nothing to do, refused (with why), not found."""

    about: str = ""  # what the action was on, for the answer (e.g. the list's name)
    done: list[Lead] = field(default_factory=list)
    unchanged: list[Lead] = field(default_factory=list)
    refused: list[tuple[Lead, str]] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)

    def add(self, outcomes: Iterable[Outcome], missing: Iterable[int] = ()) -> None:
        """Count each outcome under done, unchanged or refused, and note ids that matched no lead."""
        for outcome in outcomes:
            if not outcome.decision.allowed:
                self.refused.append((outcome.lead, outcome.decision.reason_text))
            else:
                (self.done if outcome.changed else self.unchanged).append(outcome.lead)
        self.missing.extend(missing)


def label(actor: Actor) -> str:
    """Who did it, as the records and the audit trail name them."""
    return actor.email if isinstance(actor, User) else actor


def user_id(actor: Actor) -> int | None:
    """The acting user's id, or None for a system job."""
    return actor.id if isinstance(actor, User) else None


# --- the gate ------------------------------------------------------------------------------------------------


event = consents.event  # a stored record as the pure rules read it


def _subject(lead: Lead, person: Person | None, history: Sequence[ConsentRecord]) -> consent.Subject:
    """What the pure gate needs to know about `lead`: its person's consent history and rights flags (they cover
    every lead of the person), and the lead's own Microsoft flags."""
    return consent.Subject(
        tuple(event(record) for record in history),
        restricted=bool(person and person.processing_restricted),
        under_erasure=bool(person and person.erasure_pending),
        objected=bool(person and person.objected),
        do_not_contact=lead.is_dnc,
        test_lead=lead.is_test,
        undeliverable=bool(person and person.undeliverable_at),
    )


def person_histories(*, session: Session, person_ids: Iterable[int | None]) -> dict[int, list[ConsentRecord]]:
    """Each person's consent records in the order they were recorded, in one query."""
    ids = sorted({person_id for person_id in person_ids if person_id is not None})
    found: dict[int, list[ConsentRecord]] = {person_id: [] for person_id in ids}
    if ids:
        query = select(ConsentRecord).where(col(ConsentRecord.person_id).in_(ids)).order_by(col(ConsentRecord.id))
        for record in session.exec(query):
            found[record.person_id].append(record)
    return found


def histories(*, session: Session, lead_ids: Sequence[int]) -> dict[int, list[ConsentRecord]]:
    """Each lead's consent history, which is its person's: a choice recorded on any lead of the person (or on the
    person's page) is in every one of their leads' histories. One query (callers send a page or a chunk)."""
    found: dict[int, list[ConsentRecord]] = {lead_id: [] for lead_id in lead_ids}
    if lead_ids:
        query = (
            select(Lead.id, ConsentRecord)
            .join(ConsentRecord, col(ConsentRecord.person_id) == col(Lead.person_id))
            .where(col(Lead.id).in_(lead_ids))
            .order_by(col(ConsentRecord.id))
        )
        for lead_id, record in session.exec(query):
            found[lead_id].append(record)  # type: ignore[index]
    return found


def _people(session: Session, leads: Sequence[Lead]) -> dict[int, Person]:
    ids = sorted({lead.person_id for lead in leads if lead.person_id is not None})
    return {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(ids)))} if ids else {}  # type: ignore[misc]


def subjects(*, session: Session, leads: Sequence[Lead]) -> dict[int, tuple[consent.Subject, list[ConsentRecord]]]:
    """Each lead's `consent.Subject` (by lead id) and the history behind it: two queries however many leads."""
    people = _people(session, leads)
    found = person_histories(session=session, person_ids=people)
    result = {}
    for lead in leads:
        history = found.get(lead.person_id, []) if lead.person_id is not None else []
        result[lead.id or 0] = (_subject(lead, people.get(lead.person_id or 0), history), history)
    return result


def gate(
    *,
    session: Session,
    action_code: str,
    leads: Sequence[Lead],
    actor: Actor,
    now: datetime,
    act: Act,
    details: dict[str, Any] | None = None,
) -> list[Outcome]:
    """The one door to every action in `consent.ACTIONS`: decide each lead with `consent.check` at `now`, audit the
    decision, and run `act(lead, relied_on)` only where it is allowed (`relied_on`: the consent record a marketing
    action relies on, else None). Adds to `session`; the caller commits, so each audit lands with what it proves.
    """
    found = subjects(session=session, leads=leads)
    outcomes = []
    for lead in leads:
        subject, history = found[lead.id or 0]
        decision = consent.check(action_code, subject, now=now)
        relied_on = next((r for r in history if decision.relied_on and r.id == decision.relied_on.id), None)
        changes = act(lead, relied_on) if decision.allowed else None
        _audit(session, action_code, lead, decision, changes, actor, now, {**(details or {})})
        outcomes.append(Outcome(lead, decision, changes is not None))
    return outcomes


def _audit(
    session: Session,
    action_code: str,
    lead: Lead,
    decision: consent.Decision,
    changes: dict[str, Any] | None,
    actor: Actor,
    now: datetime,
    details: dict[str, Any],
) -> None:
    if decision.allowed:
        relied_on = decision.relied_on.id if decision.relied_on is not None else None
        details.update(changes or {}, changed=changes is not None, consent_record_id=relied_on)
    else:
        details["reasons"] = list(decision.reasons)
    action = action_code if decision.allowed else f"{action_code}.refused"
    audit.record(
        session=session, at=now, actor=actor, action=action, record_type="lead", record_id=lead.id, details=details
    )


def preview(*, session: Session, leads: Sequence[Lead], action_code: str, now: datetime) -> dict[int, consent.Decision]:
    """What the gate would decide for each lead at `now`, for display only: nothing is done or audited."""
    found = subjects(session=session, leads=leads)
    return {lead_id: consent.check(action_code, subject, now=now) for lead_id, (subject, _) in found.items()}


def decide(
    *, lead: Lead, person: Person | None, history: Sequence[ConsentRecord], action_code: str, now: datetime
) -> consent.Decision:
    """What the gate would decide for `lead` at `now`, given its person and that person's consent history in the
    order recorded (as `person_histories` reads it), for display only: `preview` for a page that has read both
    already. No statement."""
    return consent.check(action_code, _subject(lead, person, history), now=now)


# --- recording consent ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentInput:
    """A grant or withdrawal as staff report it. `at` is when the person said so; None means now."""

    purpose: str
    granted: bool
    method: str
    evidence: str
    wording_version: str
    at: datetime | None = None


def record(*, session: Session, lead: Lead, given: ConsentInput, actor: Actor, now: datetime) -> Outcome:
    """Append a grant or withdrawal to the lead's consent history; nothing is ever overwritten. Commits.

    A grant goes through the gate (`consent.record`, refused while the person's data is being erased). A withdrawal
    is never refused: it only ever stops processing, and people may withdraw at any time (line 31).
    Raises ConsentError for a time in the future, or a purpose, method or text that does not make sense.
    """
    at = given.at or now
    _validate(given, at, now)
    _refuse_overridden(session, lead.person_id, given, at)
    append = _appender(session, given, at, actor, now)
    if given.granted:
        outcome = gate(session=session, action_code="consent.record", leads=[lead], actor=actor, now=now, act=append)[0]
    else:
        outcome = _withdraw(session, lead, append, actor, now)
    session.commit()
    return outcome


def _append(
    session: Session,
    person_id: int | None,
    lead_id: int | None,
    given: ConsentInput,
    at: datetime,
    actor: Actor,
    now: datetime,
) -> dict[str, Any]:
    """Add the person's consent record (`lead_id`: the lead it was recorded on, if any); what the audit says."""
    if person_id is None:
        raise ConsentError("This lead is not filed under a person yet, so consent cannot be recorded for it.")
    row = _row(person_id, lead_id, given, at, actor, now)
    consents.append(session=session, records=[row])  # the one writer: the person's current consent follows
    return {"recorded_consent_id": row.id, "purpose": given.purpose, "granted": given.granted}


def _row(
    person_id: int, lead_id: int | None, given: ConsentInput, at: datetime, actor: Actor, now: datetime
) -> ConsentRecord:
    """The consent record as kept: what was given, when and how, its proof and wording, who recorded it and when."""
    return ConsentRecord(
        person_id=person_id,
        lead_id=lead_id,
        purpose=given.purpose,
        granted=given.granted,
        at=at,
        method=given.method,
        evidence=given.evidence.strip(),
        wording_version=given.wording_version.strip(),
        recorded_by_user_id=user_id(actor),
        recorded_by=label(actor),
        created_at=now,
    )


def _appender(session: Session, given: ConsentInput, at: datetime, actor: Actor, now: datetime) -> Act:
    def append(lead: Lead, _relied_on: ConsentRecord | None) -> dict[str, Any]:
        return _append(session, lead.person_id, lead.id, given, at, actor, now)

    return append


def record_for_person(
    *, session: Session, person: Person, given: ConsentInput, actor: Actor, now: datetime
) -> consent.Decision:
    """Record a grant or withdrawal on the person's own page, for all their leads, under the same rules as
    `record` (a grant is refused while their data is being erased; a withdrawal never). Audited against the
    person. Commits. Raises ConsentError as `record` does."""
    at = given.at or now
    _validate(given, at, now)
    _refuse_overridden(session, person.id, given, at)
    decision = consent.Decision(True, consent.ACTIONS["consent.record"], (), None)
    if given.granted:
        history = person_histories(session=session, person_ids=[person.id])[person.id]  # type: ignore[index]
        subject = consent.Subject(
            tuple(event(r) for r in history),
            restricted=person.processing_restricted,
            under_erasure=person.erasure_pending,
            objected=person.objected,
        )
        decision = consent.check("consent.record", subject, now=now)
    details: dict[str, Any] = {"reasons": list(decision.reasons)}
    if decision.allowed:
        details = _append(session, person.id, None, given, at, actor, now)
    action = "consent.record" if decision.allowed else "consent.record.refused"
    audit.commit(session=session, at=now, actor=actor, action=action, on=("person", person.id), details=details)
    return decision


def _refuse_overridden(session: Session, person_id: int | None, given: ConsentInput, at: datetime) -> None:
    """Refuse a grant the person expressed before their latest withdrawal or objection of the purpose, however it
    is recorded: it can never override it (RULES.md), so it is not recorded as if it could."""
    if not given.granted or person_id is None:
        return
    history = person_histories(session=session, person_ids=[person_id])[person_id]
    reason = consent.grant_refusal([event(record) for record in history], given.purpose, at=at)
    if reason:
        raise ConsentError(reason)


def _withdraw(session: Session, lead: Lead, append: Act, actor: Actor, now: datetime) -> Outcome:
    """Record a withdrawal without asking the gate (see `record`), audited exactly as the gate would."""
    decision = consent.Decision(True, consent.ACTIONS["consent.record"], (), None)
    changes = append(lead, None)
    _audit(session, "consent.record", lead, decision, changes, actor, now, {})
    return Outcome(lead, decision, True)


def _validate(given: ConsentInput, at: datetime, now: datetime) -> None:
    if given.purpose not in CONSENT_PURPOSES:
        raise ConsentError(f"{given.purpose!r} is not a purpose that rests on consent.")
    if at > now:
        raise ConsentError("The time given is in the future: record consent when the person has given it.")
    if not given.evidence.strip() or len(given.evidence) > MAX_EVIDENCE:
        raise ConsentError(
            f"Say what the person said or signed, and where it is kept (at most {MAX_EVIDENCE} characters)."
        )
    if not given.wording_version.strip() or len(given.wording_version) > 200:
        raise ConsentError("Say which wording or notice version the person was shown (at most 200 characters).")
    try:
        consent.ConsentEvent(None, given.purpose, given.granted, at, given.method, given.evidence, "-", "-")
    except ValueError as error:
        raise ConsentError(str(error)) from error


# --- correcting a record entered in error ---------------------------------------------------------------------


def correct(
    *,
    session: Session,
    person: Person,
    record_id: int,
    reason: str,
    replacement: ConsentInput | None,
    actor: Actor,
    now: datetime,
    lead: Lead | None = None,
) -> ConsentRecord | None:
    """Supersede the person's consent record `record_id` as entered in error, because of `reason`, and record the
    right one (`replacement`) in the same transaction if given; the wrong one stays in the history, marked.
    `lead`: the lead's page it was done on (audited against it), else the person's page. Returns the replacement
    row. Commits. Raises LookupError for a record that is not the person's, ConsentError for a missing or long
    reason, a replacement that would not be recorded on its own, or a correction that could let marketing reach
    someone who did not consent (`consent.correction_refusal`)."""
    wrong = session.get(ConsentRecord, record_id)
    if wrong is None or wrong.person_id != person.id:
        raise LookupError(record_id)
    reason = reason.strip()
    if not reason or len(reason) > consent.MAX_CORRECTION_REASON:
        raise ConsentError(
            f"Say why the record is wrong (at most {consent.MAX_CORRECTION_REASON} characters): it is kept with it."
        )
    row = None
    if replacement is not None:
        at = replacement.at or now
        _validate(replacement, at, now)
        if replacement.granted:  # a grant is refused as any grant is (while erasure is pending)
            subject = consent.Subject((), under_erasure=person.erasure_pending)
            decision = consent.check("consent.record", subject, now=now)
            if not decision.allowed:
                raise ConsentError(f"Not corrected. {decision.reason_text}")
        row = _row(person.id, lead.id if lead else None, replacement, at, actor, now)  # type: ignore[arg-type]
    history = person_histories(session=session, person_ids=[person.id])[person.id]  # type: ignore[index]
    events = [event(record) for record in history]
    refusal = consent.correction_refusal(events, event(wrong), event(row) if row else None, now=now)
    if refusal:
        raise ConsentError(refusal)
    consents.supersede(session=session, record=wrong, reason=reason, by=label(actor), now=now, replacement=row)
    details = {"corrected_consent_id": wrong.id, "purpose": wrong.purpose, "granted": wrong.granted}
    if row is not None:
        details.update(recorded_consent_id=row.id, replacement_purpose=row.purpose, replacement_granted=row.granted)
    on = ("lead", lead.id) if lead is not None else ("person", person.id)
    audit.commit(session=session, at=now, actor=actor, action="consent.correct", on=on, details=details)
    return row


# --- current state -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentState:
    """A purpose's consent as it stands: "granted", "withdrawn" or "none", and since when."""

    state: str
    since: datetime | None = None

    @property
    def label(self) -> str:
        return {"granted": "Granted", "withdrawn": "Withdrawn", "none": "None recorded"}[self.state]


def _state(history: Sequence[ConsentRecord], purpose: str, now: datetime) -> ConsentState:
    latest = consent.latest_event([event(record) for record in history], purpose, now=now)
    if latest is None:
        return ConsentState("none")
    return ConsentState("granted" if latest.granted else "withdrawn", latest.at)


def states(
    *, session: Session, lead_ids: Sequence[int], now: datetime, purpose: str = "marketing"
) -> dict[int, ConsentState]:
    """The current `purpose` consent of many leads (a page of the list) in one query."""
    found = histories(session=session, lead_ids=lead_ids)
    return {lead_id: _state(history, purpose, now) for lead_id, history in found.items()}


_STORED = {name: ConsentState(name) for name in ("granted", "withdrawn", "none")}


def current_states_query(*, lead_ids: Any, purpose: str = "marketing", also: Sequence[Any] = ()) -> Any:
    """The current `purpose` consent of many leads (a page of the list) as one statement: each lead's id and its
    person's stored state (a lead with no person has none), then the columns in `also` (the list reads its
    holds in the same statement). Read from the person (`leads.people.consents` keeps it equal to `states` over
    the whole history; tests/people/test_consents.py holds the two equal), so no `since`: the list shows the
    state alone. The gate never reads this. `lead_ids`: the ids, or an expanding bind parameter for them."""
    stored = getattr(Person, CONSENT_COLUMNS[purpose])
    return (
        select(Lead.id, stored, *also)
        .join(Person, col(Person.id) == col(Lead.person_id), isouter=True)
        .where(col(Lead.id).in_(lead_ids))
    )


def stored_state(stored: str | None) -> ConsentState:
    """A state as `current_states_query` read it: without `since`, which only the records know."""
    return _STORED[stored or "none"]


@dataclass(frozen=True)
class Panel:
    """A lead's consent as its page shows it: the state of each consent purpose, and the history newest first."""

    states: dict[str, ConsentState]
    history: list[ConsentRecord]


def panel(*, session: Session, lead_id: int, now: datetime) -> Panel:
    """The consent panel of one lead: its person's consent, which covers all their leads."""
    return _panel(histories(session=session, lead_ids=[lead_id])[lead_id], now)


def person_panel(*, session: Session, person_id: int, now: datetime) -> Panel:
    """The consent panel of a person's page."""
    return _panel(person_histories(session=session, person_ids=[person_id])[person_id], now)


def lead_consent(
    *, session: Session, lead: Lead, person: Person | None, now: datetime, action_code: str
) -> tuple[Panel, consent.Decision]:
    """A lead's consent panel and what the gate would decide for `action_code` (`preview`), from one read of its
    person's history: the lead page shows both, and reading them apart read the history twice and the person
    again. `person`: the lead's person, already loaded by the caller (None for a lead without one)."""
    history = person_histories(session=session, person_ids=[person.id])[person.id] if person and person.id else []  # type: ignore[index]
    decision = decide(lead=lead, person=person, history=history, action_code=action_code, now=now)
    return _panel(history, now), decision


def person_consent(
    *,
    session: Session,
    person: Person,
    leads: Sequence[Lead],
    now: datetime,
    action_code: str,
    history: list[ConsentRecord] | None = None,
) -> tuple[Panel, dict[int, consent.Decision]]:
    """A person's consent panel and, for each of `leads`, what the gate would decide for `action_code` (`preview`),
    from one read of the person's history (`history`, when the caller has read it: every record of the person, in
    the order recorded). A lead filed under someone else is previewed with its own person, as `preview` would."""
    if history is None:
        history = person_histories(session=session, person_ids=[person.id])[person.id]  # type: ignore[index]
    theirs = [lead for lead in leads if lead.person_id == person.id]
    decisions = preview(session=session, leads=[lead for lead in leads if lead.person_id != person.id],
                        action_code=action_code, now=now) if len(theirs) < len(leads) else {}  # fmt: skip
    for lead in theirs:
        decisions[lead.id] = decide(lead=lead, person=person, history=history, action_code=action_code, now=now)  # type: ignore[index]
    return _panel(history, now), {lead.id: decisions[lead.id] for lead in leads}  # type: ignore[index]


def _panel(history: list[ConsentRecord], now: datetime) -> Panel:
    newest_first = sorted(history, key=lambda record: (record.at, record.id or 0), reverse=True)
    return Panel({purpose: _state(history, purpose, now) for purpose in CONSENT_PURPOSES}, newest_first)
