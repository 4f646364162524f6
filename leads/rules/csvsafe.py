"""CSV that is safe to open in a spreadsheet. Pure: standard library only.

A cell that starts with "=", "+", "-", "@", a tab or a carriage return can be run as a formula by Excel,
LibreOffice or Google Sheets (CSV injection). Following OWASP's guidance, such a cell is prefixed with a single
quote, which makes the spreadsheet show it as text. Lead data comes from strangers (Marketplace forms, email),
so every exported cell goes through here, the header too.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """`value` as CSV cell text: None is "", anything else str(); a formula-like start gets a leading "'".

    Numbers are not special: -5 becomes "'-5". OWASP accepts that cost rather than guess what is a number.
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(DANGEROUS_PREFIXES) else text


def safe_row(values: Iterable[object]) -> list[str]:
    """Every value of a row made safe by `safe_cell`."""
    return [safe_cell(value) for value in values]


class _Echo:
    """A file whose write() hands the text back, so csv.writer formats one row at a time without a buffer."""

    def write(self, text: str) -> str:
        return text


def write_csv(rows: Iterable[Sequence[object]], header: Sequence[str]) -> Iterator[str]:
    """The header, then each row, as CSV text (one string per row, "\\r\\n"-terminated), every cell made safe.

    Lazy: a row is read from `rows` only when its line is asked for, so a large export streams.
    """
    writer = csv.writer(_Echo())
    yield writer.writerow(safe_row(header))
    for row in rows:
        yield writer.writerow(safe_row(row))
