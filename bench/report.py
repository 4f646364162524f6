"""BENCHMARKS.md: the command, the machine, the data, one table per database, memory, and why targets are missed.

The analysis of misses is hand-written in bench/NOTES.md (it explains causes, which do not change from run to
run) and appended; every figure and every met/missed mark is computed from this run.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
from pathlib import Path
from typing import Any

import psycopg

from bench import pages
from bench.load import ROOT, conninfo
from bench.stats import Result

NOTES = ROOT / "bench" / "NOTES.md"
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

# Where bench/NOTES.md says why each group's targets are missed and what meeting them would take: a missed row
# points there, so no miss goes without its reason (tests/test_bench.py checks every group has a section).
WHY = {
    "list": "The leads list, search, filters and the lead and person pages",
    "search": "The leads list, search, filters and the lead and person pages",
    "filter": "The leads list, search, filters and the lead and person pages",
    "detail": "The leads list, search, filters and the lead and person pages",
    "bundle": "Met, and what got them there",
    "dashboard": "The dashboard and /retention",
    "installations": "The installations list at a million installations",
    "grants": "Grants, rights, follow-ups, audit and job runs",
    "rights": "Grants, rights, follow-ups, audit and job runs",
    "follow-ups": "Grants, rights, follow-ups, audit and job runs",
    "audit": "Grants, rights, follow-ups, audit and job runs",
    "jobs": "Grants, rights, follow-ups, audit and job runs",
    "vs Flask-Admin": "Filters 2x faster than a plain Flask-Admin ModelView",
    "sweeper": "Met, and what got them there",
    "sync": "Sync at 80% of the raw SDK read rate",
    "webhook": "The webhook at 300 requests a second",
    "memory": "Met, and what got them there",
}
# A page row misses targets of three kinds, each explained in its own section: its own (WHY[group]), twice the
# ModelView's speed, and the statements about the viewer (Result.missed).
WHY_KIND = {"modelview": WHY["vs Flask-Admin"], "viewer": "What every page reads about the viewer"}


def sections() -> list[str]:
    """The "### " headings of bench/NOTES.md, in order."""
    return [line[4:].strip() for line in NOTES.read_text().splitlines() if line.startswith("### ")]


def _missed(result: Result) -> str:
    """The row's last cell: "met", or what is missed and the NOTES section that says why."""
    by_section: dict[str, list[str]] = {}
    for kind, text in result.missed():
        by_section.setdefault(WHY_KIND.get(kind) or WHY[result.group], []).append(text)
    if not by_section:
        return "met"
    return "missed: " + "; ".join(f"{'; '.join(texts)} (why: “{why}” below)" for why, texts in by_section.items())


def machine(postgresql: str) -> list[str]:
    """What the figures were measured on."""
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if line.startswith("model name")), "?"
    )
    memory = next((int(line.split()[1]) for line in _lines("/proc/meminfo") if line.startswith("MemTotal")), 0)
    facts = [
        f"CPU: {cpu}, {os.cpu_count()} cores (nproc); memory {memory / 1024 / 1024:.1f} GB; {platform.platform()}",
        f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; {_versions()}",
    ]
    if postgresql:
        with psycopg.connect(conninfo(postgresql)) as connection:
            facts.append(str(connection.execute("SELECT version()").fetchone()[0]))  # type: ignore[index]
    return facts


def _lines(path: str) -> list[str]:
    return Path(path).read_text().splitlines() if Path(path).exists() else []


def _versions() -> str:
    from importlib.metadata import version

    packages = ("Flask", "SQLAlchemy", "sqlmodel", "psycopg", "azure-data-tables", "gunicorn")
    azurite = json.loads((ROOT / "node_modules" / "azurite" / "package.json").read_text()).get("version", "?")
    return ", ".join(f"{p} {version(p)}" for p in packages) + f", Azurite {azurite}"


def _number(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:.1f}" if value >= 1 else f"{value:.2f}"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _row(result: Result) -> str:
    app, base = result.app, result.baseline
    cells = [result.name, f"{_number(app.median, result.unit)} / {_number(app.p95, result.unit)} {result.unit}"]
    if base is None:
        cells += ["—", "—"]
    else:
        cells += [f"{_number(base.median, result.unit)} / {_number(base.p95, result.unit)}"]
        cells += [f"{result.ratio_median:.2f}x / {result.ratio_p95:.2f}x"]
    cells += [_floored(result), _statements(result), _modelview(result)]
    cells += [_target(result), _missed(result)]
    return "| " + " | ".join(cells) + " |"


def _floored(result: Result) -> str:
    if result.floor is None:
        return "—"
    return f"{result.floor_ratio_median:.2f}x (floor {_number(result.floor.median, result.unit)})"


