"""Everything around leads and installations: notes, support grants, holds, rights requests, tombstones, audit."""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Iterator
from datetime import timedelta

from bench.generator.common import BASE, Plan, Table, hexkey, ts
from bench.generator.people import ADMIN_EMAIL, FIRST_SALES_ID, SALES, SUPPORT, person
from leads.crm.nurture import NOTE_KINDS

NOTED = 0.10  # leads with a nurture log
GRANTS, OPEN_GRANTS, HOLDS, REQUESTS = 300, 100, 100, 50
TOMBSTONES = {"install_notification": 0.06, "lead": 0.01}  # per lead: 3 years of earlier destruction
RULES = {
    "install_notification": "Install notification: privacy notice lines 70-85",
    "lead": "Marketplace lead: privacy notice lines 58-69",
}
SUPPORT_EMAILS = [f"support{n:02d}@radnac.example" for n in range(SUPPORT)]


def _notes(plan: Plan) -> Iterator[tuple[int, str, str, object, str]]:
    """(lead id, kind, body, at, author) for 10% of leads, 1-3 entries each; both notes and audit walk it."""
    rng, kinds = random.Random(plan.seed + 4), list(NOTE_KINDS)
    for lead_id in range(1, plan.leads + 1):
        if rng.random() >= NOTED:
            continue
        received, age_days = plan.received(lead_id), plan.ages[lead_id - 1] / 86400
        author = f"sales{rng.randrange(SALES):02d}@radnac.example"
        for _ in range(rng.randint(1, 3)):
            at = received + timedelta(days=rng.uniform(0, min(age_days, 60)))
            kind = rng.choice(kinds)
            yield lead_id, kind, f"{NOTE_KINDS[kind]}: discussed the RADNAC rollout and next steps.", at, author


def notes(plan: Plan) -> Table:
    """The nurture log; one in ten entries carries a follow-up date."""
    rows = (
        (lead_id, kind, body, ts(at), author, ts(at + timedelta(days=7)) if lead_id % 10 == 0 else None)
        for lead_id, kind, body, at, author in _notes(plan)
    )
    return Table("leadnote", ("lead_id", "kind", "body", "at", "author", "follow_up_on"), rows)


VIEWS_PER_LEAD = 2  # pages of a lead opened by staff (issue #18's access log): ~2N events beside the notes'


def audit(plan: Plan) -> Table:
    """One audit event per note added, as nurture.add_note writes it, and VIEWS_PER_LEAD views of each lead's
    page (the access log), so the audit page is timed at millions of events."""
    notes = (
        (ts(at), FIRST_SALES_ID + int(author[5:7]), author, "lead.note.add", "lead", str(lead_id), f'{{"kind": "{k}"}}')
        for lead_id, k, _body, at, author in _notes(plan)
    )
    return Table(
        "auditevent",
        ("at", "actor_user_id", "actor", "action", "record_type", "record_id", "details"),
        itertools.chain(notes, _views(plan)),
    )


def _views(plan: Plan) -> Iterator[tuple]:
    rng = random.Random(plan.seed + 11)
    for lead_id in range(1, plan.leads + 1):
        received, age_days = plan.received(lead_id), plan.ages[lead_id - 1] / 86400
        for _ in range(VIEWS_PER_LEAD):
            seller = rng.randrange(SALES)
            at = received + timedelta(days=rng.uniform(0, min(age_days, 90)))
            yield (
                ts(at),
                FIRST_SALES_ID + seller,
                f"sales{seller:02d}@radnac.example",
                "record.viewed",
                "lead",
                str(lead_id),
                None,
            )


GRANT_COLUMNS = (
    *("id", "installation_id", "support_request_ref", "consent_given_by", "consent_given_at", "consent_evidence"),
    *("consent_evidence_sha256", "opened_by", "opened_at", "last_communication_at", "communications", "closed_at"),
    *("lapsed_at", "lapse_reason", "data_destroyed_at", "data_items_destroyed"),
)


def _grants(plan: Plan) -> Iterator[tuple[int, int, bool, object, object]]:
    """(grant id, installation id, open, opened at, last communication at)."""
    rng = random.Random(plan.seed + 5)
    chosen = rng.sample(plan.grantable, min(GRANTS, len(plan.grantable)))
    for grant_id, installation_id in enumerate(chosen, start=1):
        is_open = grant_id <= OPEN_GRANTS
        opened = BASE - timedelta(days=rng.uniform(0.5, 9.5) if is_open else rng.uniform(12, 700))
        last = opened + timedelta(days=rng.uniform(0, 9.4) if not is_open else rng.uniform(0, (BASE - opened).days))
        yield grant_id, installation_id, is_open, opened, min(last, BASE - timedelta(hours=1))


