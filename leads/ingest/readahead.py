"""Read the next page while this one is stored: a bounded read-ahead over any iterator of pages.

The lead table is a remote service: each page costs a round trip (tens of milliseconds from Azure) plus the
SDK's parsing, and storing a page costs database time. Reading the next page on a thread while the caller
stores this one overlaps the two. At most `depth` pages wait in the queue, so memory stays flat whatever the
table's size. The iterator runs on the reader thread only; the caller's database session stays on its own.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def read_ahead(pages: Iterator[T], *, depth: int = 1) -> Iterator[T]:
    """Yield what `pages` yields, in order, reading up to `depth` items ahead on a daemon thread.

    An exception raised by `pages` is raised here, at the item where it happened. If the caller stops early
    (an error while storing, or `close()`), the reader stops at its next item and the iterator is closed.
    """
    waiting: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    reader = threading.Thread(target=_read, args=(pages, waiting, stop), name="lead-read-ahead", daemon=True)
    reader.start()
    try:
        while (item := waiting.get()) is not _DONE:
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        _drain(waiting)
        reader.join(timeout=30)


def _read(pages: Iterator[T], waiting: queue.Queue[object], stop: threading.Event) -> None:
    try:
        for item in pages:
            if not _put(waiting, item, stop):
                return
        _put(waiting, _DONE, stop)
    except BaseException as error:  # noqa: BLE001 - handed to the consumer, which raises it
        _put(waiting, _Failed(error), stop)
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()


def _put(waiting: queue.Queue[object], item: object, stop: threading.Event) -> bool:
    """Queue `item`, waiting for room; False (nothing queued) once the consumer has stopped."""
    while not stop.is_set():
        try:
            waiting.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _drain(waiting: queue.Queue[object]) -> None:
    while True:
        try:
            waiting.get_nowait()
        except queue.Empty:
            return
