"""Rows queued for the source table (corrections to write, deletions to send), sent one at a time.

Each row is deleted once the source confirms it, with a commit per row, so a crash never sends one twice for
nothing nor loses one. At the first failure the row keeps the attempt and the reason, and the rest wait for
the next pass: the service is probably down, and hammering it row by row would only repeat the error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from sqlmodel import Session


class Queued(Protocol):
    """What a queued row carries (SourceCorrection, SourceDeletion)."""

    attempts: int
    last_error: str | None


Q = TypeVar("Q", bound=Queued)


def send(session: Session, batch: Sequence[Q], deliver: Callable[[Q], object], errors: list[str]) -> tuple[int, bool]:
    """Deliver each row of `batch`, oldest first, deleting each once delivered (commits per row). At the first
    failure: count the attempt on that row, keep its reason (a shorter one goes to `errors`) and stop.
    Returns how many rows were delivered, and whether the whole batch was."""
    sent = 0
    for pending in batch:
        try:
            deliver(pending)
        except Exception as error:  # noqa: BLE001 - any failure: keep it queued and say why
            pending.attempts, pending.last_error = pending.attempts + 1, str(error)[:1000]
            errors.append(str(error)[:200])
            session.add(pending)
            session.commit()
            return sent, False
        session.delete(pending)
        session.commit()
        sent += 1
    return sent, True
