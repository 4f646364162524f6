"""The command line: `run` (everything, the default), `generate` (just the data), `report` (the report again from
a kept run's figures), `pages` (chosen page cases on their own, at a size you choose), `mail` (the marketing
email sender, on its own) and `job` (one child job)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bench import jobs, mailbench


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run it."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="every benchmark on SQLite and, with BENCH_DATABASE_URL, PostgreSQL")
    generate = commands.add_parser("generate", help="generate (or find cached) the SQLite database")
    generate.add_argument("--leads", type=int, default=int(os.environ.get("BENCH_LEADS", "1000000")))
    again = commands.add_parser("report", help="write BENCHMARKS.md again from a kept run (after editing NOTES.md)")
    again.add_argument("results", nargs="?", help="a JSON file in bench/results/ (default: the newest)")
    some = commands.add_parser("pages", help="chosen page cases beside their bare SQL, printed (not part of run)")
    some.add_argument("--leads", type=int, default=int(os.environ.get("BENCH_LEADS", "1000000")))
    some.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", "200")))
    some.add_argument("--only", action="append", default=[], help="cases whose name contains this (repeatable)")
    some.add_argument("--postgresql", default="", help="a server URL: load the data there instead of SQLite")
    mail = commands.add_parser("mail", help="the marketing email sender beside plain smtplib (not part of run)")
    mail.add_argument("--messages", type=int, default=int(os.environ.get("BENCH_MAIL_MESSAGES", "10000")))
    job = commands.add_parser("job", help="run one job in this process and print its JSON (used internally)")
    job.add_argument("name", choices=sorted(jobs.JOBS))
    job.add_argument("args", nargs="*")
    options = parser.parse_args(argv)
    if options.command == "job":
        jobs.main(options.name, *options.args)
    elif options.command == "mail":
        mailbench.main(options.messages)
    elif options.command == "pages":
        from bench.pages import main as pages_main

        pages_main(options.leads, options.repeat, options.only, options.postgresql)
    elif options.command == "report":
        from bench.suite import rewrite

        print(rewrite(Path(options.results) if options.results else None), file=sys.stderr)
    elif options.command == "generate":
        from bench.generator import Plan
        from bench.load import CACHE, cached_sqlite

        print(cached_sqlite(Plan(leads=options.leads), Path(os.environ.get("BENCH_DATA") or CACHE))[0])
    else:
        from bench.suite import run

        sys.exit(run())
