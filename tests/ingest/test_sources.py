"""The Azure Table adapter against the real emulator (Azurite)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from azure.data.tables import TableClient

from leads.ingest.sources import LeadTable, SourceError
from tests.lead_samples import entity

pytestmark = pytest.mark.azurite


def fill(connection: str, name: str, count: int) -> TableClient:
    table = TableClient.from_connection_string(connection, name)
    for i in range(count):
        table.create_entity(entity(f"r{i:03d}", Description=f"lead {i}: Zoë, Jørgensen ✓"))
    return table


def test_pages_read_every_entity_once_a_page_at_a_time(lead_table):
    connection, name = lead_table
    fill(connection, name, 23).close()
    source = LeadTable(connection, name)
    pages = list(source.pages(since=None, page_size=10))
    assert [len(page) for page in pages] == [10, 10, 3]
    entities = [e for page in pages for e in page]
    assert sorted(e.row_key for e in entities) == [f"r{i:03d}" for i in range(23)]
    first = entities[0]
    assert first.partition_key == "2026-11" and first.timestamp.tzinfo is not None
    assert first.properties["Description"].endswith("Zoë, Jørgensen ✓")
    assert "PartitionKey" not in first.properties
    source.close()


def test_since_filters_on_the_service_timestamp(lead_table):
    connection, name = lead_table
    table = fill(connection, name, 3)
    source = LeadTable(connection, name)
    newest = max(e.timestamp for page in source.pages(since=None) for e in page)
    assert [e for page in source.pages(since=newest + timedelta(seconds=1)) for e in page] == []
    table.upsert_entity(entity("r001", Description="changed"))
    changed = [e for page in source.pages(since=newest + timedelta(milliseconds=1)) for e in page]
    assert [e.row_key for e in changed] == ["r001"]
    source.close()
    table.close()


def test_delete_is_idempotent_and_really_deletes(lead_table):
    connection, name = lead_table
    fill(connection, name, 2).close()
    source = LeadTable(connection, name)
    assert source.delete("2026-11", "r000") is True
    assert source.delete("2026-11", "r000") is False
    assert [e.row_key for page in source.pages(since=None) for e in page] == ["r001"]
    source.close()


def test_a_missing_table_reads_as_empty(azurite):
    source = LeadTable(azurite, "NoSuchTable")
    assert list(source.pages(since=None)) == []
    source.close()


@pytest.mark.parametrize("connection", ["", "not a connection string"])
def test_bad_connection_strings_are_a_clear_error(connection):
    with pytest.raises(SourceError):
        LeadTable(connection, "MarketplaceLeads")


def test_an_unreachable_service_is_a_clear_error():
    dead = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        "TableEndpoint=http://127.0.0.1:9/devstoreaccount1;"
    )
    source = LeadTable(dead, "MarketplaceLeads", retry_total=0)  # the SDK would otherwise back off and retry
    with pytest.raises(SourceError, match="reading the lead table failed"):
        list(source.pages(since=None))


def test_a_correction_is_merged_into_the_row_and_a_missing_row_is_not_an_error(lead_table):
    connection, name = lead_table
    table = TableClient.from_connection_string(connection, name)
    table.create_entity(entity("top", shape="top-level"))
    source = LeadTable(connection, name)
    assert source.correct("2026-11", "top", {"last_name": "Hopper", "phone": None}) is True
    row = table.get_entity("2026-11", "top")
    assert (row["LastName"], row["Phone"], row["FirstName"]) == ("Hopper", "", "Jane")
    assert source.correct("2026-11", "gone", {"last_name": "Hopper"}) is False
    source.close()
    table.close()
