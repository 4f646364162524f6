"""Bad input gets a 4xx with a reason, never a 500: bounds for every integer a request carries, and a guard
against text no database column can hold.

Ids are INTEGER columns (32-bit on PostgreSQL), so a larger number is no record at all: the path converter
answers 404, query and form helpers treat it as absent or invalid. NUL cannot be stored in PostgreSQL text
(SQLite takes it silently), so a query or form value holding one is refused with 400 before any view runs.
A `?next=` address is followed only within this site.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, request, url_for
from werkzeug.routing import IntegerConverter
from wtforms.validators import NumberRange

MAX_ID = 2**31 - 1  # the largest INTEGER on PostgreSQL; SQLite's rowids are bigger, but ours never get there
MAX_PAGE = 100_000  # a page number (OFFSET) past every list we hold; further asks for nothing


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` everywhere (registered under the name "int"): 0 to MAX_ID, so a huge id is a 404."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # `map`: werkzeug names it so
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Replace the `int` converter (before any route is added)."""
    app.url_map.converters["int"] = BoundedIntConverter


def record_id(raw: str) -> int:
    """An id typed into a query or form (`request.form.get("lead_id", type=record_id)`): ValueError unless
    it is a whole number from 1 to MAX_ID, so werkzeug's `get` gives the default instead."""
    value = int(raw)
    if not 1 <= value <= MAX_ID:
        raise ValueError(f"{raw!r} is not an id")
    return value


def safe_next(target: str | None) -> str:
    """Where to go after signing in: `target` (a `?next=` value) if it is a same-site relative path, else the
    leads list (no open redirect)."""
    # Browsers read "/\\host" as "//host", so backslashes are refused too; control characters (CR/LF) cannot
    # go into a Location header at all (the redirect would fail after the login succeeded).
    if (
        target
        and target.isprintable()
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("pages.leads_list")


#: For IntegerField ids in forms.
ID_RANGE = NumberRange(min=1, max=MAX_ID, message="That is not one of ours.")


def refuse_nul() -> None:
    """Before each request (`pipeline`): 400 if a query or form value holds NUL."""
    for values in (request.args, request.form if request.mimetype != "application/json" else {}):
        if any("\x00" in value for value in values.values()):  # type: ignore[attr-defined]
            abort(400, "Text may not contain NUL characters.")
