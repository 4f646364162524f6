"""The letter's grouping and translation: codes into words, UK days, groups by purpose. Pure, explicit `now`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leads.rules import bundle, letter

NOW = datetime(2026, 7, 1, 8, 5, tzinfo=UTC)  # 9:05am in London (BST)
LEAD = {"first_name": "Zoë", "email": "z@x.example", "phone": "+44 20 7946 4912", "action_code": "INS"}
LEAD |= {"offer": "coremem.radnac-trial", "lead_source": "AzurePortal-INS|coremem.radnac-trial"}
LEAD |= {"created_at_ms": "2026-06-30T23:30:00+00:00"}


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2026-06-30T23:30:00+00:00", "1 July 2026"),  # after midnight in London
        ("2026-12-31T23:30:00+00:00", "31 December 2026"),  # GMT
        ("2026-11-17", "17 November 2026"),
        (None, ""),
    ],
)
def test_days_are_uk_days_in_words(value, words):
    assert letter.day(value) == words


def test_the_letter_is_dated_in_uk_time():
    assert letter.moment(NOW) == "1 July 2026 at 9:05am (UK time)"


def test_a_lead_is_said_in_words():
    assert letter.words("lead", LEAD) == {
        "details": "your name, email address and phone number",
        "action": "you started an install",
        "offer": "RADNAC Trial",
        "where": "the Azure portal",
        "on": "1 July 2026",
    }


def test_groups_follow_the_purposes_and_portability_keeps_only_its_scope():
    leads = bundle.Section("lead", "Leads", "service", tuple(LEAD), [LEAD], purposes=("service", "marketing"))
    leads = bundle.Section(**{**leads.__dict__, "portable_scope": True})
    notes = bundle.Section("leadnote", "Notes", "service", ("body",), [{"body": "rang"}])
    empty = bundle.Section("legalhold", "Holds", "queries", ("reason",), [])
    access = letter.build(kind="access", person={"name": "Zoë"}, sections=[leads, notes, empty], now=NOW)
    assert [(g.purpose, [i.name for i in g.items]) for g in access.groups] == [("service", ["lead", "leadnote"])]
    assert "portability" not in access.groups[0].rights and access.groups[0].items[0].portable
    moved = letter.build(kind="portability", person={}, sections=[leads, notes, empty], now=NOW)
    assert [(g.purpose, [i.name for i in g.items]) for g in moved.groups] == [("marketing", ["lead"])]
    assert "portability" in moved.groups[0].rights and "objection" not in moved.groups[0].rights
