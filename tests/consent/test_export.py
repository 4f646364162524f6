"""The marketing list export: consent current at the moment of export, spreadsheet-safe, audited before data leaves."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from leads.consent import export as list_export
from leads.consent import marketing
from leads.models import AuditEvent
from tests.factories import PINNED_NOW, Clock
from tests.marketing_samples import give, make_lead, make_list


def _on_list(session, *leads):
    target = make_list(session)
    for lead in leads:
        give(session, lead)
    marketing.add_to_list(
        session=session, list_id=target.id, lead_ids=[lead.id for lead in leads], actor="t", now=PINNED_NOW
    )
    return target


def _rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")  # Excel then reads it as UTF-8
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.mark.parametrize(
    ("typed", "safe"),
    [
        ('=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Zoë Müller", "Zoë Müller"),
    ],
)
def test_every_cell_is_safe_to_open_in_a_spreadsheet(session, clock, typed, safe):
    lead = make_lead(session, 1, company=typed)
    target = _on_list(session, lead)
    export = list_export.export_list(session=session, list_id=target.id, actor="t", clock=clock)
    header, row = _rows("".join(export.lines))
    assert header == list(list_export.EXPORT_HEADER)
    assert row == ["Person1", "Tester", "p1@x.example", safe, "", "", "2026-11-15 09:30", "notice v1"]


def test_only_people_whose_consent_is_current_at_the_moment_of_export(session, clock):
    stays, withdrew, restricted = make_lead(session, 1), make_lead(session, 2), make_lead(session, 3)
    target = _on_list(session, stays, withdrew, restricted)
    clock.now = PINNED_NOW + timedelta(days=1)
    give(session, withdrew, at=clock.now, granted=False)
    restricted.processing_restricted = True
    session.add(restricted)
    session.commit()

    export = list_export.export_list(session=session, list_id=target.id, actor="t", clock=clock)
    rows = _rows("".join(export.lines))

    assert [row[2] for row in rows[1:]] == ["p1@x.example"]
    assert export.count.included == 1 and export.count.finished
    assert [(lead_id, reason.split(" ")[0]) for lead_id, _name, reason in export.count.left_out] == [
        (withdrew.id, "Marketing"),
        (restricted.id, "This"),
    ]


def test_a_withdrawal_during_a_long_export_takes_effect_for_the_rest(app, session, clock):
    first, second = make_lead(session, 1), make_lead(session, 2)
    target = _on_list(session, first, second)
    export = list_export.export_list(session=session, list_id=target.id, actor="t", clock=clock, chunk=1)
    lines = iter(export.lines)
    assert next(lines) == "\ufeff" and next(lines).startswith("First name")
    assert "p1@x.example" in next(lines)  # the first chunk has left

    clock.now += timedelta(seconds=30)  # the second person withdraws while the export runs
    with Session(app.extensions["radnac.engine"]) as elsewhere:
        give(elsewhere, elsewhere.get(type(second), second.id), at=clock.now, granted=False)

    assert list(lines) == []
    assert [lead_id for lead_id, _name, _reason in export.count.left_out] == [second.id]


def test_each_chunk_is_audited_before_its_rows_leave(app, session, clock):
    lead = make_lead(session, 1)
    target = _on_list(session, lead)
    lines = list_export.export_list(session=session, list_id=target.id, actor="t", clock=clock).lines
    next(lines), next(lines)  # BOM and header: no personal data yet
    next(lines)  # the person's row

    with Session(app.extensions["radnac.engine"]) as elsewhere:  # another connection sees the committed proof
        actions = list(
            elsewhere.exec(select(AuditEvent.action).where(AuditEvent.action.startswith("marketing_list.export")))
        )
        assert sorted(actions) == ["marketing_list.export", "marketing_list.export"]  # the list's, and the person's
    list(lines)
    finished = session.exec(select(AuditEvent).where(AuditEvent.action == "marketing_list.export.finished")).one()
    assert json.loads(finished.details) == {"list_id": target.id, "included": 1, "left_out": 0}  # by id (#29)
    assert finished.record_type == "marketing_list"


def test_an_empty_list_exports_its_header(session, clock):
    target = make_list(session)
    export = list_export.export_list(session=session, list_id=target.id, actor="t", clock=clock)
    assert _rows("".join(export.lines)) == [list(list_export.EXPORT_HEADER)]


def test_an_unknown_list_cannot_be_exported(session):
    with pytest.raises(marketing.MarketingError):
        list_export.export_list(session=session, list_id=404, actor="t", clock=Clock(PINNED_NOW))


@pytest.mark.parametrize(
    ("name", "filename"),
    [
        ('Launch 2026/Q1 "VIP"', "marketing-launch-2026-q1-vip-20261125-0930.csv"),
        ("Früh ☃ Kunden", "marketing-fruh-kunden-20261125-0930.csv"),
        ("../../etc/passwd", "marketing-etc-passwd-20261125-0930.csv"),
        ("a\r\nSet-Cookie: x=1", "marketing-a-set-cookie-x-1-20261125-0930.csv"),
        ("☃☃☃", "marketing-list-20261125-0930.csv"),
        ("x" * 300, f"marketing-{'x' * 60}-20261125-0930.csv"),
    ],
)
def test_the_file_name_is_safe_anywhere(name, filename):
    assert list_export.export_filename(name, PINNED_NOW) == filename
