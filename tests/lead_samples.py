"""Lead table entities shaped as Microsoft documents them (../shared/AZURE.md, section 1)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from leads.ingest.sources import SourceEntity

SOURCE_TIMESTAMP = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # when the source last changed an entity


def customer_info(**overrides: Any) -> dict[str, Any]:
    """A full set of documented customer fields."""
    info = {
        "FirstName": "Jane",
        "LastName": "Doe",
        "Email": "jane.doe@contoso.example",
        "Phone": "+1 425 555 0100",
        "Country": "US",
        "Company": "Contoso",
        "Title": "Cloud Architect",
    }
    info.update(overrides)
    return {key: value for key, value in info.items() if value is not None}


def entity(
    row_key: str,
    *,
    shape: str = "CustomerInfo",
    action: str = "INS",
    info: dict | None = None,
    created: str | None = "2026-11-20T10:15:00.1234567Z",
    **extra: Any,
) -> dict[str, Any]:
    """One entity: customer details as a `CustomerInfo`/`UserDetails` JSON string or top-level properties."""
    info = customer_info() if info is None else info
    body: dict[str, Any] = {
        "PartitionKey": "2026-11",
        "RowKey": row_key,
        "LeadSource": f"AzureMarketplace-{action}|coremem.radnac",
        "ActionCode": action,
        "OfferDisplayName": "RADNAC",
        "PublisherDisplayName": "coreMem Limited",
        "Description": "Customer clicked Get It Now",
    }
    if created is not None:
        body["CreatedTime"] = created
    if shape == "top-level":
        body.update(info)
    elif info:
        body[shape] = json.dumps(info, ensure_ascii=False)
    body.update(extra)
    return body


def microsoft_test_lead(row_key: str) -> dict[str, Any]:
    """Microsoft's validation lead: every field MSFT_TEST_<digits>."""
    value = "MSFT_TEST_636573304831318844"
    info = {key: value for key in ("FirstName", "LastName", "Email", "Phone", "Country", "Company", "Title")}
    return entity(row_key, info=info, OfferDisplayName=value, Description=value)


def source_entity(raw: dict, at: datetime = SOURCE_TIMESTAMP) -> SourceEntity:
    """`raw` (an entity above) as the source adapter hands it to sync, last changed at `at`."""
    properties = {k: v for k, v in raw.items() if k not in ("PartitionKey", "RowKey")}
    return SourceEntity(raw["PartitionKey"], raw["RowKey"], at, properties)
