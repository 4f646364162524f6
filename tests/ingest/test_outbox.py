"""Queued rows sent to the source one at a time: deleted once delivered, kept with the reason at the first
failure, and the rest left for the next pass."""

from __future__ import annotations

from sqlmodel import select

from leads.ingest import outbox
from leads.models import SourceCorrection
from tests.factories import PINNED_NOW


def queued(session, *row_keys):
    rows = [SourceCorrection(partition_key="p", row_key=key, fields="{}", queued_at=PINNED_NOW) for key in row_keys]
    session.add_all(rows)
    session.commit()
    return rows


def test_every_delivered_row_leaves_the_queue(session):
    delivered = []
    sent, finished = outbox.send(session, queued(session, "a", "b"), lambda row: delivered.append(row.row_key), [])
    assert (sent, finished, delivered) == (2, True, ["a", "b"])
    assert session.exec(select(SourceCorrection)).all() == []


def test_the_first_failure_keeps_that_row_and_the_rest_with_the_reason(session):
    def deliver(row):
        if row.row_key == "b":
            raise ConnectionError("table unreachable")

    errors = []
    sent, finished = outbox.send(session, queued(session, "a", "b", "c"), deliver, errors)
    assert (sent, finished, errors) == (1, False, ["table unreachable"])
    left = session.exec(select(SourceCorrection).order_by(SourceCorrection.id)).all()
    assert [(row.row_key, row.attempts, row.last_error) for row in left] == [
        ("b", 1, "table unreachable"),
        ("c", 0, None),
    ]
