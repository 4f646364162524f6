"""The Azure Table adapter: the only module that speaks to Azure (checked by import-linter).

Reads the Marketplace lead destination table page by page, and deletes a lead's entity when the
retention engine destroys it (so a later sync cannot bring it back).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from leads.rules import intake

PAGE_SIZE = 1000  # the most the Table service returns in one response


class SourceError(RuntimeError):
    """The lead table could not be read or written; the message says why (no secrets in it)."""


@dataclass(frozen=True)
class SourceEntity:
    """One table entity as plain data: its key, the service's last-write time, and its properties."""

    partition_key: str
    row_key: str
    timestamp: datetime
    properties: dict[str, Any]


class LeadTable:
    """The lead destination table named `table_name` in the account of `connection_string`."""

    read_in_process = True  # its pages are plain data: the sync may read them in a child process (readahead)

    def __init__(
        self, connection_string: str, table_name: str, *, page_size: int = PAGE_SIZE, **client_options: Any
    ) -> None:
        """`page_size`: entities per page read; `client_options` go to the SDK client (e.g. `retry_total`)."""
        self.page_size = page_size
        if not connection_string:
            raise SourceError("AZURE_TABLES_CONNECTION_STRING is not set")
        try:
            self._client: TableClient = TableClient.from_connection_string(
                connection_string, table_name, **client_options
            )
        except (ValueError, AzureError) as error:
            raise SourceError(f"cannot use the lead table connection string: {type(error).__name__}") from error

    def pages(self, *, since: datetime | None, page_size: int | None = None) -> Iterator[list[SourceEntity]]:
        """Entities written at or after `since` (all when None), one service page at a time."""
        query = "Timestamp ge @since" if since else "PartitionKey ne ''"
        parameters = {"since": since.astimezone(UTC)} if since else None
        per_page = page_size or self.page_size
        try:
            paged = self._client.query_entities(query, parameters=parameters, results_per_page=per_page)
            for page in paged.by_page():
                yield [_plain(entity) for entity in page]
        except ResourceNotFoundError:
            return  # no table yet: Partner Center creates it with the first lead
        except AzureError as error:
            raise SourceError(f"reading the lead table failed: {error}") from error

    def delete(self, partition_key: str, row_key: str) -> bool:
        """Delete one entity; True if it existed. Idempotent: deleting a missing entity is not an error."""
        try:
            self._client.get_entity(partition_key, row_key, select=["PartitionKey"])
        except ResourceNotFoundError:
            return False
        except AzureError as error:
            raise SourceError(f"reading the lead table failed: {error}") from error
        try:
            self._client.delete_entity(partition_key, row_key)
        except AzureError as error:
            raise SourceError(f"deleting from the lead table failed: {error}") from error
        return True

    def correct(self, partition_key: str, row_key: str, fields: Mapping[str, str | None]) -> bool:
        """Write a rectification (lead field -> corrected value) into one entity; True if it existed. A missing
        entity (erased meanwhile) is not an error. Merged only if nobody wrote the entity since it was read
        (ETag), so a concurrent write by Microsoft is never overwritten: SourceError, and the caller retries."""
        try:
            current = self._client.get_entity(partition_key, row_key)
        except ResourceNotFoundError:
            return False
        except AzureError as error:
            raise SourceError(f"reading the lead table failed: {error}") from error
        merge = {"PartitionKey": partition_key, "RowKey": row_key, **intake.corrected(current, fields)}
        try:
            self._client.update_entity(
                merge,
                mode=UpdateMode.MERGE,
                etag=current.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            )
        except ResourceNotFoundError:
            return False
        except AzureError as error:
            raise SourceError(f"correcting the lead table failed: {error}") from error
        return True

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self._client.close()


def _plain(entity: Any) -> SourceEntity:
    properties = {key: value for key, value in entity.items() if key not in ("PartitionKey", "RowKey")}
    timestamp = entity.metadata.get("timestamp")
    return SourceEntity(
        partition_key=entity["PartitionKey"],
        row_key=entity["RowKey"],
        timestamp=timestamp.astimezone(UTC) if timestamp else datetime.min.replace(tzinfo=UTC),
        properties=properties,
    )


def lead_table(config: Mapping[str, Any]) -> LeadTable | None:
    """The lead table an app's config names, or None when AZURE_TABLES_CONNECTION_STRING is unset."""
    if not config["AZURE_TABLES_CONNECTION_STRING"]:
        return None
    return LeadTable(config["AZURE_TABLES_CONNECTION_STRING"], config["LEADS_TABLE_NAME"])
