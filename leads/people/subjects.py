"""People (data subjects): filing leads under them (this module alone: no ORM listener does it), and staff
attaching or detaching a lead, with a reason.

Services are keyword-only, take the session first and commit, except the filing functions (`file_leads`,
`person_ids`, `follow_new_address`), which every save of a lead calls inside its own transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, insert, update
from sqlmodel import Session, col, func, select

from leads.models import ConsentRecord, Lead, Person, PersonLink, User, rows
from leads.people import consents
from leads.rules.people import normalise_email
from leads.staff import audit

MAX_REASON = 1000
FLAGS = ("processing_restricted", "objected", "erasure_pending")
STATES_SQL = {  # `marketing_states`, by whether the database is PostgreSQL: the people with a marketing state
    True: "SELECT id, marketing_consent FROM person WHERE id = ANY(%s::int[]) AND marketing_consent <> 'none'",
    False: "SELECT id, marketing_consent FROM person WHERE id IN (SELECT value FROM json_each(?))"
    " AND marketing_consent <> 'none'",
}


class PersonError(ValueError):
    """A change was refused; the message says why."""


def file_leads(*, session: Session, leads: Sequence[Lead]) -> None:
    """File each lead that has no person yet under the person its address normalises to (made if new, at the
    lead's first sighting; a new one for each lead without an address), so a withdrawal or restriction already
    recorded for that person covers it from its first moment. Call before the leads are first saved; the caller
    commits. One lead or a thousand: a few statements either way (`person_ids`)."""
    unfiled = [lead for lead in leads if lead.person_id is None]
    emails, seen_at = [lead.email for lead in unfiled], [lead.first_seen_at for lead in unfiled]
    ids = person_ids(session=session, emails=emails, seen_at=seen_at)
    for lead, person_id, state in zip(unfiled, ids, marketing_states(session=session, ids=ids), strict=True):
        lead.person_id, lead.marketing_consent = person_id, state


def marketing_states(*, session: Session, ids: Sequence[int]) -> list[str]:
    """Each person's marketing consent, in order: what a new lead filed under them carries as its copy
    (`Lead.marketing_consent`). Every insert of a lead takes it from here (`file_leads`, the sync's filing):
    SQLite has no trigger on inserting a lead (one made SQLite journal every insert and doubled the sync's
    storing time a page: migration 0030, bench/NOTES.md); PostgreSQL's trigger sets it as well. One
    statement, the ids as one parameter (as `_ids_by_key`); only the few people with a state are returned."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    connection = session.connection()
    postgresql = connection.dialect.name == "postgresql"
    parameter: object = wanted if postgresql else json.dumps(wanted)
    found = dict(rows.select(connection, STATES_SQL[postgresql], (parameter,)))
    return [found.get(person_id, "none") for person_id in ids]


def person_ids(*, session: Session, emails: Sequence[str | None], seen_at: Sequence[datetime]) -> list[int]:
    """The person of each address (normalised here), in order, made where there is none yet (a new one for each
    address that normalises to None), created at the matching `seen_at`: in a few statements however many. The
    sync files a page of new leads (rows, not ORM objects) with it; `file_leads` files ORM leads.

    Every statement is written once and handed to the driver with its values already converted (`rows`): the
    addresses as one parameter, the new people as one executemany. Compiling a thousand-item IN list or a
    thousand-row VALUES list every page, and converting each row's parameters, cost the sync more than running
    them."""
    keys = [normalise_email(email) for email in emails]
    first_seen: dict[str, datetime] = {}
    for key, seen in zip(keys, seen_at, strict=True):
        if key:
            first_seen.setdefault(key, seen)
    session.flush()  # the driver-level statements must see what this session has pending, as ORM queries would
    connection = session.connection()
    wanted = sorted(first_seen)  # inserted in key order: two concurrent syncs take the unique index in one order
    found = _ids_by_key(connection, wanted)
    missing = [key for key in wanted if key not in found]
    if missing:
        new = [{"email_key": key, "created_at": first_seen[key]} for key in missing]
        rows.insert_many(connection, Person.__table__, new, conflict_ignored=("email_key",))  # type: ignore[attr-defined]
        found |= _ids_by_key(connection, missing)
    fresh = iter(_new_without_address(connection, [seen for key, seen in zip(keys, seen_at, strict=True) if not key]))
    return [found[key] if key else next(fresh) for key in keys]


def _ids_by_key(connection: Connection, keys: list[str]) -> dict[str, int]:
    """The ids of the people with these email keys: one statement, the keys as one parameter (an array on
    PostgreSQL, a JSON list on SQLite), so its text never changes (planned afresh each time: `rows.select`)."""
    if not keys:
        return {}
    if connection.dialect.name == "postgresql":
        sql, keys_parameter = "SELECT email_key, id FROM person WHERE email_key = ANY(%s::text[])", keys
    else:
        sql = "SELECT email_key, id FROM person WHERE email_key IN (SELECT value FROM json_each(?))"
        keys_parameter = json.dumps(keys)  # type: ignore[assignment]
    return dict(rows.select(connection, sql, (keys_parameter,)))  # type: ignore[arg-type]


def _new_without_address(connection: Connection, seen_at: list[datetime]) -> list[int]:
    """A new person for each of `seen_at` (leads without an address), in order: one statement."""
    if not seen_at:
        return []
    people = Person.__table__  # type: ignore[attr-defined]
    made = insert(people).returning(people.c.id, sort_by_parameter_order=True)
    return list(connection.scalars(made, [{"email_key": None, "created_at": seen} for seen in seen_at]))


def follow_new_address(*, session: Session, lead: Lead) -> None:
    """Call when `lead`'s address has just changed (rectification, or Microsoft's correction). A lead never moves
    to another person by itself: its person's consent and restriction must not be left behind. If the person has
    no other lead and no one else has the new address, the person's key follows it; otherwise staff attach the
    lead where it belongs. The caller commits."""
    if lead.person_id is None:
        return
    people, leads = Person.__table__, Lead.__table__  # type: ignore[attr-defined]
    key = normalise_email(lead.email)
    others = select(leads.c.id).where(leads.c.person_id == lead.person_id, leads.c.id != lead.id).limit(1)
    taken = select(people.c.id).where(people.c.email_key == key, people.c.id != lead.person_id).limit(1)
    connection = session.connection()  # no autoflush: the lead's own pending change need not be written first
    if connection.execute(others).first() is None and (key is None or connection.execute(taken).first() is None):
        connection.execute(update(people).where(people.c.id == lead.person_id).values(email_key=key))


def _new(session: Session, email_key: str | None, now: datetime) -> Person:
    person = Person(email_key=email_key, created_at=now)
    session.add(person)
    session.flush()
    return person


def get(*, session: Session, person_id: int) -> Person | None:
    """The person with that id, or None."""
    return session.get(Person, person_id)


def for_email(*, session: Session, email: str | None) -> Person | None:
    """The person an address belongs to (normalised), or None."""
    key = normalise_email(email)
    return session.exec(select(Person).where(Person.email_key == key)).first() if key else None


def leads_of(*, session: Session, person_id: int) -> list[Lead]:
    """The person's leads, oldest first."""
    return list(session.exec(select(Lead).where(Lead.person_id == person_id).order_by(col(Lead.id))))


def attach(*, session: Session, lead: Lead, person: Person, reason: str, actor: User, now: datetime) -> PersonLink:
    """File `lead` under `person` (e.g. the same person writing from another address), with a reason; the lead
    stays there whatever its address says. The person becomes at least as protected as the one the lead came
    from (restriction, objection, pending erasure carry over). Audited by id. Commits."""
    if lead.person_id == person.id:
        raise PersonError("This lead already belongs to that person.")
    return _move(session, lead, person, "attach", reason, actor, now)


def detach(*, session: Session, lead: Lead, reason: str, actor: User, now: datetime) -> PersonLink:
    """Take `lead` away from its person to a person of its own (it was someone else), with a reason. The new
    person starts as protected as the old one: a withdrawal or restriction is never lost by a move. Commits."""
    if lead.person_id is None or len(leads_of(session=session, person_id=lead.person_id)) < 2:
        raise PersonError("This lead is its person's only lead: there is nothing to detach it from.")
    return _move(session, lead, _new(session, None, now), "detach", reason, actor, now)


def _move(session: Session, lead: Lead, to: Person, action: str, reason: str, actor: User, now: datetime) -> PersonLink:
    """File `lead` under `to` (pinned there), carrying its old person's flags and consent; audited. Commits."""
    reason = " ".join(reason.split())
    if not reason or len(reason) > MAX_REASON:
        raise PersonError(f"Say why (at most {MAX_REASON} characters): the reason is kept with the lead.")
    source = session.get(Person, lead.person_id) if lead.person_id else None
    if source is not None:
        _carry(session, source, to, action)
    lead.person_id, lead.person_pinned = to.id, True
    link = PersonLink(
        lead_id=lead.id, from_person_id=source.id if source else None, to_person_id=to.id,
        action=action, reason=reason, by=actor.email, at=now,
    )  # fmt: skip
    session.add_all([lead, to, link])
    session.flush()
    moved = {"link_id": link.id, "from_person_id": link.from_person_id, "to_person_id": to.id}
    audit.commit(session=session, at=now, actor=actor, action=f"person.{action}", on=("lead", lead.id), details=moved)
    return link


def _carry(session: Session, source: Person, to: Person, action: str) -> None:
    """What moves with a lead to its new person: the old person's flags (the more protective wins) and consent."""
    for flag in FLAGS:
        setattr(to, flag, getattr(to, flag) or getattr(source, flag))
    _carry_consent(session, source, to, withdrawals_only=action == "detach")


def _carry_consent(session: Session, source: Person, to: Person, *, withdrawals_only: bool) -> None:
    """Copy the source person's consent history to `to`, so a withdrawal made before the move still stands after.
    Attaching says "the same human": their grants come too. Detaching says "someone else": only withdrawals do,
    so nobody is marketed to on another person's consent."""
    query = select(ConsentRecord).where(ConsentRecord.person_id == source.id)
    if withdrawals_only:
        query = query.where(col(ConsentRecord.granted).is_(False))
    copies = [
        ConsentRecord(**row.model_dump(exclude={"id", "person_id"}), person_id=to.id) for row in session.exec(query)
    ]
    consents.append(session=session, records=copies)  # `to`'s current consent follows its new history


def links(*, session: Session, person_id: int) -> list[PersonLink]:
    """Staff's attach and detach decisions touching the person, newest first."""
    query = select(PersonLink).where((PersonLink.to_person_id == person_id) | (PersonLink.from_person_id == person_id))
    return list(session.exec(query.order_by(col(PersonLink.id).desc())))


def count(*, session: Session) -> int:
    """How many people there are."""
    return session.exec(select(func.count()).select_from(Person)).one()
