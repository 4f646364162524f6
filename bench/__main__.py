"""`python -m bench` runs every benchmark and writes BENCHMARKS.md; `python -m bench --help` for the rest."""

from __future__ import annotations

from bench.cli import main

main()
