"""What other records copy of a lead to find it by: the linked installations' copy of its search keys
(`Installation.lead_name_key`, `lead_last_key`, `lead_company_key`), kept in step when the lead is renamed or
destroyed. Linking and unlinking set them (`Installation.link`). The caller commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update
from sqlmodel import Session, col

from leads.models import Installation, Lead, linked_lead_keys

NAMED_BY = ("first_name", "last_name", "company")  # the lead's fields its installations' keys come from


def follow_rename(*, session: Session, lead: Lead, changed: Sequence[str]) -> None:
    """Call when `changed` fields of `lead` were just set: if its name, surname or company is among them, its
    linked installations' copy of its keys follows (one statement)."""
    if lead.id is None or not set(changed) & set(NAMED_BY):
        return
    statement = update(Installation).where(col(Installation.lead_id) == lead.id).values(**linked_lead_keys(lead))
    session.execute(statement)


def forget_unlinked(*, session: Session, installation_ids: Sequence[int]) -> None:
    """Clear the lead keys of those of `installation_ids` that no longer have a lead (it was destroyed, and the
    database set their `lead_id` to NULL): a destroyed lead's name must not stay findable here."""
    if installation_ids:
        statement = (
            update(Installation)
            .where(col(Installation.id).in_(sorted(installation_ids)), col(Installation.lead_id).is_(None))
            .values(**linked_lead_keys(None))
        )
        session.execute(statement)
