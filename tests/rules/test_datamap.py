"""The personal-data map classifies every table and column the app stores; a new one cannot be forgotten."""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table
from sqlmodel import SQLModel

import leads.models  # noqa: F401 - registers every table on SQLModel.metadata
from leads.rules import datamap, schedule
from leads.rules.purposes import PURPOSES


def tables_of(metadata: MetaData) -> dict[str, tuple[str, ...]]:
    return {table.name: tuple(column.name for column in table.columns) for table in metadata.sorted_tables}


def test_every_table_and_column_of_the_models_is_in_the_map():
    assert datamap.problems(tables_of(SQLModel.metadata)) == []


def test_a_column_added_without_a_map_entry_fails_the_check():
    copy = MetaData()
    for table in SQLModel.metadata.sorted_tables:
        table.to_metadata(copy)
    copy.tables["lead"].append_column(Column("nickname", String(50)))
    Table("newsletter", copy, Column("id", String(10), primary_key=True), Column("email", String(254)))
    assert datamap.problems(tables_of(copy)) == [
        "table 'newsletter' is not in the personal-data map",
        "lead.nickname is not classified",
    ]


def test_customer_tables_carry_purpose_basis_source_recipients_retention_finding_and_erasure():
    customer = {name: held for name, held in datamap.MAP.items() if held.subject == "customer"}
    assert {"lead", "consentrecord", "installation", "quarantinedentity", "rightsrequest"} <= set(customer)
    for name, held in customer.items():
        assert held.personal, name
        assert all(PURPOSES[p].basis_label for p in held.purposes)
        assert schedule.SCHEDULE[held.retention].citation.startswith("Privacy notice lines")
        assert held.erasure in datamap.ERASURE and held.why


def test_portability_follows_rules_md_provided_and_held_on_consent():
    portable = {name for name, held in datamap.MAP.items() if held.portable}
    assert portable == {"lead", "consentrecord", "rightsrequest", "rectification"}
    assert not datamap.MAP["installation"].portable  # legitimate interests only (line 36)
