"""The staff pages through the real app (Flask test client, logged in), each beside the bare SQL it sends.

Every case is a list of URLs requested in turn (search as you type is one URL per keystroke); the app request,
its bare SQL and the fair floor (the cheapest logged-in page, `site.FLOOR`) take turns, so all three see the same
machine; a leads-list case takes turns with a plain Flask-Admin ModelView sent the same question too (issue #33).
Targets: p95 under 50 ms, a median within 3x of (bare SQL + floor), at most one of the statements a request sends
about the viewer (`site.about_viewer`), and on the leads list a median at most half the ModelView's.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from bench.admin import AdminSite, LeadView
from bench.site import FLOOR, Bare, Site, Statement, about_viewer, main_table
from bench.stats import Figure, Result

MAX_P95_MS, MAX_RATIO, BUNDLE_MAX_MS = 50.0, 3.0, 200.0
ROLES = ("admin", "sales", "support")
ROLE_EMAILS = {"sales": "sales00@radnac.example", "support": "support00@radnac.example"}  # bench/generator/people
ADMIN_MAX_RATIO = 0.5  # at least twice as fast as the plain ModelView
MAX_VIEWER_STATEMENTS = 1  # what a page needs about the viewer: at most one statement (issue #33, item 3)
FIRST_PAGE = "leads list, first page"
# A slow page (a dashboard at a million leads takes seconds today) stops after this long, once it has at least
# MIN_REQUESTS requests, so `make bench` stays a run of one to two hours rather than many.
CASE_BUDGET_S, MIN_REQUESTS = 90.0, 10
WARM_UP = 3
LEADS_PER_PAGE = LeadView.page_size  # as the app's LEADS_PER_PAGE: 50


@dataclass(frozen=True)
class Case:
    """One benchmark: the URLs it cycles through, and whether they are htmx requests (fragments)."""

    group: str
    name: str
    paths: list[str]
    htmx: bool = False
    max_p95: float = MAX_P95_MS
    max_ratio: float | None = MAX_RATIO
    method: str = "GET"  # POST for downloads that write an audit entry
    role: str = "admin"  # who is logged in: "admin", "sales" or "support" (staff/roles.py)
    # The plain ModelView beside a leads-list page (issue #33): what it is sent for each of `paths`, in the same
    # order (filters in our names, a search, a page number; see `AdminSite.args`), or why it cannot be sent
    # the same question (a string), or None where no ModelView applies (not the leads list).
    modelview: list[Ask] | str | None = None


Ask = tuple[dict[str, str | None], str, int | None]  # the ModelView's filters, search and page number
# Why the ModelView cannot be asked what a leads-list case asks (said in the case's row, not left out).
NO_FOLDING = "not expressible: its search is a substring match that folds no accents (muller does not find Müller)"
NO_NAME_SORT = "not expressible: it sorts by a listed column, not by the folded name key our list orders by"
NO_RETENTION = "not expressible: a lead's destruction date is computed (retention rules), not a column of the lead"


def typed(text: str, start: int = 1) -> list[str]:
    """The search URL after each keystroke of `text` (as the debounced search box sends them)."""
    return [f"/leads?{urlencode({'q': text[:n]})}" for n in range(start, len(text) + 1)]


def typed_asks(text: str, start: int = 1) -> list[Ask]:
    """What the ModelView is sent for the same keystrokes: the same terms, one search a keystroke (a full page:
    it has no fragment)."""
    return [({}, text[:n], None) for n in range(start, len(text) + 1)]


def cases(bare: Bare) -> list[Case]:
    """Every page benchmark, with cursors, ids and names read from the database it runs on."""
    with bare.cursor() as cursor:
        found = _probe(cursor, bare.url.startswith("sqlite"))
    owner = str(found["owner"])
    filters = {
        "country": "Germany",
        "offer": "coremem.radnac-trial",
        "action_code": "DNC",
        "status": "customer",
        "owner": str(found["owner"]),
        "owner=none": "none",
        "expires_within": "30",
    }
    installs = {
        "state installed": {"state": "installed"},
        "state failed": {"state": "failed"},
        "state uninstalled": {"state": "uninstalled"},
        "state needs help": {"state": "needs_help"},
        "plan": {"plan": "radnac-managed"},
        "permission model locked": {"model": "locked"},
        "permission model publisher-managed": {"model": "publisher_managed"},
        "linked": {"linked": "yes"},
        "not linked": {"linked": "no"},
        "needs help + not linked": {"state": "needs_help", "linked": "no"},
        "sorted by application": {"sort": "application"},
        "sorted by first event": {"sort": "first_event"},
        "sorted by state": {"sort": "state"},
        "installed in the last 7 days": {"happened": "installed"},
    }
    filter_asks: dict[str, list[Ask] | str] = {
        **{name: [({name: filters[name]}, "", None)] for name in ("country", "offer", "action_code", "status")},
        "owner": [({"owner": owner}, "", None)],
        "owner=none": [({"owner": None}, "", None)],  # Flask-Admin's "is empty" filter
        "expires_within": NO_RETENTION,
    }
    combined = {
        "country + status": {"country": "Germany", "status": "customer"},
        "country + offer": {"country": "Germany", "offer": "coremem.radnac-trial"},
        "action_code + status": {"action_code": "DNC", "status": "customer"},
        "owner + status": {"owner": owner, "status": "customer"},
        "country + status + owner": {"country": "Germany", "status": "customer", "owner": owner},
        "consent granted": {"consent": "granted"},
        "consent withdrawn + country": {"consent": "withdrawn", "country": "France"},
        "expiring in 30 days + country": {"expires_within": "30", "country": "Germany"},
        "search + country + status": {"q": "muller", "country": "Germany", "status": "new"},
    }
    combined_asks = {name: _combined_ask(args) for name, args in combined.items()}

    def search(name: str, text: str, start: int = 1) -> Case:
        return Case("search", name, typed(text, start), htmx=True, modelview=typed_asks(text, start))

    return [
        Case("list", FIRST_PAGE, ["/leads"], modelview=[({}, "", None)]),
        Case(
            "list",
            "deep page (keyset, half way)",
            [f"/leads?{urlencode({'after': found['deep']})}"],
            modelview=[({}, "", found["deep_page"])],  # the ModelView's page of the same rows, by its number
        ),
        Case(
            "list",
            "deep page sorted by name",
            [f"/leads?{urlencode({'sort': 'name', 'after': found['deep_name']})}"],
            modelview=NO_NAME_SORT,
        ),
        search("name as typed (o … oliver smith)", "oliver smith"),
        search("surname as typed (g … garcia)", "garcia"),
        search("email as typed (one person's address)", found["email"], 3),
        search("company as typed (w … woodgrove bank)", "woodgrove bank"),
        Case(
            "search",
            "no match (typo)",
            ["/leads?q=zzq", "/leads?q=oliver+smiht"],
            htmx=True,
            modelview=[({}, "zzq", None), ({}, "oliver smiht", None)],
        ),
        *(
            Case("search", f"accent-folded surname ({text}: {shown})", typed(text, 3), htmx=True, modelview=NO_FOLDING)
            for text, shown in (("lefevre", "Lefèvre"), ("muller", "Müller"))
        ),
        *(
            Case(
                "filter",
                f"filter {name}",
                [f"/leads?{urlencode({name.split('=')[0]: value})}"],
                modelview=filter_asks[name],
            )
            for name, value in filters.items()
        ),
        *(
            Case("filter", f"filters {name}", [f"/leads?{urlencode(args)}"], modelview=combined_asks[name])
            for name, args in combined.items()
        ),
        Case("detail", "lead detail (40 leads: linked, noted, plain)", [f"/leads/{i}" for i in found["details"]]),
        Case("detail", "a person's page (3 leads, consent, a request)", [f"/people/{found['person']}"]),
        Case(
            "bundle",
            "portability bundle (one person, streamed ZIP)",
            [f"/rights/{found['request']}/bundle/portability"],
            max_p95=BUNDLE_MAX_MS,
            max_ratio=None,
            method="POST",
        ),
        *(Case("dashboard", f"dashboard ({role})", ["/"], role=role) for role in ROLES),
        Case("dashboard", "retention (/retention, next 30 days)", ["/retention"]),
        Case("dashboard", "retention, next 365 days", ["/retention?days=365"]),
        Case("installations", "installations, first page", ["/installations"]),
        *(
            Case("installations", f"installations, {name}", [f"/installations?{urlencode(args)}"])
            for name, args in installs.items()
        ),
        *(
            Case("installations", f"installations, search by {name}", [f"/installations?{urlencode({'q': q})}"])
            for name, q in found["install_search"].items()
        ),
        Case("grants", "support grants list", ["/grants"]),
        Case("rights", "rights register (open)", ["/rights"]),
        Case("rights", "rights register (all)", ["/rights?show=all"]),
        Case("rights", "one rights request", [f"/rights/{found['request']}"]),
        *(
            Case("follow-ups", f"my follow-ups, {show}", [f"/follow-ups?show={show}"], role="sales")
            for show in ("overdue", "due", "done")
        ),
        Case("audit", "audit trail, first page", ["/admin/audit"]),
        Case(
            "audit",
            "audit trail, deep page (keyset, half way)",
            [f"/admin/audit?{urlencode({'after': found['audit_deep']})}"],
        ),
        Case("audit", "audit trail of one member of staff", [f"/admin/audit?actor={found['viewer']}"]),
        Case(
            "audit",
            "audit trail of one lead",
            [f"/admin/audit?{urlencode({'record_type': 'lead', 'record_id': i})}" for i in found["details"][:10]],
        ),
        Case(
            "audit",
            "audit trail of one day",
            [f"/admin/audit?{urlencode({'since': found['audit_day'], 'until': found['audit_day']})}"],
        ),
        Case("jobs", "job runs (/admin/jobs)", ["/admin/jobs"]),
    ]


def _combined_ask(args: dict[str, str]) -> list[Ask] | str:
    """What the ModelView is sent for a combination of filters, or why it cannot be."""
    if "expires_within" in args:
        return NO_RETENTION
    if "q" in args:
        return NO_FOLDING  # the list's search folds accents ("muller" finds Müller)
    return [(dict(args), "", None)]


def _probe(cursor: object, sqlite: bool) -> dict:
    """Cursors half way through each order, a sales owner, a returning person's email, leads to open."""

    def one(sql: str) -> tuple:
        cursor.execute(sql)  # type: ignore[attr-defined]
        return cursor.fetchone()  # type: ignore[attr-defined]

    (total,) = one("SELECT count(*) FROM lead")
    at, lead_id = one(
        f"SELECT received_at, id FROM lead ORDER BY received_at DESC, id DESC LIMIT 1 OFFSET {total // 2}"
    )
    name_key, name_id = one(f"SELECT name_key, id FROM lead ORDER BY name_key, id LIMIT 1 OFFSET {total // 2}")
    (owner,) = one("SELECT owner_id FROM lead WHERE owner_id IS NOT NULL ORDER BY id LIMIT 1")
    (email,) = one("SELECT requester_email FROM rightsrequest ORDER BY id LIMIT 1")
    (request,) = one(
        "SELECT request_id FROM requestlead GROUP BY request_id ORDER BY count(*) DESC, request_id LIMIT 1"
    )
    cursor.execute("SELECT lead_id FROM installation WHERE lead_id IS NOT NULL ORDER BY lead_id LIMIT 13")  # type: ignore[attr-defined]
    linked = [row[0] for row in cursor.fetchall()]  # type: ignore[attr-defined]
    cursor.execute("SELECT DISTINCT lead_id FROM leadnote ORDER BY lead_id DESC LIMIT 13")  # type: ignore[attr-defined]
    noted = [row[0] for row in cursor.fetchall()]  # type: ignore[attr-defined]
    plain = [1 + n * (total // 14) for n in range(14)]
    stamp = _aware(at, sqlite)
    (events,) = one("SELECT count(*) FROM auditevent")
    audit_at, audit_id = one(f"SELECT at, id FROM auditevent ORDER BY at DESC, id DESC LIMIT 1 OFFSET {events // 2}")
    (viewer,) = one("SELECT actor_user_id FROM auditevent WHERE actor_user_id IS NOT NULL ORDER BY id LIMIT 1")
    (person,) = one(f"SELECT person_id FROM lead WHERE id = {found_lead(cursor, request)}")
    application, group, subscription = one(
        "SELECT application_name, resource_group, subscription_id FROM installation ORDER BY id DESC LIMIT 1"
    )
    (lead_name,) = one(
        "SELECT l.last_name FROM installation i JOIN lead l ON l.id = i.lead_id "
        "WHERE l.last_name IS NOT NULL ORDER BY i.id DESC LIMIT 1"
    )
    return {
        "deep": f"{stamp}~{lead_id}",
        "deep_page": (total // 2) // LEADS_PER_PAGE,  # the ModelView's page (from 0) of the same rows
        "deep_name": f"{name_key}~{name_id}",
        "owner": owner,
        "email": email,
        "request": request,
        "details": [*linked, *noted, *plain],
        "audit_deep": f"{_aware(audit_at, sqlite)}~{audit_id}",
        "audit_day": _aware(audit_at, sqlite)[:10],
        "viewer": viewer,
        "person": person,
        "install_search": {
            "application name": application[:-2],
            "resource group": group,
            "subscription": subscription[:8],
            "lead name": lead_name.lower(),
        },
    }


def found_lead(cursor: object, request: int) -> int:
    """The first lead of rights request `request` (its person is the one whose page is timed)."""
    cursor.execute(f"SELECT min(lead_id) FROM requestlead WHERE request_id = {int(request)}")  # type: ignore[attr-defined]
    return int(cursor.fetchone()[0])  # type: ignore[attr-defined]


def _aware(value: object, sqlite: bool) -> str:
    """A received_at as the app writes it into a cursor (aware ISO 8601)."""
    moment = datetime.fromisoformat(value) if sqlite else value  # type: ignore[arg-type]
    return moment.replace(tzinfo=UTC).isoformat() if moment.tzinfo is None else moment.astimezone(UTC).isoformat()


def run(case: Case, site: Site, bare: Bare, repeat: int, admin: AdminSite | None = None) -> Result:
    """`repeat` requests cycling through the case's URLs, each beside its bare SQL, the floor and (a leads-list
    case, given `admin`) the plain ModelView sent the same question, taking turns so all see the same machine."""
    captured: dict[str, list[Statement]] = {}
    for path in case.paths:
        for _ in range(WARM_UP):
            site.get(path, htmx=case.htmx, method=case.method)
        captured[path] = site.capture(path, htmx=case.htmx, method=case.method)
        bare.replay(captured[path])
    theirs = [admin.args(*ask) for ask in case.modelview] if admin and isinstance(case.modelview, list) else []
    for url in theirs:
        for _ in range(WARM_UP):
            admin.get(url)  # type: ignore[union-attr]
    app, base, floor, modelview = [], [], [], []
    load, started = os.getloadavg()[0], time.monotonic()
    for n in range(repeat):
        if n >= MIN_REQUESTS and time.monotonic() - started > CASE_BUDGET_S:
            break
        path = case.paths[n % len(case.paths)]
        steps = [
            lambda path=path: app.append(site.get(path, htmx=case.htmx, method=case.method)),
            lambda path=path: base.append(bare.replay(captured[path])),
            lambda: floor.append(site.get(FLOOR)),
        ]
        if theirs:
            steps.append(lambda n=n: modelview.append(admin.get(theirs[n % len(theirs)])))  # type: ignore[union-attr]
        for step in steps[n % len(steps) :] + steps[: n % len(steps)]:  # each goes first, second, … in turn
            step()
    statements = max(captured.values(), key=len)
    viewer = [main_table(s) for s, _ in statements if about_viewer(s)]
    extra: dict = {
        "urls": len(case.paths),
        "requests": len(app),
        "statements": len(statements),
        "viewer_statements": len(viewer),  # of them, about the viewer (bench/site.py `about_viewer`)
        "viewer_tables": viewer,
        "max_viewer_statements": MAX_VIEWER_STATEMENTS,
        "load": [load, os.getloadavg()[0]],
    }
    if modelview:
        extra.update(modelview=asdict(Figure.of(modelview)), modelview_max_ratio=ADMIN_MAX_RATIO)
    elif isinstance(case.modelview, str):
        extra["modelview_none"] = case.modelview
    return Result(
        group=case.group,
        name=case.name,
        unit="ms",
        app=Figure.of(app),
        baseline=Figure.of(base),
        baseline_name="the same SQL statements through the bare driver",
        max_p95=case.max_p95,
        max_ratio=case.max_ratio,
        extra=extra,
        floor=Figure.of(floor) if case.max_ratio is not None else None,
    )


def services_ms(site: Site, repeat: int) -> float:
    """Median ms of the first page's service calls alone (what the view asks of leadlist, holds and users, ORM
    included, no Flask and no template), to show where a page's time goes beyond its SQL."""
    from leads import db
    from leads.retention import holds
    from leads.staff import users
    from leads.workspace import leadlist

    config, times = site.app.config, []
    for _ in range(repeat):
        with site.app.app_context():
            started, session = time.perf_counter(), db.session()
            query, now = leadlist.parse({}), db.now()
            listing = leadlist.list_leads(session=session, query=query, now=now, per_page=config["LEADS_PER_PAGE"])
            holds.active_holds(session=session, record_type="lead", record_ids=[lead.id for lead in listing.items])
            leadlist.filter_options(session=session, now=now, ttl=config["FILTER_OPTIONS_TTL"])
            users.list_users(session=session)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run_all(url: str, repeat: int, log: object = print) -> list[Result]:
    """Every page case on the database at `url`; each leads-list case beside a plain Flask-Admin ModelView too."""
    site, bare, admin = Site(url), Bare(url), AdminSite(url)
    sites = {"admin": site}
    try:
        results = []
        for case in cases(bare):
            if case.role not in sites:
                sites[case.role] = Site(url, email=ROLE_EMAILS[case.role])
            results.append(run(case, sites[case.role], bare, repeat, admin))
            if case.name == FIRST_PAGE:
                results[-1].extra["services_ms"] = services_ms(site, repeat)
            log(f"  {case.name}: {results[-1].app.median:.1f} / {results[-1].app.p95:.1f} ms")  # type: ignore[operator]
        return results
    finally:
        for each in sites.values():
            each.close()
        bare.close()
        admin.close()


def main(leads: int, repeat: int, only: list[str], postgresql: str = "") -> None:
    """`python -m bench pages`: the cases whose names contain one of `only` (every case when empty) on the
    generated database of `leads` leads (SQLite, cached; or loaded into a new database on the `postgresql`
    server and dropped after), each beside its bare SQL, printed as a Markdown table. For measuring one change
    at a size the machine allows, without the hour of `make bench`."""
    import sys
    import tempfile
    from pathlib import Path

    from bench.dbs import Backend
    from bench.generator import Plan
    from bench.load import CACHE

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="radnac-bench-") as scratch:
        backend = Backend(
            "postgresql" if postgresql else "sqlite",
            Path(scratch),
            server=postgresql,
            cache=Path(os.environ.get("BENCH_DATA") or CACHE),
        )
        try:
            url = backend.copy(backend.generated(Plan(leads=leads), log)["url"], "pages")
            site, bare, admin = Site(url), Bare(url), AdminSite(url)
            try:
                chosen = [c for c in cases(bare) if not only or any(o in c.name for o in only)]
                print(
                    "| case | median / p95 ms | bare SQL median ms | floor median ms | statements (about the viewer) "
                    "| ModelView median ms (ours / it) | load |"
                )
                print("|---|---|---|---|---|---|---|")
                for case in chosen:
                    result = run(case, site, bare, repeat, admin)
                    load = "-".join(f"{n:.1f}" for n in result.extra["load"])
                    theirs = result.extra.get("modelview")
                    versus = (
                        f"{theirs['median']:.1f} ({result.app.median / theirs['median']:.2f}x)"
                        if theirs
                        else result.extra.get("modelview_none", "—")
                    )
                    floor = f"{result.floor.median:.1f}" if result.floor else "—"  # some cases have no floor
                    print(
                        f"| {case.name} | {result.app.median:.1f} / {result.app.p95:.1f} | "
                        f"{result.baseline.median:.1f} | {floor} | "  # type: ignore[union-attr]
                        f"{result.extra['statements']} ({result.extra['viewer_statements']}) | {versus} | {load} |",
                        flush=True,
                    )
            finally:
                site.close()
                bare.close()
                admin.close()
        finally:
            backend.close()
