"""The sync's view of tombstones: which source keys were destroyed (the writer is `leads.tombstones`)."""

from __future__ import annotations

from leads.tombstones import source_key_hash, tombstoned

__all__ = ["source_key_hash", "tombstoned"]
