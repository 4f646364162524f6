"""Saved views: a member of staff's named filters and sort for the leads or installations list."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session, col, select

from leads.models import SavedView, User

PAGES = ("leads", "installations")
PAGING = ("after", "before", "start", "select")  # where a page sits is not part of a view
# Nor is the search text: it may name a person, and a saved view is kept as long as its member of staff is,
# outside every retention clock (no personal data where no clock reaches it).
NOT_KEPT = (*PAGING, "q")


class ViewError(ValueError):
    """The view cannot be saved or removed; the message says why."""


def save(*, session: Session, user: User, page: str, name: str, args: Mapping[str, str], now: datetime) -> SavedView:
    """Save (or overwrite, by name) the list's current filters and sort as a view of `user`'s. Commits."""
    name = " ".join(name.split())[:100]
    if page not in PAGES or not name:
        raise ViewError("Give the view a name.")
    query = urlencode(sorted((k, v) for k, v in args.items() if k not in NOT_KEPT and v))[:2000]
    found = session.exec(
        select(SavedView).where(SavedView.user_id == user.id, SavedView.page == page, SavedView.name == name)
    ).first()
    view = found or SavedView(user_id=user.id, page=page, name=name, query=query, created_at=now)
    view.query = query
    session.add(view)
    session.commit()
    return view


def for_user(*, session: Session, user: User, page: str) -> list[SavedView]:
    """`user`'s views of `page`, by name."""
    query = select(SavedView).where(SavedView.user_id == user.id, SavedView.page == page)
    return list(session.exec(query.order_by(col(SavedView.name))))


def for_user_choices(*, user_id: int, page: str) -> Any:
    """`user`'s views of `page` as (id, name, query) rows, for a list page to send with its other choices
    (`leads.workspace.listpages`), which orders them by name."""
    return select(col(SavedView.id), col(SavedView.name), col(SavedView.query)).where(
        SavedView.user_id == user_id, SavedView.page == page
    )


def remove(*, session: Session, user: User, view_id: int) -> SavedView:
    """Remove one of `user`'s views (nobody removes another's). Commits."""
    view = session.get(SavedView, view_id)
    if view is None or view.user_id != user.id:
        raise ViewError("There is no such view of yours.")
    session.delete(view)
    session.commit()
    return view
