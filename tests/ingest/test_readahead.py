"""The sync's read-ahead: same pages, same order, errors where they happened, and never more than one page
waiting (memory stays flat)."""

from __future__ import annotations

import threading

import pytest

from leads.ingest.readahead import read_ahead


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
