"""Read the next page while this one is stored: a bounded read-ahead over any iterator of pages.

The lead table is a remote service: each page costs a round trip (tens of milliseconds from Azure) plus the
SDK's parsing, and storing a page costs database time. Reading the next page while the caller stores this one
overlaps the two. At most `depth` pages wait, so memory stays flat whatever the table's size.

Two readers. `read_ahead` runs the iterator on a thread: fine for a source that mostly waits, but the SDK's
parsing then competes with ours for the GIL, and on a busy machine every hand-over of the GIL costs a trip
through the OS scheduler (so a thread can make the sync slower, not faster, against a source on loopback).
`read_ahead_in_process` runs it in a forked child process that hands over finished pages through a pipe, so
parsing and storing truly run at once. The child only reads: it never touches the database connections it
inherited, and leaves with `os._exit` (multiprocessing's fork start does), so they are never closed under us.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import pickle  # nosec B403 # only to check that an error survives the pipe from our own child
import queue
import signal
import threading
from collections.abc import Iterator
from typing import Any, TypeVar

T = TypeVar("T")
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies
_DONE = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class ReaderLost(RuntimeError):
    """The reader process ended without finishing or saying why (killed, out of memory)."""


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


def read_ahead_in_process(pages: Iterator[T], *, depth: int = 2) -> Iterator[T]:
    """Yield what `pages` yields, in order, read up to `depth` items ahead in a forked child process.

    Items travel pickled, so they must be plain data. An exception raised by `pages` is raised here, at the
    item where it happened (as a RuntimeError naming it, if it cannot be pickled); a reader that dies
    silently raises `ReaderLost`. If the caller stops early, the child is ended.
    """
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    slots = context.BoundedSemaphore(depth)  # taken by the child before each page, given back as each arrives
    reader = context.Process(
        target=_read_into, args=(pages, sending, slots, os.getpid()), name="lead-read-ahead", daemon=True
    )
    reader.start()
    sending.close()  # the child's end: once the child is gone, reading here ends instead of waiting for ever
    try:
        while (item := _next(receiving, reader, slots)) is not None:
            yield item[0]
    finally:
        reader.terminate()  # already gone when it finished; ends a reader still reading when we stopped early
        reader.join(timeout=30)
        receiving.close()


def _next(receiving: Any, reader: Any, slots: Any) -> tuple[Any] | None:
    """The reader process's next item as a 1-tuple, None when it has finished; raises what it raised."""
    try:
        kind, value = receiving.recv()
    except EOFError:
        reader.join(timeout=30)
        raise ReaderLost(f"the lead table reader process ended (exit code {reader.exitcode})") from None
    if kind == "failed":
        raise value
    if kind == "done":
        return None
    slots.release()
    return (value,)


def _read_into(pages: Iterator[Any], sending: Any, slots: Any, parent: int) -> None:
    """The child's side: every item, then ("done", None); or ("failed", the error) where reading failed.
    Pickled and sent on this thread (no feeder thread to fight the reading for the GIL)."""
    _die_with(parent)
    try:
        for item in pages:
            slots.acquire()
            sending.send(("page", item))
        sending.send(("done", None))
    except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
        sending.send(("failed", _picklable(error)))
    finally:
        sending.close()


def _die_with(parent: int) -> None:
    """The reader holds copies of everything its parent had open, the job's lock among them (a flock, or the
    PostgreSQL session of an advisory lock): it must not outlive a parent that is killed, or the next sync
    would find the lock still held. The kernel kills it when the parent dies (Linux's PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request above was in place
        os._exit(1)


def _picklable(error: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(error))  # noqa: S301  # nosec B301 # our own bytes, just made
    except Exception:  # noqa: BLE001 - any error that does not survive the trip is described instead
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


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
