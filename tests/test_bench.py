"""The benchmark harness (bench/), run end to end on a tiny data set so that it cannot rot.

The figures of so small a run mean nothing and are not checked; that every benchmark runs, on SQLite and (when
TEST_DATABASE_URL is set) PostgreSQL, and that the report holds every section, is.
"""

from __future__ import annotations

import json
import os

import pytest

from bench import report as reporting
from bench import suite
from bench.generator import Plan, tables
from bench.load import schema
from leads.models import Lead

pytestmark = pytest.mark.azurite


def test_the_bench_runs_end_to_end_and_writes_its_report(tmp_path):
    env = {
        "BENCH_LEADS": "1200",
        "BENCH_SMALL_LEADS": "1000",
        "BENCH_REPEAT": "2",
        "BENCH_SWEEP": "100",
        "BENCH_SYNC": "200",
        "BENCH_SWEEP_REPEAT": "1",
        "BENCH_SYNC_REPEAT": "1",
        "BENCH_HOOK_ROUNDS": "1",
        "BENCH_DATA": str(tmp_path / "data"),
        "BENCH_RESULTS": str(tmp_path / "results"),
        "BENCH_OUTPUT": str(tmp_path / "BENCHMARKS.md"),
        "BENCH_DATABASE_URL": os.environ.get("TEST_DATABASE_URL", ""),
    }
    assert suite.run(env) == 0
    report = (tmp_path / "BENCHMARKS.md").read_text()
    databases = ["## SQLite", *(["## PostgreSQL"] if env["BENCH_DATABASE_URL"] else [])]
    for heading in [*databases, "## Machine", "## Data", "## Peak memory", "## Why targets are missed"]:
        assert heading in report
    for name in (
        "leads list, first page",
        "as typed",
        "filter owner=none",
        "lead detail",
        "portability bundle",
        "leads list, filter country + status",
        "bare SQL + floor",
        "Machine load",
        "audit trail",
        "dashboard (admin)",
        "dashboard (sales)",
        "dashboard (support)",
        "retention (/retention",
        "installations, state needs help",
        "installations, search by lead name",
        "support grants list",
        "rights register",
        "one rights request",
        "a person's page",
        "my follow-ups, overdue",
        "accent-folded surname (muller",
        "filters country + status + owner",
        "job runs",
    ):
        assert name in report
    for name in (
        "sweeper destroying 100",
        "lead sync of 200",
        "through a loopback proxy",
        "storing a page (up to 1,000 entities) of the sync vs reading it from Azurite through",
        "install webhook",
        "peak memory of the bundle",
    ):
        assert name in report
    assert len(list((tmp_path / "results").glob("*.json"))) == 1
    (kept,) = (tmp_path / "results").glob("*.json")
    groups = {r["group"] for run in json.loads(kept.read_text())["runs"].values() for r in run["results"]}
    assert groups <= set(reporting.WHY), f"groups with no NOTES section for their misses: {groups - set(reporting.WHY)}"
    # The report written again from the kept figures (`python -m bench report`) is the same report.
    again = suite.rewrite(env={**env, "BENCH_OUTPUT": str(tmp_path / "again.md")})
    assert again == tmp_path / "again.md"
    assert again.read_text() == (tmp_path / "BENCHMARKS.md").read_text()


def test_every_section_a_missed_row_points_to_is_in_the_notes():
    """A renamed or dropped heading in bench/NOTES.md would leave missed rows pointing at nothing."""
    assert set(reporting.WHY.values()) <= set(reporting.sections())


def test_a_missed_row_names_the_section_that_says_why():
    from bench.stats import Figure, Result

    slow = Result(group="webhook", name="w", unit="req/s", app=Figure(100, 90, 3), min_median=300)
    fast = Result(group="webhook", name="w", unit="req/s", app=Figure(400, 390, 3), min_median=300)
    assert reporting._missed(slow).endswith("(why: “The webhook at 300 requests a second” below)")
    assert reporting._missed(fast) == "met"


def test_every_lead_column_the_database_requires_is_generated(database_url):
    generated = next(t for t in tables(Plan(leads=10), schema(database_url)) if t.name == "lead")
    required = {c.name for c in Lead.__table__.columns if not c.nullable and c.server_default is None} - {"id"}
    assert required <= set(generated.columns)
    rows = [dict(zip(generated.columns, row, strict=True)) for row in generated.rows]
    assert all(row["email_key"] == (row["email"] or "").lower() for row in rows)  # keys filled, not defaulted
    assert any(row["email_key"] for row in rows)


def test_the_bundle_bench_exports_a_person_with_something_in_every_part(tmp_path):
    import json

    from bench.jobs import bundle_app
    from bench.load import load
    from bench.site import query

    url = f"sqlite:///{tmp_path / 'bench.db'}"
    load(url, Plan(leads=1500))
    (request,) = query(url, "SELECT request_id FROM requestlead GROUP BY request_id ORDER BY count(*) DESC LIMIT 1")[0]
    bundle_app(url, str(request))
    (details,) = query(url, "SELECT details FROM auditevent WHERE action = 'rights.export.portability'")[0]
    sections = json.loads(details)["sections"]
    for part in ("person", "lead", "installation", "installevent", "leadnote", "consentrecord", "requeststep"):
        assert sections[part] > 0, (part, sections)
    assert sections["lead"] >= 2  # a returning person


def test_the_marketing_email_bench_sends_every_message_on_both_sides():
    from bench import mailbench

    said = []
    answers = mailbench.run(50, log=said.append)
    assert set(answers) == {"app", "raw"} and len(said) == 2
    for answer in answers.values():
        assert answer["sent"] == 50 and answer["per_second"] > 0 and answer["peak_mb"] > 0
        assert len(answer["rss_mb"]) == 3