def grants(plan: Plan) -> Table:
    """Open grants keep consent evidence; lapsed ones are the non-personal outline that remains."""
    return Table("supportgrant", GRANT_COLUMNS, (_grant(*item) for item in _grants(plan)))


def _grant(grant_id: int, installation_id: int, is_open: bool, opened: object, last: object) -> tuple:
    evidence = f"Email from the customer's IT lead: 'You may access our RADNAC deployment for SR-{grant_id}.'"
    lapsed = last + timedelta(days=10)  # type: ignore[operator]
    return (
        *(grant_id, installation_id, f"SR-{10000 + grant_id}", "IT lead" if is_open else None),
        *(
            ts(opened - timedelta(hours=1)),
            evidence if is_open else None,
            hashlib.sha256(evidence.encode()).hexdigest(),
        ),
        *(SUPPORT_EMAILS[grant_id % SUPPORT], ts(opened), ts(last), 3, None),
        *((None, None, None, 0) if is_open else (ts(lapsed), "10 days without communication", ts(lapsed), 4)),
    )


def communications(plan: Plan) -> Table:
    """Messages under open grants (lapsed grants' messages are destroyed)."""
    rows = (
        (grant_id, ts(last - timedelta(hours=6 * n)), "in" if n % 2 else "out", "Customer sent logs", SUPPORT_EMAILS[0])
        for grant_id, _i, is_open, _opened, last in _grants(plan)
        if is_open
        for n in range(3)
    )
    return Table("grantcommunication", ("grant_id", "at", "direction", "summary", "recorded_by"), rows)


def grant_data(plan: Plan) -> Table:
    """What is held under open grants."""
    rows = (
        (grant_id, "file", "radnac-server.log (2.1 MB)", ts(last), SUPPORT_EMAILS[0])
        for grant_id, _i, is_open, _opened, last in _grants(plan)
        if is_open
    )
    return Table("grantdata", ("grant_id", "kind", "description", "recorded_at", "recorded_by"), rows)


def holds(plan: Plan) -> Table:
    """Active legal holds on leads spread over the whole table."""
    step = max(1, plan.leads // HOLDS)
    rows = (
        ("lead", lead_id, "Claim in progress", ADMIN_EMAIL, ts(BASE - timedelta(days=3)))
        for lead_id in range(step // 2 + 1, plan.leads + 1, step)
    )
    return Table("legalhold", ("record_type", "record_id", "reason", "placed_by", "placed_at"), rows)


def requesters(plan: Plan) -> list[tuple[int, list[int]]]:
    """(request id, lead ids) for the rights requests: the returning people with the most leads."""
    people = sorted(plan.returning.items(), key=lambda item: (-len(item[1]), item[0]))
    chosen = [(first, [first, *later]) for first, later in people if person(first)][:REQUESTS]
    return [(n, ids) for n, (_first, ids) in enumerate(chosen, start=1)]


REQUEST_COLUMNS = (
    *("id", "kind", "requester_name", "requester_email", "channel", "details", "received_on"),
    *("identity_requested", "identity_verified", "status", "due_on", "extended", "created_by", "created_at"),
)


def requests(plan: Plan) -> Table:
    """Portability requests in progress, identity verified."""
    received, due = "2026-11-20", "2026-12-20"  # dates as text, which both databases read
    rows = []
    for request_id, ids in requesters(plan):
        first, last, email, *_ = person(ids[0])  # type: ignore[misc]
        rows.append(
            (
                *(request_id, "portability", f"{first} {last}", email, "email", "Please send my data", received),
                # identity verified without asking for proof: proof asked for and never received would keep
                # the request waiting, and every right refused on it (issue #16)
                *(0, 1, "in_progress", due, 0, ADMIN_EMAIL, ts(BASE - timedelta(days=5))),
            )
        )
    return Table("rightsrequest", REQUEST_COLUMNS, iter(rows))


def request_leads(plan: Plan) -> Table:
    """Each request's confirmed leads."""
    at = ts(BASE - timedelta(days=4))
    rows = ((request_id, lead_id, ADMIN_EMAIL, at) for request_id, ids in requesters(plan) for lead_id in ids)
    return Table("requestlead", ("request_id", "lead_id", "confirmed_by", "confirmed_at"), rows)


def tombstones(plan: Plan) -> Table:
    """What earlier destruction left: installations (no source key) and erased leads (keyed hash)."""
    rng = random.Random(plan.seed + 6)
    rows = (
        (kind, hexkey(rng, 128), hexkey(rng) if kind == "lead" else None, RULES[kind], ts(at), "system:sweeper")
        for kind, share in TOMBSTONES.items()
        for at in (BASE - timedelta(days=rng.uniform(1, 900)) for _ in range(int(plan.leads * share)))
    )
    return Table("tombstone", ("kind", "opaque_id", "source_key_hash", "rule", "destroyed_at", "actor"), rows)