def _statements(result: Result) -> str:
    """A page's statements: all a request sends / those about the viewer (and their tables); "—" for rows that
    are not pages, or pages kept from a run before the viewer's were counted (the total only)."""
    total, viewer = result.extra.get("statements"), result.extra.get("viewer_statements")
    if total is None:
        return "—"
    if viewer is None:
        return f"{total} / ?"
    tables = result.extra.get("viewer_tables", [])
    named = ", ".join(f"{t} {tables.count(t)}x" if tables.count(t) > 1 else t for t in dict.fromkeys(tables))
    return f"{total} / {viewer}" + (f" ({named})" if named else "")


def _modelview(result: Result) -> str:
    """The plain ModelView sent the same question: its median / p95 and ours as a share of its median, or why it
    cannot be sent the question; "—" where no ModelView applies."""
    theirs = result.extra.get("modelview")
    if theirs:
        return (
            f"{_number(theirs['median'], result.unit)} / {_number(theirs['p95'], result.unit)}: "
            f"ours {result.modelview_ratio:.2f}x"
        )
    return result.extra.get("modelview_none", "—")


def _target(result: Result) -> str:
    parts = []
    if result.max_p95 is not None:
        parts.append(f"p95 < {result.max_p95:g} {result.unit}")
    if result.max_ratio is not None and result.group == "vs Flask-Admin":
        parts.append(f"at least {1 / result.max_ratio:g}x faster than the ModelView")
    elif result.max_ratio is not None:
        bare = result.baseline_name.startswith("the same SQL")  # a page's baseline; others name their own
        against = "(bare SQL + floor)" if result.floor else "bare SQL" if bare else "its baseline"
        parts.append(f"≤ {result.max_ratio:g}x {against}")
    if result.min_ratio is not None:
        parts.append(f"≥ {result.min_ratio:.0%} of baseline rate")
    if result.min_median is not None:
        parts.append(f"≥ {result.min_median:g} {result.unit}, no errors")
    if result.extra.get("modelview_max_ratio") is not None and result.extra.get("modelview"):
        parts.append(f"at least {1 / result.extra['modelview_max_ratio']:g}x faster than the ModelView")
    if result.extra.get("max_viewer_statements") is not None:
        parts.append(f"≤ {result.extra['max_viewer_statements']} statement about the viewer")
    return ", ".join(parts) or "—"


HEADER = [
    "| benchmark | app median / p95 | baseline median / p95 | ratio median / p95 | median / (bare SQL + floor) "
    "| statements / about the viewer | ModelView median / p95 | target | |",
    "|---|---|---|---|---|---|---|---|---|",
]
LEGEND = [
    "Columns: *app* is the page through the real app (or the job); *baseline* the same SQL statements through "
    "the bare driver (for pages; other rows name theirs); *median / (bare SQL + floor)* the page against its SQL "
    "plus the fair floor (the cheapest logged-in page: session, user, base template), timed in turn with it.",
    "*statements / about the viewer*: the SQL statements one request sends (the most of the case's URLs), and "
    "how many of them are about the viewer rather than the page's own (`bench/site.py` `about_viewer`), by the "
    "table a statement reads first (after FROM) or writes: `user` (the session's user, and the staff a page "
    "names: the owner filter, authors, actors), `signinpolicy` (the sign-in policy the session is checked "
    "against), `savedview` (the viewer's saved views), `marketinglist` read with no WHERE (the menu of every "
    "list for the bulk form), and `legalhold` read for the shown rows (the hold mark beside each row). Every "
    "other statement, a lead's own lists and the reads of every active hold (dashboard, /retention) included, "
    "is the page's own. Target: at most one about the viewer, or a cache its writer invalidates.",
    "*ModelView*: a plain Flask-Admin ModelView of the same model on the same database (`bench/admin.py`), sent "
    "the same question as each leads-list case (the same filters, the same search terms keystroke by keystroke, "
    "the deep page by its page number) and timed in turn with the app; ours is the app's median as a share of "
    "the ModelView's (target at most 0.5x: at least twice as fast). The as-typed searches are the htmx "
    "fragments our search box asks for; the ModelView has no fragment and answers each term with its full "
    "page. A case it cannot be asked says why in the column.",
]


def _table(run: dict[str, Any]) -> list[str]:
    rows = [_row(r) for r in run["results"] if r.group != "memory"]
    rows.append("\n" + "\n\n".join(LEGEND))
    first = run["results"][0]
    if "services_ms" in first.extra:
        rows.append(
            f"\nWhere the first page's {first.app.median:.1f} ms go: its SQL through the bare driver "
            f"{first.baseline.median:.1f} ms; the view's service calls alone (ORM included, no Flask, no template) "  # type: ignore[union-attr]
            f"{first.extra['services_ms']:.1f} ms; the rest, {first.app.median - first.extra['services_ms']:.1f} ms, "
            "is Flask, the login and session, and rendering the 50-row table."
        )
    loads = [value for r in run["results"] for value in r.extra.get("load", [])]
    if loads:
        rows.append(
            f"\nMachine load (1-minute load average, {os.cpu_count()} cores) while these pages ran: "
            f"{min(loads):.2f} to {max(loads):.2f}."
        )
    hook = next((r for r in run["results"] if r.group == "webhook"), None)
    if hook is not None:
        extra = hook.extra
        rows.append(
            f"\nWebhook latency over {extra['requests']:,} requests: median {extra['latency_median_ms']:.1f} ms, "
            f"p95 {extra['latency_p95_ms']:.1f} ms, p99 {extra['latency_p99_ms']:.1f} ms; {extra['errors']} errors."
        )
    return HEADER + rows


