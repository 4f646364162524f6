"""Lead sync: unit tests with a fake source, and the real command against Azurite."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest
from azure.data.tables import TableClient, UpdateMode
from sqlmodel import func, select

from leads import tombstones
from leads.ingest import sync
from leads.ingest.sources import SourceEntity
from leads.models import Lead, QuarantinedEntity, SyncRun, Tombstone
from leads.rules import intake
from tests.factories import PINNED_NOW
from tests.lead_samples import SOURCE_TIMESTAMP, customer_info, entity, microsoft_test_lead, source_entity

KEY = "test-tombstone-key"
T0 = SOURCE_TIMESTAMP


class FakeSource:
    """Pages of entities; `crash_after` raises after that many pages; records the `since` it was asked for."""

    def __init__(self, pages: list[list[SourceEntity]], crash_after: int | None = None) -> None:
        self._pages, self._crash_after, self.asked_since = pages, crash_after, []

    def pages(self, *, since):
        self.asked_since.append(since)
        for number, page in enumerate(self._pages):
            if number == self._crash_after:
                raise ConnectionError("connection reset by peer")
            yield [e for e in page if since is None or e.timestamp >= since]


def run(session, source, clock=lambda: PINNED_NOW):
    return sync.run(session=session, source=source, clock=clock, tombstone_key=KEY, overlap=timedelta(minutes=15))


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_new_then_unchanged_then_updated(session):
    page = [source_entity(entity(f"r{i}")) for i in range(3)]
    first = run(session, FakeSource([page]))
    assert (first.new, first.updated, first.unchanged, first.status) == (3, 0, 0, "succeeded")
    again = run(session, FakeSource([page]))
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)
    changed = [source_entity(entity("r1", info=customer_info(Title="CTO")), T0 + timedelta(hours=1))]
    update = run(session, FakeSource([changed]))
    assert (update.new, update.updated) == (0, 1)
    lead = session.exec(select(Lead).where(Lead.source_row_key == "r1")).one()
    assert lead.job_title == "CTO"
    assert count(session, Lead) == 3


def test_new_leads_are_written_as_one_batch_and_are_searchable_at_once(session):
    from leads.workspace import leadlist
    from tests.sqlplan import statements

    info = [customer_info(FirstName=f"Zoë{i}", Company=None if i % 2 else "Contoso", Phone=None) for i in range(4)]
    page = [source_entity(entity(f"r{i}", info=info[i])) for i in range(4)]
    inserts = statements(session, lambda: run(session, FakeSource([page])), containing="INSERT INTO lead ")
    # One executemany of every row, though the rows differ in which fields are empty.
    assert [(many, len(parameters)) for _statement, parameters, many in inserts] == [(True, 4)]
    lead = session.exec(select(Lead).where(Lead.source_row_key == "r0")).one()
    assert (lead.name_key, lead.company_key, lead.nurture_status, lead.received_at) == (
        "zoe0 doe",  # accents folded for search (issue #19)
        "contoso",
        "new",
        datetime(2026, 11, 20, 10, 15, 0, 123456, tzinfo=UTC),
    )
    query = leadlist.parse({"q": "zoë"})
    assert leadlist.list_leads(session=session, query=query, now=PINNED_NOW, per_page=10).total == 4


def test_staff_fields_survive_a_resync(session):
    run(session, FakeSource([[source_entity(entity("r1"))]]))
    lead = session.exec(select(Lead)).one()
    lead.nurture_status = "qualified"
    session.add(lead)
    session.commit()
    run(session, FakeSource([[source_entity(entity("r1", info=customer_info(Phone="+44 1")), T0 + timedelta(1))]]))
    session.refresh(lead)
    assert (lead.nurture_status, lead.phone) == ("qualified", "+44 1")


def test_malformed_entities_are_quarantined_and_the_batch_lands(session):
    page = [
        source_entity(entity("good1")),
        source_entity(entity("bad", CustomerInfo="{oops")),
        source_entity(entity("good2")),
        source_entity(microsoft_test_lead("msft")),
    ]
    result = run(session, FakeSource([page]))
    assert (result.new, result.quarantined) == (3, 1)
    row = session.exec(select(QuarantinedEntity)).one()
    assert row.row_key == "bad" and "CustomerInfo is not valid JSON" in row.reason
    assert session.exec(select(Lead).where(Lead.source_row_key == "msft")).one().is_test
    fixed = [source_entity(entity("bad"), T0 + timedelta(hours=2))]
    assert run(session, FakeSource([fixed])).new == 1
    assert count(session, QuarantinedEntity) == 0  # fixed at the source: out of quarantine


def test_tombstoned_leads_are_skipped(session):
    session.add(
        Tombstone(
            kind="lead",
            opaque_id="t1",
            source_key_hash=tombstones.source_key_hash(KEY, "2026-11", "gone"),
            rule="lead: 3 years",
            destroyed_at=PINNED_NOW,
            actor="system:test",
        )
    )
    session.commit()
    result = run(session, FakeSource([[source_entity(entity("gone")), source_entity(entity("kept"))]]))
    assert (result.new, result.skipped) == (1, 1)
    assert session.exec(select(Lead.source_row_key)).all() == ["kept"]


def test_watermark_advances_with_an_overlap(session):
    first = FakeSource([[source_entity(entity("a"), T0)]])
    run(session, first)
    second = FakeSource([[source_entity(entity("a"), T0), source_entity(entity("b"), T0 + timedelta(minutes=5))]])
    result = run(session, second)
    assert first.asked_since == [None]
    assert second.asked_since == [T0 - timedelta(minutes=15)]
    assert (result.new, result.unchanged) == (1, 1)


def test_a_crash_mid_run_then_a_rerun_leaves_every_lead_once(session):
    pages = [[source_entity(entity(f"p{p}r{r}")) for r in range(3)] for p in range(3)]
    with pytest.raises(ConnectionError):
        run(session, FakeSource(pages, crash_after=2))
    crashed = session.exec(select(SyncRun)).one()
    assert crashed.status == "failed" and "connection reset" in crashed.error and crashed.high_watermark is None
    assert count(session, Lead) == 6  # two whole pages landed; nothing half-written
    rerun = run(session, FakeSource(pages))
    assert (rerun.new, rerun.unchanged) == (3, 6)
    assert count(session, Lead) == 9


def test_asked_to_stop_the_sync_ends_after_the_page_in_hand_and_keeps_its_watermark(session):
    pages = [[source_entity(entity(f"p{p}r{r}"), T0 + timedelta(minutes=p)) for r in range(3)] for p in range(3)]
    stopped = sync.run(
        session=session,
        source=FakeSource(pages),
        clock=lambda: PINNED_NOW,
        tombstone_key=KEY,
        overlap=timedelta(minutes=15),
        should_stop=lambda: True,
    )
    assert (stopped.status, stopped.pages, stopped.new, stopped.high_watermark) == ("stopped", 1, 3, None)
    assert count(session, Lead) == 3 and sync.last_watermark(session=session) is None
    rerun = run(session, FakeSource(pages))
    assert (rerun.status, rerun.new, rerun.unchanged) == ("succeeded", 6, 3)


class PlainDataSource(FakeSource):
    """A fake whose pages are plain data, as the real lead table's are: read in a child process."""

    read_in_process = True


