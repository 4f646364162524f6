"""Run one job in a grandchild process and report its peak memory: `python -m bench.launch NAME ARG...`.

Why a launcher: on Linux a child's ru_maxrss starts from the resident size of the process it was forked
from (the high-water mark survives exec), so a job started straight from the benchmark runner would report
the runner's memory. This small process has nothing loaded; the job it starts is its only child, so
`getrusage(RUSAGE_CHILDREN).ru_maxrss` is the job's own peak. Imports nothing heavy, on purpose.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys


def main() -> None:
    """Run `python -m bench job ARGS...`, then print its JSON answer with `peak_mb` added."""
    command = [sys.executable, "-m", "bench", "job", *sys.argv[1:]]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True, timeout=3600)  # noqa: S603
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    answer["peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(answer))


if __name__ == "__main__":
    main()