def _memory(runs: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "| job | database | smaller | larger | raw baseline (larger) | under 300 MB |",
        "|---|---|---|---|---|---|",
    ]
    for kind, run in runs.items():
        for result in (r for r in run["results"] if r.group == "memory"):
            e, raw = result.extra, f"{result.baseline.median:.0f} MB" if result.baseline else "—"
            lines.append(
                f"| {result.name} | {NAMES[kind]} | {e['small_mb']:.0f} MB | {e['large_mb']:.0f} MB | {raw} | "
                f"{'yes' if not result.misses() else 'no'} |"
            )
    return lines


def _data(runs: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for kind, run in runs.items():
        data = run["data"]
        how = (
            "executemany in one transaction, journal off, indexes rebuilt after"
            if kind == "sqlite"
            else "COPY, indexes rebuilt after, VACUUM ANALYZE"
        )
        cached = " (cached in bench/data/ from an earlier run; this is when it was generated)" if data["cached"] else ""
        rows = ", ".join(f"{table} {count:,}" for table, count in data["rows"].items())
        lines.append(f"- **{NAMES[kind]}**: loaded in {data['seconds'] or 0:.0f} s by {how}{cached}. Rows: {rows}.")
    return lines


def _summary(runs: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["| | " + " | ".join(NAMES[k] for k in runs) + " |", "|---|" + "---|" * len(runs)]
    groups = dict.fromkeys(r.group for run in runs.values() for r in run["results"])
    for group in groups:
        cells = []
        for run in runs.values():
            found = [r for r in run["results"] if r.group == group]
            missed = [r for r in found if any(kind == "" for kind, _ in r.missed())]  # the row's own targets
            cells.append(f"{len(found) - len(missed)} of {len(found)} met")
        lines.append(f"| {group} | " + " | ".join(cells) + " |")
    for kind, label in (
        ("modelview", "leads list vs the ModelView (2x), of the cases it can be asked"),
        ("viewer", "pages with at most 1 statement about the viewer"),
    ):
        cells = []
        for run in runs.values():
            held = [r for r in run["results"] if _held(r, kind)]
            met = [r for r in held if kind not in {k for k, _ in r.missed()}]
            cells.append(f"{len(met)} of {len(held)} met" if held else "—")
        if any(cell != "—" for cell in cells):
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def _held(result: Result, kind: str) -> bool:
    """Whether a row is held to a target of `kind` (rows kept from older runs may not be)."""
    if kind == "modelview":
        return result.modelview_ratio is not None and result.extra.get("modelview_max_ratio") is not None
    return result.extra.get("viewer_statements") is not None and result.extra.get("max_viewer_statements") is not None


def write(path: Path, runs: dict[str, dict[str, Any]], facts: dict[str, Any]) -> None:
    """Render every run into `path`."""
    settings = facts["settings"]
    lines = [
        "# Benchmarks (issue #10)",
        "",
        f"Written by `{facts['command']}` on {facts['at']:%Y-%m-%d %H:%M} UTC; the run took "
        f'{facts["seconds"] / 60:.0f} minutes. Regenerate with the same command (README, "Benchmarks").',
        "",
        "## Machine",
        "",
        *(f"- {fact}" for fact in machine(settings.postgresql)),
        "",
        "## Data",
        "",
        f"{settings.leads:,} leads (and as many installations, ~3 notifications each); a second database of "
        f"{settings.small_leads:,} leads for memory at two sizes. Generator: `bench/generator/` (proportions in its "
        "docstrings).",
        "",
        *_data(runs),
        "",
        "## Targets at a glance",
        "",
        *_summary(runs),
        "",
        "Each group counts its rows' own targets (time, ratio, rate, memory); the last rows count the targets "
        "held across groups: the leads list against the ModelView, and the statements about the viewer.",
        "",
        "Times are milliseconds per request unless marked; rates are per second, where the p95 column is the rate "
        "95% of runs beat. Ratios are app / baseline: for times, how many times slower; for rates, the share reached. "
        f"Each page figure is {settings.repeat} requests, each beside its baseline, alternating (a page slow enough "
        f"to take over {pages.CASE_BUDGET_S:g} s stops there, after at least {pages.MIN_REQUESTS}).",
    ]
    for kind, run in runs.items():
        lines += ["", f"## {NAMES[kind]}", "", *_table(run)]
    lines += ["", "## Peak memory (each job in its own process, at two sizes)", "", *_memory(runs)]
    lines += ["", NOTES.read_text().strip(), ""]
    path.write_text("\n".join(lines))
