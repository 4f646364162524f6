"""Queries for the leads and installations pages. Read-only for now; each function takes the session first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlmodel import Session, func, select

from leads.models import Installation, InstallEvent, Lead
from leads.rules import lifecycle

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of results and what the pager needs to draw itself."""

    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _paginate(session: Session, model: type[T], order_by: tuple, page: int, per_page: int) -> Page[T]:
    """One page of `model` rows in `order_by` order; `page` is clamped to the valid range."""
    total = session.exec(select(func.count()).select_from(model)).one()
    page = min(max(page, 1), max(1, -(-total // per_page)))
    query = select(model).order_by(*order_by).offset((page - 1) * per_page).limit(per_page)
    return Page(items=list(session.exec(query)), page=page, per_page=per_page, total=total)


def get_lead(*, session: Session, lead_id: int) -> Lead | None:
    """The lead with that id, or None."""
    return session.get(Lead, lead_id)


def list_installations(*, session: Session, page: int, per_page: int) -> Page[Installation]:
    """Installations by most recent event first, one page."""
    order = (Installation.last_event_at.desc(), Installation.id.desc())  # type: ignore[attr-defined,union-attr]
    return _paginate(session, Installation, order, page, per_page)


def get_installation(*, session: Session, installation_id: int) -> tuple[Installation, list[InstallEvent]] | None:
    """The installation and its notifications in event order, or None."""
    installation = session.get(Installation, installation_id)
    if installation is None:
        return None
    events = session.exec(
        select(InstallEvent)
        .where(InstallEvent.installation_id == installation_id)
        .order_by(InstallEvent.event_time, InstallEvent.id)  # type: ignore[arg-type]
    )
    return installation, list(events)


def earlier_deployments(events: list[InstallEvent]) -> dict[int, datetime]:
    """For each notification of a deployment that is not the current one, its deployment's uninstall (the
    start of the 90-day clock it goes by); the current deployment's go by the installation's own countdown."""
    observed = [lifecycle.Observed(e.event_type, e.provisioning_state, e.event_time) for e in events]
    found = lifecycle.deployments(observed) if events else []
    return {events[i].id: d.uninstalled_at for d in found[:-1] if d.uninstalled_at for i in d.events}  # type: ignore[misc]
