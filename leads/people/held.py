"""Everything held about a person, found by walking the personal-data map (`rules.datamap`), table by table.

No table is listed here: each is found the way the map says (by the person's id, through a parent's rows, by
the normalised address, through a child's rows, or a record reference), so a table added to the map is found
without touching this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, and_, false, or_, select
from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session, SQLModel

from leads.models import Person, QuarantinedEntity
from leads.rules import datamap
from leads.rules.people import emails_in, mentions, needles, normalise_email

Rows = dict[str, list[dict[str, Any]]]


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def _ready(find: datamap.Find, found: Rows) -> bool:
    if find.kind == "record":  # a (record_type, record_id) reference: to leads or installations
        return "lead" in found and "installation" in found
    return find.kind not in datamap.LINKED or find.table in found


def held(*, session: Session, person: Person, fresh: bool = False) -> Rows:
    """Every customer table's rows about `person` (all columns, as plain dicts), by table name, in the map's
    order; tables with nothing for them are present and empty. Raises RuntimeError if the map cannot be walked.

    `fresh`: `person` was read in this transaction and not changed since (a page that has just loaded them), so
    their own row is taken from it instead of being read again. A caller that may have deleted or changed the
    person (the sweeper, which walks the map again after destroying) leaves it False."""
    waiting = {name: h for name, h in datamap.MAP.items() if h.subject == "customer"}
    found: Rows = {}
    if fresh:
        own = [name for name, h in waiting.items() if [f.kind for f in h.finds] == ["self"]]
        for name in own:
            waiting.pop(name)
            found[name] = [_own_row(person)]
    while waiting:
        ready = [name for name, h in waiting.items() if all(_ready(f, found) for f in h.finds)]
        if not ready:
            raise RuntimeError(f"the data map cannot be walked from a person to: {sorted(waiting)}")
        for name in ready:
            found[name] = _rows(session, name, waiting.pop(name).finds, person, found)
    return {name: found[name] for name in datamap.MAP if name in found}


def _own_row(person: Person) -> dict[str, Any]:
    """The person's row as a read of their table returns it: every column, by name, as the ORM holds it."""
    mapper = sa_inspect(Person)
    return {attr.columns[0].name: getattr(person, attr.key) for attr in mapper.column_attrs}


def _rows(session: Session, name: str, finds: Iterable[datamap.Find], person: Person, found: Rows) -> list[dict]:
    table, rows, python_side = _table(name), {}, []
    conditions = []
    for find in finds:
        condition = _condition(table, find, person, found)
        if condition is None and find.kind == "email":
            python_side.append(find.column)
        elif condition is not None:
            conditions.append(condition)
    typed = [table.c[column].is_not(None) for column in python_side] if person.email_key else []
    if typed:  # addresses stored as typed (requests): every row with one, matched here normalised as the person's is
        # One statement for both ways, each row saying whether the conditions found it (`_found`).
        found_by_sql = (or_(*conditions) if conditions else false()).label("_found")
        for row in session.execute(select(table, found_by_sql).where(or_(*conditions, *typed))).mappings():
            if row["_found"] or any(normalise_email(row[column]) == person.email_key for column in python_side):
                rows[row["id"]] = {column.name: row[column.name] for column in table.c}
    elif conditions:
        for row in session.execute(select(table).where(or_(*conditions))).mappings():
            rows[row["id"]] = dict(row)
    return [rows[key] for key in sorted(rows)]


def _ids(rows: list[dict], column: str = "id") -> list[Any]:
    return sorted({row[column] for row in rows if row[column] is not None})


def _condition(table: Table, find: datamap.Find, person: Person, found: Rows) -> Any:
    """The SQL condition for one way of finding rows, or None (nothing to match, or matched in Python)."""
    if find.kind == "self":
        return table.c.id == person.id
    if find.kind == "own":
        return table.c[find.column] == person.id
    if find.kind == "parent":
        ids = _ids(found[find.table or ""])
        return table.c[find.column].in_(ids) if ids else None
    if find.kind == "child":
        ids = _ids(found[find.table or ""], find.column)
        return table.c.id.in_(ids) if ids else None
    if find.kind == "key":
        keys = sorted({(row["source_partition_key"], row["source_row_key"]) for row in found[find.table or ""]})
        pairs = [and_(table.c.partition_key == pk, table.c.row_key == rk) for pk, rk in keys]
        return or_(*pairs) if pairs else None
    if find.kind == "email":
        if find.column != "email_key":
            return None
        return table.c[find.column] == person.email_key if person.email_key else None
    parts = [
        and_(table.c.record_type == kind, table.c[find.column].in_(_ids(found[kind])))
        for kind in ("lead", "installation")
        if found.get(kind)
    ]
    return or_(*parts) if parts else None


def people_for(*, session: Session, lead_ids: Iterable[int], email: str | None) -> list[Person]:
    """The people behind these leads, or else the one an address belongs to (a request with no lead confirmed)."""
    ids = sorted(set(lead_ids))
    lead = _table("lead")
    person_ids = set(session.execute(select(lead.c.person_id).where(lead.c.id.in_(ids))).scalars()) if ids else set()
    key = normalise_email(email)
    if not person_ids and key:
        person_ids = set(
            session.execute(select(_table("person").c.id).where(_table("person").c.email_key == key)).scalars()
        )
    return [p for p in (session.get(Person, i) for i in sorted(i for i in person_ids if i)) if p is not None]


def addresses_in(entity: QuarantinedEntity) -> set[str]:
    """Every normalised address anywhere in a quarantined entity (its own and any it mentions)."""
    try:
        return set(emails_in(json.loads(entity.raw)))
    except ValueError:
        return set(emails_in(entity.raw))


def is_ambiguous(entity: QuarantinedEntity) -> bool:
    """Whether staff must say whose `entity` is: it mentions an address that is not its own customer address
    (or has none of its own and mentions one). Only its own address, the source keys of a person's leads or a
    confirmation by staff (`person_id`) make it someone's."""
    return bool(addresses_in(entity) - {entity.email_key})


def mentioning(*, session: Session, keys: Iterable[str]) -> list[QuarantinedEntity]:
    """The ambiguous quarantined entities that mention one of `keys` (normalised addresses), oldest first.

    Read in Python, a page at a time: an address can be anywhere in the entity, even inside a JSON string, and
    only normalised does it compare (the quarantine holds the few entities that could not be read)."""
    wanted, found = {key for key in keys if key}, []
    if not wanted:
        return []
    query = select(QuarantinedEntity).order_by(QuarantinedEntity.id).execution_options(yield_per=200)
    for entity in session.scalars(query):
        if is_ambiguous(entity) and addresses_in(entity) & wanted:
            found.append(entity)
    return found


def mentioned(*, session: Session, person: Person) -> Rows:
    """Staff's free text that names `person` (the map's `mentions` columns: a saved view called "Ada Lovelace
    search", a list named after her), by table: the rows whose text holds one of the person's addresses or full
    names (`rules.people.needles`), as the erasure finds them to clear."""
    lead = _table("lead")
    query = select(lead.c.email, lead.c.first_name, lead.c.last_name).where(lead.c.person_id == person.id)
    found = session.execute(query).all()
    wanted = needles(emails=[person.email_key, *(row[0] for row in found)], names=[row[1:3] for row in found])
    rows: Rows = {}
    for name, entry in datamap.MAP.items():
        if entry.mentions and wanted:
            table = _table(name)
            every = session.execute(select(table).order_by(table.c.id)).mappings()
            rows[name] = [dict(row) for row in every if any(mentions(row[c], wanted) for c in entry.mentions)]
    return rows
