"""A refused form is shown again as it was sent (issue #31's one rule): the page it was posted from, rendered by
that page's own view, with every value typed, the reason beside the field refused and the focus on it.

A view that refuses calls `show_again`; the page's view builds its forms with `shown` (a WTForms form comes back
as it was validated) and its hand-written forms read `typed` and `refusal` (template globals).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, g, request


@dataclass(frozen=True)
class Refusal:
    """Why the form posted to `action` was refused, and which of its fields (None: the form as a whole)."""

    action: str
    field: str | None
    reason: str


def show_again(endpoint: str, /, form: Any = None, *, field: str | None = None, reason: str = "", **values: Any):
    """The page of `endpoint` (its view called with `values`) with the refused form as it was sent, answered
    400 (htmx swaps no 4xx: fragments answer their own refusals with 200)."""
    note(form, field=field, reason=reason)
    return current_app.view_functions[endpoint](**values), 400


def note(form: Any = None, *, field: str | None = None, reason: str = "") -> None:
    """Keep, for this request's rendering, that the form posted here was refused (and the WTForms form itself)."""
    if form is not None:
        g.refused_form = form
    g.refusal = Refusal(request.path, field, reason)


def shown(form_class: type, /, **defaults: Any) -> Any:
    """The form of this class a page shows: the refused one as it was sent, or a fresh one with `defaults`."""
    kept = g.get("refused_form")
    return kept if type(kept) is form_class else form_class(formdata=None, **defaults)


def refusal(action: str) -> Refusal | None:
    """Why the form posted to `action` was refused in this request, if it was."""
    found = g.get("refusal")
    return found if found is not None and found.action == action else None


def typed(action: str, name: str, default: object = "") -> object:
    """What was typed in field `name` of the form posted to `action`, when it was refused; else `default`."""
    return request.form.get(name, "") if refusal(action) is not None else default
