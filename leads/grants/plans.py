"""Plan permission models (notice lines 86-88): which plans let coreMem reach a customer's deployment.

A small admin-editable mapping from plan name to "locked" or "publisher_managed". A plan not in the
mapping counts as locked: no access is the safe default (line 88 recommends locked mode).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from leads.grants import lapse
from leads.models import PlanPermission, User
from leads.staff import audit

MODELS = {"locked": "Locked mode: no access", "publisher_managed": "Publisher managed: access with written consent"}
DEFAULT = "locked"


def model_for(*, session: Session, plan_name: str | None) -> str:
    """The permission model of `plan_name`; unknown or missing plans are locked."""
    if not plan_name:
        return DEFAULT
    row = session.exec(select(PlanPermission).where(PlanPermission.plan_name == plan_name)).first()
    return row.model if row else DEFAULT


def mapping(*, session: Session) -> list[PlanPermission]:
    """Every configured plan, by name."""
    return list(session.exec(select(PlanPermission).order_by(col(PlanPermission.plan_name))))


def set_model(*, session: Session, plan_name: str, model: str, actor: User | str, now: datetime) -> PlanPermission:
    """Create or change one plan's model. Audited. Commits. Switching to locked mode lapses the plan's open
    grants at once: locked mode gives no access at all (line 88)."""
    plan_name = plan_name.strip()
    if model not in MODELS or not plan_name:
        raise ValueError("Give a plan name and choose locked or publisher managed.")
    row = session.exec(select(PlanPermission).where(PlanPermission.plan_name == plan_name)).first()
    before = row.model if row else None
    row = row or PlanPermission(plan_name=plan_name, model=model, updated_by="", updated_at=now)
    row.model, row.updated_at = model, now
    row.updated_by = actor.email if isinstance(actor, User) else actor
    session.add(row)
    if model == "locked":
        lapse.lapse_for_plan(session=session, plan_name=plan_name, now=now, actor=actor)
    change = {"before": before, "after": model}
    audit.commit(session=session, at=now, actor=actor, action="plan.permission", on=("plan", plan_name), details=change)
    return row
