"""The retention sweeper: on time to the instant, here and at the source, crash-safe and single-runner."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from azure.data.tables import TableClient
from sqlmodel import Session, func, select

from leads import tombstones
from leads.ingest.sources import LeadTable
from leads.models import (
    AuditEvent,
    Installation,
    InstallEvent,
    JobRun,
    Lead,
    LegalHold,
    QuarantinedEntity,
    SourceDeletion,
    Tombstone,
)
from leads.retention import destroy, due, holds, sweeper
from leads.rules import schedule
from leads.staff import audit
from tests.factories import TOMBSTONE_KEY, add_installation, add_lead, sweep
from tests.lead_samples import entity

KEY = TOMBSTONE_KEY
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_a_lead_survives_the_instant_before_its_deadline_and_is_gone_at_it(session):
    lead = add_lead(session, datetime(2023, 11, 25, 9, 30, tzinfo=UTC))
    deadline = schedule.deadline("lead", lead.received_at)
    assert deadline == NOW
    assert sweep(session, now=deadline - SECOND).destroyed == {}
    assert count(session, Lead) == 1
    report = sweep(session, now=deadline)
    assert report.destroyed == {"lead": 1}
    assert count(session, Lead) == 0
    tombstone = session.exec(select(Tombstone)).one()
    assert tombstone.kind == "lead" and tombstone.destroyed_at == deadline and tombstone.actor == "system:sweeper"
    assert tombstone.source_key_hash == tombstones.source_key_hash(KEY, "2026-11", "r")
    assert "58-69" in tombstone.rule
    assert "Ada" not in repr(tombstone.model_dump()) and "@" not in repr(tombstone.model_dump())


def test_a_lead_created_on_29_february_goes_on_28_february_three_years_later(session):
    add_lead(session, datetime(2024, 2, 29, 12, tzinfo=UTC))
    assert sweep(session, now=datetime(2027, 2, 28, 11, 59, 59, tzinfo=UTC)).destroyed == {}
    assert sweep(session, now=datetime(2027, 2, 28, 12, tzinfo=UTC)).destroyed == {"lead": 1}


def test_install_records_go_90_days_after_uninstall_and_are_kept_while_installed(session):
    gone = add_installation(session, NOW - timedelta(days=90), "gone")
    add_installation(session, None, "still-installed", ip_at=NOW - timedelta(days=1))
    add_installation(session, NOW - timedelta(days=90) + SECOND, "not-yet", ip_at=NOW - timedelta(days=1))
    report = sweep(session)
    assert report.destroyed == {"installation": 1}
    remaining = set(session.exec(select(Installation.application_name)))
    assert remaining == {"still-installed", "not-yet"}
    assert session.exec(select(InstallEvent).where(InstallEvent.installation_id == gone.id)).all() == []
    assert session.exec(select(Tombstone.kind)).all() == ["install_notification"]


def test_ip_addresses_go_after_ten_days_and_the_notification_stays(session):
    add_installation(session, None, "old-ip", ip_at=NOW - timedelta(days=10))
    add_installation(session, None, "new-ip", ip_at=NOW - timedelta(days=10) + SECOND)
    report = sweep(session)
    assert report.ip_fields == 1
    ips = dict(
        session.exec(
            select(Installation.application_name, InstallEvent.caller_ip).join(
                InstallEvent, InstallEvent.installation_id == Installation.id
            )
        ).all()
    )
    assert ips == {"old-ip": None, "new-ip": "20.1.2.3"}


def test_quarantined_entities_follow_the_lead_rule(session):
    seen = datetime(2023, 11, 25, 9, 30, tzinfo=UTC)
    session.add(
        QuarantinedEntity(
            partition_key="p",
            row_key="q",
            reason="bad",
            raw='{"Email": "x@y"}',
            first_seen_at=seen,
            clock_started_at=seen,
            last_seen_at=seen,
        )
    )
    session.commit()
    assert sweep(session, now=NOW - SECOND).destroyed == {}
    assert sweep(session).destroyed == {"quarantined_lead": 1}
    assert count(session, QuarantinedEntity) == 0
    assert session.exec(select(SourceDeletion.row_key)).all() == ["q"]


def test_legal_hold_keeps_a_record_and_lifting_it_lets_the_next_sweep_destroy_it(session, make_user):
    admin = make_user("admin")
    lead = add_lead(session, NOW - timedelta(days=2000))
    hold = holds.place(session=session, record_type="lead", record_id=lead.id, reason="claim C-1", actor=admin, now=NOW)
    report = sweep(session)
    assert report.destroyed == {} and report.held == {"lead": 1}
    holds.lift(session=session, hold_id=hold.id, reason="claim settled", actor=admin, now=NOW)
    assert sweep(session).destroyed == {"lead": 1}
    assert count(session, LegalHold) == 0  # the hold history went with the record; the audit keeps it
    actions = [a.action for a in audit.recent(session=session)]
    assert {"hold.place", "hold.lift", "retention.sweep"} <= set(actions)


def test_dry_run_lists_exactly_what_the_real_run_destroys(session, make_user):
    admin = make_user("admin")
    due = [add_lead(session, NOW - timedelta(days=1096 + i), f"due{i}") for i in range(5)]
    add_lead(session, NOW - timedelta(days=1000), "young")
    holds.place(session=session, record_type="lead", record_id=due[0].id, reason="claim", actor=admin, now=NOW)
    add_installation(session, NOW - timedelta(days=91), "gone")
    dry = sweep(session, dry_run=True)
    assert count(session, Lead) == 6  # a dry run changes nothing
    would = {(d.record_type, d.record_id) for d in dry.due if not d.held}
    before = {("lead", lead.id) for lead in session.exec(select(Lead))} | {
        ("installation", i.id) for i in session.exec(select(Installation))
    }
    real = sweep(session)
    after = {("lead", lead.id) for lead in session.exec(select(Lead))} | {
        ("installation", i.id) for i in session.exec(select(Installation))
    }
    assert would == before - after
    assert sum(real.destroyed.values()) == len(would) == 5


def test_a_crash_between_batches_loses_nothing_and_leaves_nothing_half_destroyed(session, monkeypatch):
    for i in range(7):
        add_lead(session, NOW - timedelta(days=1200), f"r{i}")
    calls = {"n": 0}
    real_destroy = destroy.destroy_leads

    def crash_on_second_batch(*args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return real_destroy(*args)

    monkeypatch.setitem(sweeper.DESTROY_BY_KIND, "lead", crash_on_second_batch)
    with pytest.raises(RuntimeError):
        sweep(session, batch_size=3)
    session.rollback()
    assert count(session, Lead) == 4 and count(session, Tombstone) == 3 == count(session, SourceDeletion)
    monkeypatch.undo()
    assert sweep(session, batch_size=3).destroyed == {"lead": 4}  # the lock was released; the rest is done
    assert count(session, Lead) == 0 and count(session, Tombstone) == 7


def test_two_sweepers_at_once_destroy_each_record_once(app, session):
    for i in range(40):
        add_lead(session, NOW - timedelta(days=1200), f"r{i}")
    engine = app.extensions["radnac.engine"]
    barrier, reports = threading.Barrier(2), []

    def worker(name: str) -> None:
        with Session(engine, expire_on_commit=False) as own:
            barrier.wait()
            reports.append(
                sweeper.sweep(session=own, now=NOW, source=None, tombstone_key=KEY, holder=name, batch_size=5)
            )

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(report.ran for report in reports) == [False, True]
    assert sum(sum(report.destroyed.values()) for report in reports) == 40
    assert count(session, Tombstone) == 40 and count(session, Lead) == 0


def test_each_run_leaves_an_audit_summary_without_personal_data(session):
    add_lead(session, NOW - timedelta(days=1200))
    sweep(session)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "retention.sweep")).one()
    assert '"lead": 1' in event.details and "Ada" not in event.details


def test_a_failed_source_deletion_stays_queued_and_is_retried(session):
    add_lead(session, NOW - timedelta(days=1200))

    class Down:
        def delete(self, partition_key, row_key):
            raise ConnectionError("storage account unreachable")

    report = sweep(session, source=Down())
    assert report.destroyed == {"lead": 1} and report.source_pending == 1 and report.source_errors
    assert session.exec(select(SourceDeletion.attempts)).one() == 1
    deleted = []

    class Up:
        def delete(self, partition_key, row_key):
            deleted.append((partition_key, row_key))
            return True

    report = sweep(session, source=Up())
    assert deleted == [("2026-11", "r")] and report.source_pending == 0


@pytest.mark.azurite
def test_destroyed_leads_are_gone_from_azurite_and_sync_cannot_bring_them_back(app, session, lead_table, clock):
    connection, name = lead_table
    app.config.update(AZURE_TABLES_CONNECTION_STRING=connection, LEADS_TABLE_NAME=name, TOMBSTONE_KEY=KEY)
    table = TableClient.from_connection_string(connection, name)
    for row in ("old", "young"):
        table.create_entity(entity(row, created="2023-11-25T09:30:00Z" if row == "old" else "2026-01-01T00:00:00Z"))
    runner = app.test_cli_runner()
    assert "2 new" in runner.invoke(args=["leads", "sync"]).output
    clock.now = NOW - SECOND
    assert "destroyed nothing" in runner.invoke(args=["retention", "sweep"]).output
    clock.now = NOW
    swept = runner.invoke(args=["retention", "sweep"])
    assert "{'lead': 1}" in swept.output and "source rows deleted 1" in swept.output, swept.output
    assert [e["RowKey"] for e in table.list_entities()] == ["young"]
    table.create_entity(entity("old", created="2023-11-25T09:30:00Z"))  # Microsoft re-delivers the old lead
    clock.now += timedelta(hours=1)
    resync = runner.invoke(args=["leads", "sync"])
    assert "1 skipped" in resync.output, resync.output
    assert session.exec(select(Lead.source_row_key)).all() == ["young"]
    table.close()


@pytest.mark.azurite
def test_the_adapter_deletes_at_the_source(lead_table):
    connection, name = lead_table
    TableClient.from_connection_string(connection, name).create_entity(entity("gone"))
    source = LeadTable(connection, name)
    assert source.delete("2026-11", "gone") is True
    source.close()


def test_only_the_addresses_still_held_are_read(session):
    from leads.retention import forecast
    from tests.sqlplan import plans

    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("pins SQLite's plan; PostgreSQL plans from statistics")
    add_installation(session, None, "ip", ip_at=NOW - timedelta(days=11))
    for call in (lambda: sweep(session), lambda: forecast.next_deadline(session=session)):
        found = plans(session, call, containing="caller_ip IS NOT NULL")
        assert found and all("USING INDEX ix_installevent_ip_held" in plan for plan in found), found


def test_tombstones_and_source_deletions_are_written_one_batch_a_kind(session):
    from tests.sqlplan import statements

    for n in range(3):
        add_lead(session, NOW - timedelta(days=1100), row_key=f"old{n}")
    add_installation(session, NOW - timedelta(days=91), "gone-a")
    add_installation(session, NOW - timedelta(days=92), "gone-b")
    sent = statements(session, lambda: sweep(session), containing="INSERT INTO")
    kinds = ("tombstone", "sourcedeletion")
    batches = [(s.split("(")[0].split()[-1], many, len(p)) for s, p, many in sent if s.split()[2] in kinds]
    assert sorted(batches) == [("sourcedeletion", True, 3), ("tombstone", True, 2), ("tombstone", True, 3)]
    assert session.exec(select(func.count()).select_from(Tombstone)).one() == 5


def runs_of_sweep(session) -> list[JobRun]:
    session.expire_all()
    return list(session.exec(select(JobRun).where(JobRun.job == "sweep").order_by(JobRun.id)))


def test_asked_to_stop_the_sweep_ends_after_the_batch_in_hand_and_the_next_run_finishes(session):
    for i in range(7):
        add_lead(session, NOW - timedelta(days=1200), f"r{i}")
    batches: list[int] = []
    report = sweep(
        session,
        batch_size=2,
        progress=lambda r: batches.append(r.destroyed["lead"]),
        should_stop=lambda: len(batches) == 2,
    )
    assert report.stopped and report.destroyed == {"lead": 4} and batches == [2, 4]
    assert count(session, Lead) == 3 and count(session, Tombstone) == 4 == count(session, SourceDeletion)
    (stopped,) = runs_of_sweep(session)
    assert stopped.outcome == "stopped" and stopped.finished_at == NOW
    assert sweep(session).destroyed == {"lead": 3}  # the lock was released: the next one runs at once
    assert [run.outcome for run in runs_of_sweep(session)] == ["stopped", "succeeded"]


def test_after_downtime_the_most_overdue_go_first_whatever_their_kind_and_the_report_says_how_late(session):
    # The worker was down for days; NOW is its first pass. Deadlines: 3 days ago, 2 days ago, an hour ago,
    # 30 seconds ago (on time: within LATE_AFTER), and one not yet due.
    gone_install = add_installation(session, NOW - timedelta(days=93), "gone")
    add_lead(session, datetime(2023, 11, 23, 9, 30, tzinfo=UTC), "two-days")
    add_lead(session, datetime(2023, 11, 25, 8, 30, tzinfo=UTC), "an-hour")
    add_lead(session, datetime(2023, 11, 25, 9, 29, 30, tzinfo=UTC), "on-time")
    add_lead(session, datetime(2024, 1, 1, tzinfo=UTC), "not-due")
    order: list[dict] = []
    report = sweep(session, batch_size=1, progress=lambda r: order.append(dict(r.destroyed)))
    assert order == [
        {"installation": 1},
        {"installation": 1, "lead": 1},
        {"installation": 1, "lead": 2},
        {"installation": 1, "lead": 3},
    ]
    assert session.get(Installation, gone_install.id) is None and count(session, Lead) == 1
    assert report.most_late == timedelta(days=3) and report.late == 3
    assert report.summary()["most_late_seconds"] == 3 * 86400 and report.summary()["late"] == 3
    (run,) = runs_of_sweep(session)
    assert (run.late, run.most_late_seconds, run.outcome) == (3, 3 * 86400, "succeeded")


def test_an_on_time_sweep_reports_no_lateness(session):
    add_lead(session, datetime(2023, 11, 25, 9, 29, 30, tzinfo=UTC), "on-time")
    report = sweep(session)
    assert report.destroyed == {"lead": 1} and report.late == 0 and report.most_late == timedelta(seconds=30)


def test_a_run_left_running_by_a_killed_sweeper_is_marked_died_by_the_next(session):
    session.add(JobRun(job="sweep", holder="host:999", started_at=NOW - timedelta(hours=1), outcome="running"))
    session.commit()
    assert sweep(session).ran  # the dead holder's lock died with it
    dead, current = runs_of_sweep(session)
    assert (dead.outcome, dead.finished_at, current.outcome) == ("died", None, "succeeded")


def test_a_sweep_whose_lock_is_lost_stops_and_says_so(session, monkeypatch):
    from leads.jobs import locks

    for i in range(3):
        add_lead(session, NOW - timedelta(days=1200), f"r{i}")
    monkeypatch.setattr(locks.JobLock, "held", lambda self: False)
    with pytest.raises(sweeper.LockLost):
        sweep(session)
    assert count(session, Lead) == 3
    (run,) = runs_of_sweep(session)
    assert (run.outcome, run.error_class) == ("failed", "LockLost")


def test_due_records_are_walked_oldest_first_from_a_cursor_on_their_clock_index(session):
    from tests.sqlplan import plans

    for n in range(5):
        add_lead(session, NOW - timedelta(days=1200 - n), f"r{n}")
    first, cursor = due.batch(session=session, kind=due.KINDS[0], as_of=NOW, after=None, limit=2)
    rest, _ = due.batch(session=session, kind=due.KINDS[0], as_of=NOW, after=cursor, limit=10)
    assert [d.record_id for d in first + rest] == sorted(d.record_id for d in first + rest) and len(first + rest) == 5
    if session.get_bind().dialect.name == "sqlite":
        walk = lambda: due.batch(session=session, kind=due.KINDS[0], as_of=NOW, after=cursor, limit=2)  # noqa: E731
        (plan,) = plans(session, walk, containing="FROM lead")
        assert plan == "SEARCH lead USING COVERING INDEX ix_lead_received_at (received_at>? AND received_at<?)"


def test_every_table_the_data_map_destroys_has_a_destroyer_and_the_sweeper_reaches_it():
    """The sweeper's completeness, from the personal-data map: a table the map says is destroyed is swept by
    a target of its own; one that goes with its parent has a parent chain that ends at one."""
    from leads.retention import destroy
    from leads.rules import datamap

    assert set(sweeper.DESTROY_BY_KIND) == {kind.record_type for kind in due.KINDS}  # every kind is destroyed
    swept = {kind.model.__tablename__ for kind in due.KINDS}
    for name, entry in datamap.MAP.items():
        if entry.erasure == "destroy":
            assert name in destroy.DESTROYERS and name in swept, name
        elif entry.erasure in ("with_parent", "outline") and name not in swept:
            parents = [find.table for find in entry.finds if find.kind == "parent"] or ["person"]
            chain = parents[0]
            while chain not in swept and chain != "person":
                chain = next(f.table for f in datamap.MAP[chain].finds if f.kind == "parent")
            assert chain in swept or chain == "person", name
