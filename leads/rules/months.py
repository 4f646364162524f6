"""Calendar-month arithmetic, said once for the retention schedule and the rights deadlines."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypeVar

from dateutil.relativedelta import relativedelta

D = TypeVar("D", date, datetime)


def add_months(moment: D, months: int) -> D:
    """`moment` moved by whole calendar months; a day the target month lacks becomes its last day.

    31 January + 1 month = 28 (or 29) February. Clamping down, never rolling over into the next month, is what
    "no more than" needs: a deadline may come earlier, never later. The time of day and zone are kept.
    """
    return moment + relativedelta(months=months)
