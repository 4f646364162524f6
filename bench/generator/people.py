"""Staff and leads: who they are, when they came, what they wanted."""

from __future__ import annotations

import random
import unicodedata
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

from werkzeug.security import generate_password_hash

from bench.generator.common import BASE, SPAN_SECONDS, Plan, Table, ts
from leads import demo
from leads.models import search_key
from leads.rules.people import normalise_email

ADMIN_EMAIL = "bench-admin@radnac.example"
PASSWORD = "bench passphrase for loopback only"  # noqa: S105 - a throwaway login on generated data
SALES, SUPPORT = 20, 6
FIRST_SALES_ID = 2  # user ids: 1 is the admin, then sales, then support
RETURNING, EDU, OWNED = 0.05, 0.01, 0.30
MOST_LEADS = 3  # a returning person has 2 or 3 leads
COUNTRY_WEIGHTS = {"United States": 30, "United Kingdom": 15, "Germany": 12, "India": 12, "France": 8}
STATUSES, STATUS_WEIGHTS = ["new", "contacted", "qualified", "customer", "lost"], [55, 20, 10, 8, 7]
ACTIONS, ACTION_WEIGHTS = [a for a, _ in demo.ACTIONS], [w for _, w in demo.ACTIONS]


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ø", "o"))
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum()) or "x"


COUNTRIES = [c for c in demo.PEOPLE for _ in range(COUNTRY_WEIGHTS.get(c, 4))]
ASCII = {name: _ascii(name) for firsts, lasts in demo.PEOPLE.values() for name in (*firsts, *lasts)}


def _mix(i: int) -> int:
    """A well-spread 64-bit hash of i (splitmix64): a person is a pure function of its lead number."""
    z = (i * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)


NO_DETAILS = (None, None, None, None, "University", None, None)  # what an .edu lead has instead of a person


def person(number: int) -> tuple | None:
    """(first, last, email, country, company, title, phone) of lead `number`, or None for an .edu lead."""
    h = _mix(number)
    if h % 10_000 < EDU * 10_000:
        return None
    h //= 10_000
    country = COUNTRIES[h % len(COUNTRIES)]
    firsts, lasts = demo.PEOPLE[country]
    first, last = firsts[(h >> 8) % len(firsts)], lasts[(h >> 16) % len(lasts)]
    company = demo.COMPANIES[(h >> 24) % len(demo.COMPANIES)]
    title = demo.TITLES[(h >> 32) % len(demo.TITLES)]
    phone = f"+44 20 7946 {(h >> 40) % 10000:04d}" if (h >> 54) & 1 else None
    email = f"{ASCII[first]}.{ASCII[last]}{number}@{(company or 'mail').split()[0].lower()}.example"
    return first, last, email, country, company, title, phone


REQUESTS = 50  # portability requests, from the returning people with the most leads


def requesters(plan: Plan) -> list[tuple[int, list[int]]]:
    """(request id, lead ids) for the rights requests: the returning people with the most leads."""
    people = sorted(plan.returning.items(), key=lambda item: (-len(item[1]), item[0]))
    chosen = [(first, [first, *later]) for first, later in people if person(first)][:REQUESTS]
    return [(n, ids) for n, (_first, ids) in enumerate(chosen, start=1)]


def staff_emails() -> list[tuple[str, str]]:
    """(email, role) of every member of staff, in id order."""
    staff = [(ADMIN_EMAIL, "admin")]
    staff += [(f"sales{n:02d}@radnac.example", "sales") for n in range(SALES)]
    return staff + [(f"support{n:02d}@radnac.example", "support") for n in range(SUPPORT)]


def users(_plan: Plan) -> Table:
    """One admin (the benchmarks log in as it), sales and support staff. All share one password hash."""
    digest = generate_password_hash(PASSWORD, method="scrypt")
    at = ts(BASE - timedelta(days=1100))
    rows = ((n, email, digest, role, 1, at) for n, (email, role) in enumerate(staff_emails(), start=1))
    return Table("user", ("id", "email", "password_hash", "role", "active", "created_at"), rows)


PERSON_COLUMNS = (
    *("id", "email_key", "processing_restricted", "objected", "erasure_pending", "created_at"),
    *("accounts_consent", "marketing_consent", "queries_consent"),  # as `leads.people.consents` keeps them
)
CONSENTED, WITHDRAWN = 0.25, 0.15  # people with a marketing consent; of those, who later withdrew it


