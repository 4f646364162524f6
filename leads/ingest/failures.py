"""How a failed sync is recorded: what went wrong and where, never the data it was handling."""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from leads.ingest.sources import SourceEntity, SourceError


def describe(error: BaseException, page: list[SourceEntity]) -> str:
    """A failed run's error as it is recorded (SyncRun.error, the audit trail): its class, the entity keys of
    the page it failed on, and a reason. Never the database's message: it quotes the values it was given,
    which are personal data, into a record that is kept for ever."""
    where = f" on the page of entities {_key(page[0])} to {_key(page[-1])}" if page else ""
    if isinstance(error, SQLAlchemyError):
        cause = type(getattr(error, "orig", None) or error).__name__
        reason = f"the database refused the page ({cause}); its values are withheld, they may hold personal data"
    elif isinstance(error, (SourceError, OSError)):
        reason = str(error)[:300]  # the lead table or the network, in words without entity data
    else:
        reason = "unexpected error; the worker's log has the traceback"
    return f"{type(error).__name__}{where}: {reason}"


def _key(entity: SourceEntity) -> str:
    return f"{entity.partition_key}/{entity.row_key}"