def test_a_source_of_plain_data_is_read_in_a_child_process_and_every_page_lands(session):
    pages = [[source_entity(entity(f"p{p}r{r}"), T0 + timedelta(minutes=p)) for r in range(3)] for p in range(4)]
    done = run(session, PlainDataSource(pages))
    assert (done.status, done.pages, done.new, done.high_watermark) == ("succeeded", 4, 12, T0 + timedelta(minutes=3))
    assert count(session, Lead) == 12 and multiprocessing.active_children() == []


def test_a_stopped_or_failed_sync_leaves_no_reader_process_behind(session):
    pages = [[source_entity(entity(f"p{p}"))] for p in range(50)]
    stopped = sync.run(
        session=session,
        source=PlainDataSource(pages),
        clock=lambda: PINNED_NOW,
        tombstone_key=KEY,
        overlap=timedelta(minutes=15),
        should_stop=lambda: True,
    )
    assert (stopped.status, stopped.pages) == ("stopped", 1)
    assert multiprocessing.active_children() == []
    with pytest.raises(ConnectionError, match="reset by peer"):
        run(session, PlainDataSource(pages, crash_after=3))
    failed = session.exec(select(SyncRun).where(SyncRun.status == "failed")).one()
    assert failed.error.startswith("ConnectionError: connection reset by peer")  # the source's, no page named
    assert multiprocessing.active_children() == []


def test_received_at_is_the_earliest_of_created_time_first_sight_and_timestamp(session):
    page = [
        source_entity(entity("with")),
        source_entity(entity("without", created=None)),
        source_entity(entity("no-timestamp", created=None), datetime.min.replace(tzinfo=UTC)),
    ]
    run(session, FakeSource([page]))
    leads = {lead.source_row_key: lead for lead in session.exec(select(Lead))}
    assert leads["with"].received_at == datetime(2026, 11, 20, 10, 15, 0, 123456, tzinfo=UTC)
    assert leads["without"].received_at == T0  # the entity's Timestamp, before first sight
    # The adapter's stand-in for a missing Timestamp (year 1) is no start: first sight is.
    assert leads["no-timestamp"].received_at == PINNED_NOW == leads["no-timestamp"].first_seen_at


# --- against the real emulator -----------------------------------------------------------------------


def write(table: TableClient, raw: dict) -> None:
    table.upsert_entity(raw, mode=UpdateMode.REPLACE)