def consent_story(plan: Plan) -> Iterator[tuple[int, int, int, datetime, datetime | None]]:
    """(person id, first lead id, recording seller, granted at, withdrawn at or None) of each person who gave
    marketing consent, the same on every pass: `persons` stores the state it leaves, `records.consents` the
    records."""
    rng = random.Random(plan.seed + 7)
    for person_id, first in enumerate(plan.first_leads, start=1):
        if rng.random() >= CONSENTED and first not in plan.requested:  # requesters all gave consent once
            continue
        seller = rng.randrange(SALES)
        given = min(plan.received(first) + timedelta(days=1), BASE - timedelta(hours=1))
        gone = given + (BASE - given) * rng.random() if rng.random() < WITHDRAWN else None
        yield person_id, first, seller, given, gone


def persons(plan: Plan) -> Table:
    """Every lead's arrival time and person, decided before any row is written (leads refer to people): 5% of
    leads are a returning person (same name and email as a lead within the last ~200,000, at most MOST_LEADS
    each). People are grouped as migration 0011 and `people.subjects` group them: one per normalised email,
    one of its own for a lead without one. Fills `plan.ages`, `plan.numbers`, `plan.person_of`,
    `plan.returning`, `plan.first_leads` and `plan.marketing` (which `leads` copies onto each lead)."""
    rng = random.Random(plan.seed)
    plan.ages = sorted((rng.random() * SPAN_SECONDS + 3600 for _ in range(plan.leads)), reverse=True)
    plan.returning, plan.numbers, plan.person_of, plan.first_leads = {}, [], [], []
    by_number: dict[int, int] = {}
    returner = random.Random(plan.seed + 12)
    for i in range(1, plan.leads + 1):
        number = i
        if i > 100 and returner.random() < RETURNING:
            earlier = i - returner.randint(1, min(200_000, i - 1))
            if earlier in by_number and len(plan.returning.get(earlier, ())) < MOST_LEADS - 1 and person(earlier):
                number = earlier
                plan.returning.setdefault(number, []).append(i)
        plan.numbers.append(number)
        if number not in by_number:
            by_number[number] = len(plan.first_leads) + 1
            plan.first_leads.append(i)
        plan.person_of.append(by_number[number])
    plan.requested = {lead_id for _request, ids in requesters(plan) for lead_id in ids}
    plan.marketing = {story[0]: "granted" if story[4] is None else "withdrawn" for story in consent_story(plan)}
    rows = (
        (
            person_id,
            normalise_email((person(plan.numbers[first - 1]) or (None,) * 3)[2]),
            0,
            0,
            0,
            ts(plan.received(first)),
            *("none", plan.marketing.get(person_id, "none"), "none"),
        )
        for person_id, first in enumerate(plan.first_leads, start=1)
    )
    return Table("person", PERSON_COLUMNS, rows)


LEAD_COLUMNS = (
    *("id", "source_partition_key", "source_row_key", "first_name", "last_name", "email", "country", "company"),
    *("job_title", "phone", "offer", "offer_title", "publisher_display_name", "lead_source", "source_channel"),
    *("action_code", "description", "created_at_ms", "first_seen_at", "received_at", "source_timestamp"),
    *("is_dnc", "is_test", "nurture_status", "owner_id", "name_key", "last_key", "email_key", "company_key"),
    # The person's marketing state, as migration 0030's triggers copy it (a PostgreSQL load fires no triggers).
    *("person_id", "person_pinned", "marketing_consent"),
)


def leads(plan: Plan) -> Table:
    """N leads in arrival order, each filed under the person `persons` chose."""
    rng = random.Random(plan.seed)
    return Table("lead", LEAD_COLUMNS, (_lead(plan, rng, i) for i in range(1, plan.leads + 1)))


def _lead(plan: Plan, rng: random.Random, i: int) -> tuple:
    number = plan.numbers[i - 1]
    who = person(number) or NO_DETAILS
    first, last, email, country, company, title, phone = who
    action = rng.choices(ACTIONS, ACTION_WEIGHTS)[0]
    offer, offer_title = demo.OFFERS[i % len(demo.OFFERS)]
    source = demo.SOURCES[(i >> 2) % len(demo.SOURCES)]
    created = plan.received(i)
    status = rng.choices(STATUSES, STATUS_WEIGHTS)[0] if first else "new"
    owner = FIRST_SALES_ID + rng.randrange(SALES) if rng.random() < OWNED else None
    kind = "trial" if action == "StartTestDrive" else "deployment"
    return (
        *(i, f"{created:%Y-%m}", str(uuid.UUID(int=rng.getrandbits(128))), first, last, email, country, company),
        *(title, phone, offer, offer_title, "coreMem Limited", f"{source}-{action}|{offer}", source, action),
        *(f"{offer_title} {kind} interest", ts(created), ts(created + timedelta(minutes=rng.randint(1, 90)))),
        *(ts(created), ts(created), int(action == "DNC"), 0, status, owner),
        *(search_key(f"{first or ''} {last or ''}"), search_key(last), search_key(email), search_key(company)),
        *(plan.person_of[i - 1], 0, plan.marketing.get(plan.person_of[i - 1], "none")),
    )
