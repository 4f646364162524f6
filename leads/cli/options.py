"""Options the commands share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


def per_transaction(name: str, *, most: int, default: int, help: str) -> Callable[[Callable[..., Any]], Any]:
    """A `name` option for how many records one transaction takes (1 to `most`), its default shown in --help."""
    return click.option(name, type=click.IntRange(1, most), default=default, show_default=True, help=help)
