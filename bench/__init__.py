"""The benchmark suite (issue #10): a data generator, benchmarks through the real app, each beside its raw
SQL or raw SDK baseline, and the report. `make bench` runs it; `python -m bench --help` lists the commands.

Not part of the app: nothing in `leads/` imports it. Only 127.0.0.1 is ever targeted, and every loop is bounded.
"""
