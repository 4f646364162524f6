"""Everything around leads and installations: notes, support grants, holds, rights requests, tombstones, audit."""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Iterator
from datetime import timedelta

from bench.generator.common import BASE, Plan, Table, hexkey, ts
from bench.generator.people import ADMIN_EMAIL, FIRST_SALES_ID, SALES, SUPPORT, consent_story, person, requesters
from leads import demo
from leads.workspace.nurture import NOTE_KINDS

NOTED = 0.10  # leads with a nurture log
GRANTS, OPEN_GRANTS, HOLDS = 300, 100, 100
TOMBSTONES = {"install_notification": 0.06, "lead": 0.01}  # per lead: 3 years of earlier destruction
RULES = {
    "install_notification": "Install notification: privacy notice lines 70-85",
    "lead": "Marketplace lead: privacy notice lines 58-69",
}
PLAN_NAMES = sorted({name for name, _version in demo.PLANS})
SUPPORT_EMAILS = [f"support{n:02d}@radnac.example" for n in range(SUPPORT)]


def _notes(plan: Plan) -> Iterator[tuple[int, str, str, object, str]]:
    """(lead id, kind, body, at, author) for 10% of leads, 1-3 entries each; both notes and audit walk it."""
    rng, kinds = random.Random(plan.seed + 4), list(NOTE_KINDS)
    for lead_id in range(1, plan.leads + 1):
        if rng.random() >= NOTED and lead_id not in plan.requested:  # a requester's leads all have a history
            continue
        received, age_days = plan.received(lead_id), plan.ages[lead_id - 1] / 86400
        author = f"sales{rng.randrange(SALES):02d}@radnac.example"
        for _ in range(rng.randint(1, 3)):
            at = received + timedelta(days=rng.uniform(0, min(age_days, 60)))
            kind = rng.choice(kinds)
            yield lead_id, kind, f"{NOTE_KINDS[kind]}: discussed the RADNAC rollout and next steps.", at, author


FOLLOW_UP_DONE = 0.97  # of follow-ups whose time has passed; the rest are overdue


def notes(plan: Plan) -> Table:
    """The nurture log; one in ten entries carries a follow-up a week later: done (by its author, within two
    days) when that time has passed, except 3% left overdue; the last week's are still due. At a million
    leads each of the 20 sellers has ~1,000 done, ~30 overdue and a few due."""
    rng = random.Random(plan.seed + 13)

    def follow_up(lead_id: int, at: object, author: str) -> tuple:
        if lead_id % 10:
            return None, None, None
        on = at + timedelta(days=7)  # type: ignore[operator]
        if on < BASE and rng.random() < FOLLOW_UP_DONE:
            return ts(on), ts(min(on + timedelta(hours=rng.uniform(0, 48)), BASE)), author
        return ts(on), None, None

    rows = (
        (lead_id, kind, body, ts(at), author, *follow_up(lead_id, at, author))
        for lead_id, kind, body, at, author in _notes(plan)
    )
    columns = ("lead_id", "kind", "body", "at", "author", "follow_up_on", "follow_up_done_at", "follow_up_done_by")
    return Table("leadnote", columns, rows)


VIEWS_PER_LEAD = 3  # pages of a lead opened by staff (issue #18's access log): ~3N events beside the notes'


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


REQUEST_COLUMNS = (
    *("id", "kind", "requester_name", "requester_email", "channel", "details", "received_on"),
    *("identity_requested", "identity_verified", "status", "due_on", "extended", "created_by", "created_at"),
)


CONSENT_COLUMNS = (
    *("person_id", "lead_id", "purpose", "granted", "at", "method", "evidence", "wording_version"),
    *("recorded_by_user_id", "recorded_by", "created_at"),
)


