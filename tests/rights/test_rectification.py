"""A rectification sticks (issue #16): a later sync does not undo it, it reaches the source Azure Table row
(queued and retried when the table is unreachable), and when the source itself changes the field again the
source wins and staff are told."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from azure.data.tables import TableClient
from sqlmodel import select

from leads.ingest import corrections, sources
from leads.models import AuditEvent, Lead, Rectification, SourceCorrection
from leads.rights import actions, register
from tests.factories import new_request
from tests.lead_samples import customer_info, entity

pytestmark = pytest.mark.azurite


class Unreachable:
    """A lead table that is down."""

    def correct(self, partition_key, row_key, fields):
        raise sources.SourceError("the table service is unreachable")


@pytest.fixture
def synced(app, session, lead_table, clock, make_user):
    """Grace's lead synced from Azurite, and her verified rectification request covering it."""
    connection, name = lead_table
    app.config.update(AZURE_TABLES_CONNECTION_STRING=connection, LEADS_TABLE_NAME=name)
    table = TableClient.from_connection_string(connection, name)
    table.create_entity(entity("grace", info=customer_info(Email="grace@navy.example", LastName="Murray")))
    runner = app.test_cli_runner()

    def sync() -> str:
        clock.now += timedelta(minutes=5)  # the next run, inside the 15-minute overlap: it reads Grace again
        return runner.invoke(args=["leads", "sync"]).output

    assert "1 new" in sync()
    lead = session.exec(select(Lead)).one()
    actor = make_user("support")
    request = new_request(session, actor, received=date(2026, 11, 24), kind="rectification", email=lead.email)
    register.verify_identity(session=session, request=request, actor=actor, now=clock.now)
    register.confirm_lead(session=session, request=request, lead=lead, actor=actor, now=clock.now)
    yield lead, request, actor, table, sync
    table.close()


def row_says(table: TableClient) -> dict:
    return json.loads(table.get_entity("2026-11", "grace")["CustomerInfo"])


def test_a_rectification_survives_two_syncs_and_reaches_azurites_row(client, auth, session, synced):
    lead, request, _, table, sync = synced
    auth.login("support")
    fields = {f: getattr(lead, f) or "" for f in actions.RECTIFIABLE}
    done = client.post(
        f"/rights/{request.id}/leads/{lead.id}/rectify", data={**fields, "last_name": "Hopper"}, follow_redirects=True
    )
    assert "Corrected 1 field (last_name). The source table row says so too." in done.data.decode()
    assert row_says(table)["LastName"] == "Hopper"
    assert row_says(table)["Email"] == "grace@navy.example"  # the rest of the row is untouched
    for _ in range(2):
        sync()
        session.refresh(lead)
        assert lead.last_name == "Hopper"
    assert session.exec(select(SourceCorrection)).all() == []


def test_a_correction_the_table_could_not_take_is_queued_kept_by_the_sync_and_written_later(session, synced, clock):
    lead, request, actor, table, sync = synced
    result = actions.rectify(
        session=session,
        request=request,
        lead=lead,
        changes={"last_name": "Hopper"},
        actor=actor,
        now=clock.now,
        source=Unreachable(),
    )
    assert (result.fields, result.source_pending) == (("last_name",), 1)
    assert "queued for the correction and will be retried until Azure confirms it" in result.sentence()
    queued = session.exec(select(SourceCorrection)).one()
    assert (queued.attempts, queued.last_error) == (1, "the table service is unreachable")
    assert row_says(table)["LastName"] == "Murray"
    # The sync writes queued corrections before reading: the row is corrected and the lead keeps Hopper.
    assert "rectifications written 1, still queued 0" in sync()
    session.refresh(lead)
    assert lead.last_name == "Hopper" and row_says(table)["LastName"] == "Hopper"
    assert session.exec(select(SourceCorrection)).all() == []


def test_the_sync_keeps_the_correction_while_the_source_still_says_the_old_value(session, synced, clock):
    lead, request, actor, table, sync = synced
    actions.rectify(
        session=session,
        request=request,
        lead=lead,
        changes={"last_name": "Hopper"},
        actor=actor,
        now=clock.now,
        source=Unreachable(),
    )
    stored = session.exec(select(SourceCorrection)).one()
    session.delete(stored)  # as if the write were still to come: the row says Murray when the sync reads it
    session.commit()
    for _ in range(2):
        sync()
        session.refresh(lead)
        assert lead.last_name == "Hopper"
    assert row_says(table)["LastName"] == "Murray"


def test_when_the_source_changes_the_field_again_the_source_wins_and_staff_are_told(
    client, auth, session, synced, clock
):
    lead, request, actor, table, sync = synced
    source = sources.LeadTable(*_config(client))
    actions.rectify(
        session=session,
        request=request,
        lead=lead,
        changes={"last_name": "Hopper"},
        actor=actor,
        now=clock.now,
        source=source,
    )
    source.close()
    changed = table.get_entity("2026-11", "grace")
    changed["CustomerInfo"] = json.dumps(customer_info(Email="grace@navy.example", LastName="Hopper-King"))
    table.update_entity(changed)  # Microsoft rewrites the lead with a new surname
    sync()
    session.refresh(lead)
    assert lead.last_name == "Hopper-King"
    correction = session.exec(select(Rectification).where(Rectification.field == "last_name")).one()
    assert (correction.superseded_value, correction.superseded_at is not None) == ("Hopper-King", True)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "rights.rectification.superseded")).one()
    auth.login("support")
    page = client.get(f"/rights/{request.id}").data.decode()
    assert "The source changed a correction again" in page and "Hopper-King" in page
    sync()
    session.refresh(lead)
    assert lead.last_name == "Hopper-King"


def _config(client) -> tuple[str, str]:
    config = client.application.config
    return config["AZURE_TABLES_CONNECTION_STRING"], config["LEADS_TABLE_NAME"]


def test_corrections_are_written_oldest_first_and_stop_at_the_first_failure(session, synced, clock):
    lead, _, _, _, _ = synced
    for value in ("One", "Two"):
        corrections.queue(session=session, lead=lead, fields={"last_name": value}, now=clock.now)
    session.commit()
    assert corrections.flush(session=session, source=Unreachable()).pending == 2
    assert [row.attempts for row in session.exec(select(SourceCorrection).order_by(SourceCorrection.id))] == [1, 0]