@pytest.mark.azurite
def test_sync_command_against_azurite(app, session, lead_table, clock):
    connection, name = lead_table
    app.config.update(AZURE_TABLES_CONNECTION_STRING=connection, LEADS_TABLE_NAME=name)
    table = TableClient.from_connection_string(connection, name)
    for i in range(7):
        write(table, entity(f"lead{i}", info=customer_info(FirstName=f"Zoë{i}")))
    write(table, entity("topl", shape="top-level", info=customer_info(Phone=None, Company=None)))
    write(table, entity("bad", action="XYZ"))
    write(table, microsoft_test_lead("msft"))
    runner = app.test_cli_runner()

    first = runner.invoke(args=["leads", "sync"])
    assert first.exit_code == 0, first.output
    assert "9 new, 0 updated, 0 unchanged, 1 quarantined, 0 skipped" in first.output
    assert "page 1" in first.output  # progress on the terminal
    second = runner.invoke(args=["leads", "sync"])
    assert "0 new, 0 updated" in second.output  # nothing changes on a re-run

    write(table, entity("lead3", info=customer_info(FirstName="Zoë3", Title="Head of IT")))
    clock.now += timedelta(minutes=5)
    third = runner.invoke(args=["leads", "sync"])
    assert "0 new, 1 updated" in third.output, third.output
    lead3 = session.exec(select(Lead).where(Lead.source_row_key == "lead3")).one()
    assert lead3.job_title == "Head of IT" and lead3.first_name == "Zoë3"
    assert count(session, Lead) == 9
    assert session.exec(select(QuarantinedEntity.reason)).one().startswith("unknown action code 'XYZ'")
    table.close()


@pytest.mark.azurite
def test_sync_command_reports_a_missing_connection_string(app):
    app.config["AZURE_TABLES_CONNECTION_STRING"] = ""
    result = app.test_cli_runner().invoke(args=["leads", "sync"])
    assert result.exit_code != 0 and "AZURE_TABLES_CONNECTION_STRING is not set" in result.output


# --- issue #17, item 5: no personal data outside the clocks -------------------------------------------------


def test_every_column_an_entity_fills_is_length_checked_in_intake():
    """One declaration (intake.MAX_LENGTHS) covers every bounded column the sync writes, at the column's size."""
    bounded = {
        field: Lead.model_fields[field].metadata
        for field in sync.SYNCED_FIELDS
        if any(getattr(m, "max_length", None) for m in Lead.model_fields[field].metadata)
    }
    limits = {
        field: next(m.max_length for m in meta if getattr(m, "max_length", None)) for field, meta in bounded.items()
    }
    assert limits == intake.MAX_LENGTHS
    assert Lead.model_fields["source_row_key"].metadata[0].max_length == sync.KEY_LENGTH


@pytest.mark.parametrize(
    "extra",
    [
        {"PublisherDisplayName": "p" * 301},
        {"LeadSource": "S" * 101 + "-INS|coremem.radnac"},
        {"OfferDisplayName": "RADNAC\x00"},
    ],
)
def test_one_over_long_value_quarantines_its_entity_and_the_page_lands(session, extra):
    page = [source_entity(entity("good")), source_entity(entity("bad", **extra)), source_entity(entity("good2"))]
    result = run(session, FakeSource([page]))
    assert (result.status, result.new, result.quarantined) == ("succeeded", 2, 1)
    assert session.exec(select(QuarantinedEntity.row_key)).all() == ["bad"]


def test_an_entity_whose_key_fits_no_column_is_skipped_and_the_page_lands(session):
    page = [source_entity(entity("good")), source_entity(entity("k" * 256))]
    result = run(session, FakeSource([page]))
    assert (result.status, result.new, result.skipped) == ("succeeded", 1, 1)


def test_a_failed_page_records_the_error_class_and_keys_never_the_values(session, monkeypatch):
    from leads.models import AuditEvent

    run(session, FakeSource([[source_entity(entity("r1"))]]))
    # Forget the existing lead, so the page inserts it again and the database refuses the duplicate key.
    monkeypatch.setattr(sync, "_by_key", lambda *args: {})
    with pytest.raises(Exception, match=r"IntegrityError|UniqueViolation|unique"):
        run(session, FakeSource([[source_entity(entity("r1", info=customer_info(Email="jane.doe@contoso.example")))]]))
    failed = session.exec(select(SyncRun).where(SyncRun.status == "failed")).one()
    assert failed.error.startswith("IntegrityError on the page of entities 2026-11/r1 to 2026-11/r1: ")
    audit_details = session.exec(select(AuditEvent.details).where(AuditEvent.action == "sync.failed")).one()
    for recorded in (failed.error, str(audit_details)):
        assert "jane.doe" not in recorded and "Jane" not in recorded and "INSERT" not in recorded
