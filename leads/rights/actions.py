"""Carrying out a rights request on the requester's confirmed leads: access and portability bundles,
rectification, erasure and restriction. Each is audited against the request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from leads.consent import records
from leads.models import (
    ExportDelivery,
    Lead,
    Person,
    RightsRequest,
    User,
)
from leads.people import held
from leads.retention import exportcache, holds, sweeper
from leads.rights import letters, rectification
from leads.rights.register import audit_request, linked_leads, state
from leads.rules import bundle, consent, datamap, purposes, requests, rights, schedule
from leads.rules.people import normalise_email

RECTIFIABLE = ("first_name", "last_name", "email", "phone", "country", "company", "job_title")


class ActionError(ValueError):
    """The right could not be carried out as asked; the message says why."""


def guard(*, session: Session, request: RightsRequest, action: str) -> None:
    """Refuse `action` (a key of requests.ACTIONS) unless the request is open, of a kind that right answers,
    its identity verified and it covers someone; ActionError says why. Every action below starts here."""
    reason = requests.action_refusal(action, state(session=session, request=request))
    if reason:
        raise ActionError(reason)


def _audit(session: Session, request: RightsRequest, actor: User, now: datetime, action: str, **details: Any) -> None:
    audit_request(session=session, request=request, actor=actor, now=now, action=action, details=details)


def purposes_held(*, session: Session, request: RightsRequest) -> list[str]:
    """The purposes the requester's data is held for: lead and install data for nurturing and support
    (legitimate interests), plus every consent-based purpose they have a consent history for."""
    leads = linked_leads(session=session, request=request)
    if not leads:
        return []
    found = records.histories(session=session, lead_ids=[lead.id for lead in leads])
    consented = {record.purpose for history in found.values() for record in history}
    return ["service", *sorted(consented)]


def advice(*, session: Session, request: RightsRequest) -> list[rights.Advice]:
    """Which of the requested right applies to the data held, citing the notice, and what applies instead."""
    held = purposes_held(session=session, request=request) or ["service"]
    return rights.advise(request.kind, held)


def sections(*, session: Session, request: RightsRequest) -> list[bundle.Section]:
    """Everything held about the requester, one section per table the personal-data map says holds customer
    data, with the Art. 15 supplementary information: purposes and bases, categories, source, recipients,
    retention (the rule, its notice line and this person's own dates) and the rights that apply."""
    leads = linked_leads(session=session, request=request)
    people = held.people_for(session=session, lead_ids=[lead.id for lead in leads], email=request.requester_email)
    found: dict[str, dict[int, dict[str, Any]]] = {}
    for person in people:
        for table, rows in held.held(session=session, person=person).items():
            found.setdefault(table, {}).update({row["id"]: row for row in rows})
    named: dict[str, dict[int, dict[str, Any]]] = {}
    for person in people:
        for table, rows in held.mentioned(session=session, person=person).items():
            named.setdefault(table, {}).update({row["id"]: row for row in rows})
    customer = [_map_section(session, name, list(found.get(name, {}).values())) for name in _customer_tables()]
    return customer + [_mention_section(name, list(named.get(name, {}).values())) for name in _mention_tables()]


def _mention_tables() -> list[str]:
    return [name for name, entry in datamap.MAP.items() if entry.mentions]


def _mention_section(name: str, rows: list[dict[str, Any]]) -> bundle.Section:
    """Names our staff gave (a saved view, a list) that name the person: theirs to see, not to take elsewhere."""
    entry = datamap.MAP[name]
    info = {
        "categories": datamap.CATEGORIES["correspondence"],
        "source": f"{datamap.SOURCES['ours']} (privacy notice lines {datamap.SOURCE_LINES})",
        "recipients": datamap.RECIPIENTS["none"],
        "retention": "Cleared when the last of your lead details is destroyed (lines 58-69).",
        "rights": _rights_text(("service",)),
        "erasure": f"On erasure: the name is cleared. {entry.why}",
    }
    fields = tuple(entry.mentions)
    # The letter's words for where it came from, who holds it and how long (cleared with the lead details).
    facts = {"source": "ours", "recipients": "none", "retention": "lead", "until": []}
    return bundle.Section(
        f"{name}_names", f"Names our staff gave that mention you: {entry.label.lower()}", "service", fields,
        [_plain_row(row, fields) for row in rows], portable_scope=False, info=info, facts=facts,
    )  # fmt: skip


def _customer_tables() -> list[str]:
    return [name for name, entry in datamap.MAP.items() if entry.subject == "customer"]


def _in_words(session: Session, entry: datamap.Held, row: dict[str, Any]) -> dict[str, Any]:
    """The fields the map names in words (a list's name, not its id), for one row."""
    named = {}
    for field, (column, table, shown) in entry.names.items():
        target = SQLModel.metadata.tables[table]
        found = session.execute(select(target.c[shown]).where(target.c.id == row.get(column))).scalar()
        named[field] = found
    return named


def _map_section(session: Session, name: str, rows: list[dict[str, Any]]) -> bundle.Section:
    entry = datamap.MAP[name]
    rule = schedule.SCHEDULE[entry.retention or "lead"]
    dates = [_until(rule.kind, row.get(datamap.CLOCKS.get(name, ""))) for row in rows] if name in datamap.CLOCKS else []
    info = {
        "categories": ", ".join(sorted({datamap.CATEGORIES[c] for c in entry.columns.values() if c and c != "staff"})),
        "source": f"{datamap.SOURCES[entry.source or 'direct']} (privacy notice lines {datamap.SOURCE_LINES})",
        "recipients": datamap.RECIPIENTS[entry.recipients],
        "retention": f"{rule.rule_text} ({rule.citation})" + (f" Yours: {'; '.join(dates)}." if dates else ""),
        "rights": _rights_text(entry.purposes),
        "erasure": f"On erasure: {datamap.ERASURE[entry.erasure]}. {entry.why}",
    }
    fields = entry.shown
    until = [_deadline(rule.kind, row.get(datamap.CLOCKS.get(name, ""))) for row in rows]
    facts = {"source": entry.source, "recipients": entry.recipients, "retention": rule.kind, "until": until}
    rows = [{**row, **_in_words(session, entry, row)} for row in rows]
    return bundle.Section(
        name, entry.label, entry.purposes[0], fields, [_plain_row(row, fields) for row in rows],
        purposes=entry.purposes, portable_scope=entry.portable, info=info, facts=facts,
    )  # fmt: skip


def _deadline(kind: str, start: Any) -> datetime | None:
    return schedule.deadline(kind, _aware(start)) if isinstance(start, datetime) else None


def _until(kind: str, start: Any) -> str:
    deadline = schedule.deadline(kind, start) if isinstance(start, datetime) else None
    return f"kept until {bundle.in_words(deadline.isoformat())}" if deadline else schedule.SCHEDULE[kind].waiting


def _rights_text(codes: tuple[str, ...]) -> str:
    applying = {advice.right for advice in rights.rights_matrix(codes) if advice.applies}
    return ", ".join(right.label for code, right in rights.RIGHTS.items() if code in applying) + " (lines 25-31)."


def _plain_row(row: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {field: _plain(_aware(row.get(field))) for field in fields}


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _aware(value: Any) -> Any:
    """SQLite hands core rows' timestamps back naive; they are UTC (db.UTCDateTime stores them so)."""
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) and value.tzinfo is None else value


def export(
    *, session: Session, request: RightsRequest, kind: str, actor: User, now: datetime, contact: str = ""
) -> Iterator[bytes]:
    """The person's access export or portability bundle, streamed; the download is audited first. `contact`:
    how the person writes to us, for the letter (`letters.render`)."""
    if kind not in bundle.KINDS:
        raise ActionError("Choose the access export or the portability bundle.")
    guard(session=session, request=request, action=f"export.{kind}")
    person = addressee(request)
    parts = sections(session=session, request=request)
    _audit(session, request, actor, now, f"export.{kind}", sections={s.name: len(s.rows) for s in parts})
    session.commit()
    page = letters.render(kind=kind, person=person, sections=parts, now=now, contact=contact)
    files = {"letter.html": page.encode()}
    if printed := letters.pdf(page):
        files["letter.pdf"] = printed
    return bundle.stream(kind=kind, person=person, sections=parts, generated_at=now, letter=files)


def letter(*, session: Session, request: RightsRequest, kind: str, now: datetime, contact: str = "") -> str:
    """The letter the person will read in the access export or portability bundle, for staff to preview."""
    if kind not in bundle.KINDS:
        raise ActionError("Choose the access export or the portability bundle.")
    guard(session=session, request=request, action=f"export.{kind}")
    parts = sections(session=session, request=request)
    return letters.render(kind=kind, person=addressee(request), sections=parts, now=now, contact=contact)


def addressee(request: RightsRequest) -> dict[str, Any]:
    """Whom the letter is to: the requester as registered."""
    return {"name": request.requester_name, "email": request.requester_email, "request_id": request.id}


def rectify(
    *,
    session: Session,
    request: RightsRequest,
    lead: Lead,
    changes: dict[str, str | None],
    actor: User,
    now: datetime,
    source: rectification.SourceTable | None = None,
) -> rectification.Result:
    """Correct the lead's fields, keeping what each was, when and by whom; queue the correction for the
    source table row (written now when `source` is given, else retried by the next sync). Commits."""
    guard(session=session, request=request, action="rectify")
    if lead.id not in {covered.id for covered in linked_leads(session=session, request=request)}:
        raise ActionError("Correct only a lead this request covers.")
    unknown = sorted(set(changes) - set(RECTIFIABLE))
    if unknown:
        raise ActionError(f"{', '.join(unknown)} cannot be rectified here.")
    return rectification.correct(
        session=session, request=request, lead=lead, changes=changes, actor=actor, now=now, source=source
    )


def erase(
    *,
    session: Session,
    request: RightsRequest,
    actor: User,
    now: datetime,
    tombstone_key: str,
    source: sweeper.SourceTable | None,
    export_cache: Path | None = None,
) -> sweeper.Report:
    """Destroy everything the personal-data map finds about the requester now (every lead of their person,
    installations, quarantined entities, consent, lists, emails, notes, grants). Only on an open, verified
    erasure request (`guard`). Refused while any of their leads or installations is on legal hold. The request
    itself is kept, as its retention row says; downloads prepared for the person in `export_cache` go too."""
    guard(session=session, request=request, action="erase")
    people = _people_of(session, request)
    found = [held.held(session=session, person=person) for person in people]
    _refuse_if_held(session, found)
    _audit(session, request, actor, now, "erasure.requested", people=[p.id for p in people])
    keys = {person.email_key for person in people if person.email_key}  # read before the people are deleted
    report = sweeper.Report(as_of=now, dry_run=False)
    for person in people:
        _add_up(report, sweeper.erase_person(
            session=session, person=person, now=now, actor=actor.email, tombstone_key=tombstone_key, source=source,
            request_id=request.id,
        ))  # fmt: skip
    if export_cache is not None:
        _erase_prepared_downloads(session, keys, export_cache, now, report)
    return report


def _erase_prepared_downloads(session: Session, keys: set[str], cache: Path, now: datetime, report: Any) -> None:
    """Destroy the downloads prepared for requests made from the people's addresses (RULES.md: destroyed means
    gone from any export cache). Commits."""
    waiting = session.exec(select(RightsRequest).join(ExportDelivery)).all()
    ids = [r.id for r in waiting if r.id is not None and normalise_email(r.requester_email) in keys]
    if ids and (gone := exportcache.destroy_for_requests(session=session, request_ids=ids, cache=cache, now=now)):
        report.destroyed["exportdelivery"] += gone
    session.commit()


def _refuse_if_held(session: Session, found: list[held.Rows]) -> None:
    """Refuse the erasure while a legal hold stands on any lead or installation found for the person."""
    for record_type, table in (("lead", "lead"), ("installation", "installation")):
        ids = [row["id"] for rows in found for row in rows[table]]
        if holds.active_holds(session=session, record_type=record_type, record_ids=ids):
            raise ActionError(
                "A legal hold keeps one of these records (e.g. for a claim): erasure is refused while it "
                "stands; tell the person why, or lift the hold first."
            )


def _add_up(report: sweeper.Report, done: sweeper.Report) -> None:
    """Add one person's erasure to the request's report."""
    report.destroyed.update(done.destroyed)
    report.source_deleted += done.source_deleted
    report.source_pending = done.source_pending  # what is still queued after this person's flush
    report.source_errors += done.source_errors


def erasure_preview(*, session: Session, request: RightsRequest) -> dict[str, int]:
    """What erasing the requester would destroy now, by kind of record (for the confirmation page): every
    record the personal-data map finds for their person that erasure destroys."""
    counts: dict[str, int] = {}
    for person in _people_of(session, request):
        for name, rows in held.held(session=session, person=person).items():
            if datamap.MAP[name].erasure == "destroy" and rows:
                counts[name] = counts.get(name, 0) + len(rows)
    order = ("lead", "installation", "quarantinedentity")
    return dict(sorted(counts.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))


def _people_of(session: Session, request: RightsRequest) -> list[Person]:
    """The people behind the requester's confirmed leads (usually one)."""
    leads = linked_leads(session=session, request=request)
    if not leads:
        raise ActionError("Confirm which leads are the requester's first.")
    ids = sorted({lead.person_id for lead in leads if lead.person_id is not None})
    return list(session.exec(select(Person).where(col(Person.id).in_(ids)).order_by(col(Person.id))))


def restrict(*, session: Session, request: RightsRequest, on: bool, actor: User, now: datetime) -> int:
    """Restrict (or lift the restriction on) processing for the requester: it is the person's, so it covers all
    their leads, and any that arrive later. Kept, but every nurture, linking and marketing action is refused
    until lifted (notice line 28). Returns how many people changed. Commits."""
    guard(session=session, request=request, action="restrict")
    people = _people_of(session, request)
    changed = [person for person in people if person.processing_restricted != on]
    for person in changed:
        person.processing_restricted = on
        session.add(person)
    _audit(session, request, actor, now, "restriction.on" if on else "restriction.off", people=[p.id for p in people])
    session.commit()
    return len(changed)


def withdraw_consent(*, session: Session, request: RightsRequest, actor: User, now: datetime) -> int:
    """Withdraw every consent purpose for the requester (withdrawal, line 31; an objection to consent-based
    processing is handled the same way, and an objection also stops what rests on legitimate interests, line
    29), whatever is granted at the moment: the withdrawal is a fact about the person, dated when they expressed
    it (the request's receipt, `consent.withdrawal_moment`), so no consent given before it can ever override it,
    even one recorded later (RULES.md). Recorded once per person and purpose, so it covers all their leads, and
    carrying the request out again adds nothing. Returns how many withdrawals were recorded. Commits."""
    guard(session=session, request=request, action="withdraw")
    people = _people_of(session, request)
    found = records.person_histories(session=session, person_ids=[p.id for p in people])
    at = consent.withdrawal_moment(request.received_on, now=now)
    withdrawn = 0
    for person in people:
        for purpose in _not_yet_withdrawn(found[person.id], at):  # type: ignore[index]
            given = records.ConsentInput(
                purpose=purpose,
                granted=False,
                method="other",
                evidence=f"Rights request #{request.id} ({request.kind}), received {request.received_on.isoformat()}",
                wording_version="rights request",
                at=at,
            )
            records.record_for_person(session=session, person=person, given=given, actor=actor, now=now)
            withdrawn += 1
        if request.kind == "objection":
            person.objected = True
            session.add(person)
    _audit(session, request, actor, now, "consent.withdrawn", withdrawals=withdrawn)
    session.commit()
    return withdrawn


def _not_yet_withdrawn(history: list[Any], at: datetime) -> list[str]:
    """Every consent purpose, but those already withdrawn at or after `at` (this request carried out before)."""
    events = [records.event(record) for record in history]
    return [p for p in purposes.CONSENT_PURPOSES if consent.overriding_withdrawal(events, p, at=at) is None]