def consents(plan: Plan) -> Table:
    """Marketing consent for a quarter of people, recorded on their first lead a day after it came (as the
    person's, covering all their leads); 15% of them withdrew it later (a second record, append-only). The
    story is `people.consent_story`'s, which `people.persons` stored each person's current state from."""

    def rows() -> Iterator[tuple]:
        for person_id, first, seller, given, gone in consent_story(plan):
            who = (FIRST_SALES_ID + seller, f"sales{seller:02d}@radnac.example")
            evidence = "Ticked the marketing box on the trial sign-up form"
            yield (person_id, first, "marketing", 1, ts(given), "web_form", evidence, WORDING, *who, ts(given))
            if gone is not None:
                withdrawn = ("email_reply", "Asked to stop", WORDING, *who, ts(gone))
                yield (person_id, first, "marketing", 0, ts(gone), *withdrawn)

    return Table("consentrecord", CONSENT_COLUMNS, rows())


WORDING = "Privacy notice, last updated 2025-10-08"
JOB_EVERY = {"sync": timedelta(minutes=5), "sweep": timedelta(hours=1), "grants": timedelta(hours=1)}
JOB_DAYS, JOB_FAILED = 30, 0.01


def jobruns(_plan: Plan) -> Table:
    """The last 30 days of the worker's runs (sync every 5 minutes, sweep and grants hourly): ~10,000 rows, 1%
    failed."""
    rng = random.Random(11)

    def rows() -> Iterator[tuple]:
        for job, every in JOB_EVERY.items():
            at = BASE - timedelta(days=JOB_DAYS)
            while at < BASE - every:
                failed = rng.random() < JOB_FAILED
                took = timedelta(seconds=rng.uniform(0.2, 20))
                counts = None if failed else f'{{"{"new" if job == "sync" else "destroyed"}": {rng.randrange(40)}}}'
                outcome, error = ("failed", "OperationalError") if failed else ("succeeded", None)
                yield (job, f"worker-1:{4000 + rng.randrange(99)}", ts(at), ts(at + took), outcome, counts, error, 0, 0)
                at += every

    columns = ("job", "holder", "started_at", "finished_at", "outcome", "counts", "error_class", "late")
    return Table("jobrun", (*columns, "most_late_seconds"), rows())


def plan_permissions(_plan: Plan) -> Table:
    """Each plan's permission model, as an admin sets it on /admin/plans (the installations filter reads it)."""
    at = ts(BASE - timedelta(days=400))
    rows = ((name, "publisher_managed" if "managed" in name else "locked", ADMIN_EMAIL, at) for name in PLAN_NAMES)
    return Table("planpermission", ("plan_name", "model", "updated_by", "updated_at"), iter(list(rows)))


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


def request_steps(plan: Plan) -> Table:
    """Each request's history: registered, identity checked, each lead confirmed (as `rights.history` records)."""
    at = BASE - timedelta(days=5)

    def rows() -> Iterator[tuple]:
        for request_id, ids in requesters(plan):
            yield request_id, "create", "2026-11-20", ts(at), ADMIN_EMAIL, None
            yield request_id, "identity.verified", "2026-11-20", ts(at + timedelta(hours=1)), ADMIN_EMAIL, None
            for n, _lead_id in enumerate(ids):
                yield (
                    request_id,
                    "lead.confirmed",
                    "2026-11-21",
                    ts(at + timedelta(days=1, minutes=n)),
                    ADMIN_EMAIL,
                    None,
                )

    return Table("requeststep", ("request_id", "step", "effective_on", "recorded_at", "actor", "detail"), rows())


def tombstones(plan: Plan) -> Table:
    """What earlier destruction left: installations (no source key) and erased leads (keyed hash)."""
    rng = random.Random(plan.seed + 6)
    rows = (
        (kind, hexkey(rng, 128), hexkey(rng) if kind == "lead" else None, RULES[kind], ts(at), "system:sweeper")
        for kind, share in TOMBSTONES.items()
        for at in (BASE - timedelta(days=rng.uniform(1, 900)) for _ in range(int(plan.leads * share)))
    )
    return Table("tombstone", ("kind", "opaque_id", "source_key_hash", "rule", "destroyed_at", "actor"), rows)
