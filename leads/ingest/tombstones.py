"""Tombstones: what remains of a destroyed record. Here, the keyed hash that lets sync skip it."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from sqlmodel import Session, col, select

from leads.models import Tombstone


def source_key_hash(key: str, partition_key: str, row_key: str) -> str:
    """HMAC-SHA256 of a lead's source key: stable for sync to match, useless for finding the person."""
    message = f"{partition_key}\x1f{row_key}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def tombstoned(*, session: Session, hashes: Iterable[str]) -> set[str]:
    """Which of `hashes` belong to destroyed records."""
    wanted = list(set(hashes))
    if not wanted:
        return set()
    query = select(Tombstone.source_key_hash).where(col(Tombstone.source_key_hash).in_(wanted))
    return {value for value in session.exec(query) if value}
