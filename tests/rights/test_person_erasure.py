"""Erasure reaches everything the personal-data map finds; the request is kept, then reduced to an outline."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import String, Text, select
from sqlmodel import SQLModel

from leads.models import RightsRequest, Tombstone
from leads.retention import sweeper
from leads.rights import actions, register
from tests.factories import PINNED_NOW, ada_everywhere


def _is_text(column) -> bool:
    kind = column.type
    return isinstance(kind, String | Text) or isinstance(getattr(kind, "impl", None), String | Text)


def text_hits(session, needles: tuple[str, ...], skip: set[str]) -> list[str]:
    """Every (table.column) whose text holds any needle (case-insensitive), over every table of the models."""
    hits = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name in skip:
            continue
        for column in (c for c in table.columns if _is_text(c)):
            for value in session.execute(select(column).where(column.is_not(None))).scalars():
                if any(needle in value.casefold() for needle in needles):
                    hits.append(f"{table.name}.{column.name}")
    return sorted(set(hits))


def test_after_erasure_no_text_column_anywhere_holds_the_persons_email_or_name(session, make_user):
    request, _earlier, actor = ada_everywhere(session, make_user, kind="erasure")
    needles = ("ada@x.example", "lovelace")
    assert "lead.email" in text_hits(session, needles, set())  # the scan finds them while they are there
    actions.erase(session=session, request=request, actor=actor, now=PINNED_NOW, tombstone_key="k", source=None)
    # The request records are the one thing kept (RULES.md: 3 years after closing, then an outline).
    assert text_hits(session, needles, {"rightsrequest"}) == []
    assert session.exec(select(Tombstone.kind)).all()


def test_a_closed_request_keeps_its_details_three_years_then_the_sweeper_outlines_it(session, make_user):
    request, earlier, actor = ada_everywhere(session, make_user)
    register.close(
        session=session, request=earlier, status="completed", outcome="Restricted Ada", actor=actor, now=PINNED_NOW
    )
    later = PINNED_NOW.replace(year=PINNED_NOW.year + 3) - timedelta(seconds=1)
    sweeper.sweep(session=session, now=later, source=None, tombstone_key="k", holder="t")
    session.refresh(earlier)
    assert earlier.requester_email and earlier.outlined_at is None
    report = sweeper.sweep(
        session=session, now=later + timedelta(seconds=1), source=None, tombstone_key="k", holder="t"
    )
    session.refresh(earlier)
    assert report.destroyed["rights_request"] == 1
    kept = (earlier.kind, earlier.status, earlier.received_on, earlier.closed_on)
    assert kept == ("restriction", "completed", earlier.received_on, PINNED_NOW.date())
    assert (earlier.requester_name, earlier.requester_email, earlier.details, earlier.outcome) == ("", "", None, None)
    assert session.get(RightsRequest, request.id).requester_email  # still open: kept whole
