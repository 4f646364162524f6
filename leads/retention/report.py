"""What a sweep did (or, for a dry run, would do): counts, records kept on hold, and how late it was."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from leads.retention.due import Due

# Destroyed later than this after its deadline counts as late (needs attention). The worker wakes for each
# deadline within its 30-second tick, so an on-time destruction lands well inside it; downtime does not.
LATE_AFTER = timedelta(minutes=1)


@dataclass
class Report:
    """What a sweep did (or, for a dry run, would do)."""

    as_of: datetime
    dry_run: bool
    ran: bool = True  # False when another live sweeper held the lock
    stopped: bool = False  # asked to stop (SIGTERM): ended after a batch, the rest left for the next run
    late: int = 0  # records destroyed more than LATE_AFTER past their deadline
    most_late: timedelta | None = None  # how late the latest destruction of all was
    destroyed: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)
    due: list[Due] = field(default_factory=list)  # dry run only
    ip_fields: int = 0
    source_deleted: int = 0
    source_pending: int = 0
    source_errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Counts only (no personal data), for the audit trail and the terminal."""
        return {
            "destroyed": dict(self.destroyed),
            "held": dict(self.held),
            "ip_fields": self.ip_fields,
            "source_deleted": self.source_deleted,
            "source_pending": self.source_pending,
            "dry_run": self.dry_run,
            "as_of": self.as_of.isoformat(),
            "stopped": self.stopped,
            "late": self.late,
            "most_late_seconds": seconds(self.most_late),
        }

    def note_lateness(self, destroyed_at: datetime, deadlines: list[datetime]) -> None:
        """Records with these deadlines were destroyed at `destroyed_at`: count the late ones."""
        if deadlines:
            worst = destroyed_at - min(deadlines)
            self.most_late = worst if self.most_late is None else max(self.most_late, worst)
            self.late += sum(destroyed_at - deadline > LATE_AFTER for deadline in deadlines)


def seconds(delta: timedelta | None) -> int | None:
    """Whole seconds, or None."""
    return None if delta is None else int(delta.total_seconds())
