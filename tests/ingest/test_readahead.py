"""The sync's read-ahead, on a thread and in a child process: same pages, same order, errors where they
happened, and never more than a few pages waiting (memory stays flat)."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from leads.ingest.readahead import ReaderLost, read_ahead, read_ahead_in_process


def test_pages_arrive_in_order_and_all_of_them():
    assert list(read_ahead(iter(range(1000)))) == list(range(1000))


def test_an_error_reading_is_raised_after_the_pages_before_it():
    def pages():
        yield "a"
        yield "b"
        raise ConnectionError("table unreachable")

    got = []
    with pytest.raises(ConnectionError, match="unreachable"):
        for page in read_ahead(pages()):
            got.append(page)
    assert got == ["a", "b"]


def test_the_reader_stays_at_most_one_page_ahead():
    produced, release = [], threading.Event()

    def pages():
        for n in range(10):
            produced.append(n)
            yield n

    consumer = read_ahead(pages(), depth=1)
    assert next(consumer) == 0
    threading.Timer(0.3, release.set).start()
    release.wait()  # the reader had time to run ahead as far as it can
    assert len(produced) <= 3  # the page in hand, one queued, one read and waiting for room
    assert list(consumer) == list(range(1, 10))


def test_stopping_early_closes_the_source():
    closed = threading.Event()

    def pages():
        try:
            yield from range(100)
        finally:
            closed.set()

    consumer = read_ahead(pages())
    assert next(consumer) == 0
    consumer.close()
    assert closed.wait(timeout=5)


def test_an_error_while_storing_stops_the_reader():
    closed = threading.Event()

    def pages():
        try:
            yield from range(100)
        finally:
            closed.set()

    with pytest.raises(RuntimeError):
        for page in read_ahead(pages()):
            if page == 3:
                raise RuntimeError("database is locked")
    assert closed.wait(timeout=5)


# --- read_ahead_in_process: the same promises, with the reading in a forked child process ---------------------


def test_a_reader_process_yields_every_page_in_order():
    pages = ([{"n": n, "text": "é" * n}] for n in range(300))
    assert list(read_ahead_in_process(pages)) == [[{"n": n, "text": "é" * n}] for n in range(300)]


def test_an_error_in_the_reader_process_is_raised_after_the_pages_before_it():
    def pages():
        yield "a"
        yield "b"
        raise ConnectionError("table unreachable")

    got = []
    with pytest.raises(ConnectionError, match="unreachable"):
        for page in read_ahead_in_process(pages()):
            got.append(page)
    assert got == ["a", "b"]


def test_an_error_that_cannot_travel_is_described():
    class Unpicklable(Exception):
        def __init__(self, a, b):
            super().__init__(f"{a} {b}")

    def pages():
        yield "a"
        raise Unpicklable("lost", "socket")

    with pytest.raises(RuntimeError, match="Unpicklable: lost socket"):
        list(read_ahead_in_process(pages()))


def test_a_reader_process_that_dies_is_noticed():
    def pages():
        yield "a"
        os._exit(3)

    with pytest.raises(ReaderLost, match="exit code 3"):
        list(read_ahead_in_process(pages()))


def test_the_reader_process_stays_at_most_depth_pages_ahead(tmp_path):
    log = tmp_path / "produced"

    def pages():
        for n in range(50):
            with log.open("a") as produced:
                produced.write(f"{n}\n")
            yield n

    consumer = read_ahead_in_process(pages(), depth=2)
    assert next(consumer) == 0
    time.sleep(0.5)  # the reader had time to run ahead as far as it can
    assert len(log.read_text().split()) <= 4  # the page in hand, two queued, one read and waiting for room
    assert list(consumer) == list(range(1, 50))


def test_stopping_early_ends_the_reader_process():
    consumer = read_ahead_in_process(iter(range(10_000)), depth=1)
    assert next(consumer) == 0
    consumer.close()
    assert multiprocessing.active_children() == []


def test_a_killed_parent_takes_its_reader_process_with_it():
    """The reader holds copies of the parent's files, the job's lock among them: it must not outlive it."""
    script = (
        "import multiprocessing, time\n"
        "from leads.ingest.readahead import read_ahead_in_process\n"
        "pages = read_ahead_in_process(iter(range(10**9)), depth=1)\n"
        "next(pages)\n"
        "print(multiprocessing.active_children()[0].pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    root = Path(__file__).resolve().parents[2]
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=root) as parent:
        reader = int(parent.stdout.readline())
        parent.kill()
        parent.wait(timeout=10)
    deadline = time.monotonic() + 10
    while _alive(reader) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(reader)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"
