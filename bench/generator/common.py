"""What every table's generator shares: the anchor time, the plan, the row container, value formats."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

# The app's clock during every benchmark: the data is relative to it, so a cached database stays valid.
ANCHOR = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
BASE = ANCHOR.replace(tzinfo=None)  # naive UTC, as rows store it
SPAN_SECONDS = (3 * 365 - 3) * 86400  # just under three years: no lead is due at ANCHOR


def ts(value: datetime) -> str:
    """Naive-UTC text with microseconds: SQLAlchemy's SQLite DateTime format; PostgreSQL reads it in UTC."""
    return value.isoformat(" ", "microseconds")


def hexkey(rng: random.Random, bits: int = 256) -> str:
    """A random lower-case hex string of `bits` bits."""
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


@dataclass(frozen=True)
class Table:
    """Rows for one table, in its `columns` order (booleans as 0/1, timestamps from `ts`)."""

    name: str
    columns: tuple[str, ...]
    rows: Iterator[tuple]


@dataclass
class Plan:
    """What to generate, and what the generator learns that later tables (and the benchmarks) need."""

    leads: int
    seed: int = 10
    ages: list[float] = field(default_factory=list)  # each lead's age at ANCHOR in seconds, by id
    returning: dict[int, list[int]] = field(default_factory=dict)  # a person's first lead id -> later ids
    numbers: list[int] = field(default_factory=list)  # each lead's identity (`people.person` number), by id
    person_of: list[int] = field(default_factory=list)  # each lead's person id, by lead id
    first_leads: list[int] = field(default_factory=list)  # each person's first lead id, by person id
    grantable: list[int] = field(default_factory=list)  # installed publisher-managed installations
    requested: set[int] = field(default_factory=set)  # leads of the rights requests' people (`persons` fills it)
    marketing: dict[int, str] = field(default_factory=dict)  # a consenting person's marketing state, by person id

    @property
    def people(self) -> int:
        return len(self.first_leads)

    @property
    def installations(self) -> int:
        """One installation per lead's time (most leads are someone installing)."""
        return self.leads

    def received(self, lead_id: int) -> datetime:
        """When lead `lead_id` came (naive UTC)."""
        return BASE - timedelta(seconds=self.ages[lead_id - 1])
