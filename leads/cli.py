"""`flask --app app ...` commands. Each calls the same services as the pages."""

from __future__ import annotations

import logging
import os
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from leads import auth, consent_records, db, demo, list_export, marketing, sources, sweeper, sync, users, worker
from leads.models import ROLES

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
DEMO_ADMIN_EMAIL = "admin@radnac.example"


def init_app(app: Flask) -> None:
    """Register the command groups."""
    for group in (db_cli, users_cli, demo_cli, leads_cli, retention_cli, worker_command, marketing_cli):
        app.cli.add_command(group)


def alembic_config(url: str) -> AlembicConfig:
    """An Alembic configuration for `url` using this project's migrations folder."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = db.normalise_url(url)
    return config


@click.group("db", cls=AppGroup)
def db_cli() -> None:
    """Database schema."""


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(revision: str) -> None:
    """Apply the Alembic migrations to DATABASE_URL."""
    url = current_app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    alembic_command.upgrade(alembic_config(url), revision)
    click.echo(f"Database at revision {revision}.")


@click.group("users", cls=AppGroup)
def users_cli() -> None:
    """Staff accounts."""


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
def users_create(email: str, role: str) -> None:
    """Create a user. The password is prompted for, or read from the first line of stdin when piped."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = users.create_user(
            session=db.session(), email=email, password=password, role=role, now=db.now(), actor="system:cli"
        )
    except users.UserError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.email} ({user.role}).")


@click.group("demo", cls=AppGroup)
def demo_cli() -> None:
    """Synthetic demo data (development only)."""


def _refuse_outside_development() -> None:
    if current_app.config["APP_ENV"] == "production":
        raise click.ClickException("Demo data and demo accounts are for development only (APP_ENV=development).")


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo leads and installations, once."""
    _refuse_outside_development()
    added_leads, added_installs = demo.load(session=db.session(), now=db.now())
    if added_leads == 0:
        click.echo("Demo data already loaded; nothing to do.")
    else:
        click.echo(f"Loaded {added_leads} demo leads and {added_installs} installations.")


@demo_cli.command("admin")
def demo_admin() -> None:
    """Create the demo admin once (password kept in instance/, git-ignored) and print how to log in."""
    _refuse_outside_development()
    secret_file = Path(current_app.instance_path) / "demo-admin-password.txt"
    session = db.session()
    if users.get_by_email(session=session, email=DEMO_ADMIN_EMAIL) is None:
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(12)
        users.create_user(
            session=session, email=DEMO_ADMIN_EMAIL, password=password, role="admin", now=db.now(), actor="system:demo"
        )
        secret_file.write_text(password + "\n")
        secret_file.chmod(0o600)
    password = secret_file.read_text().strip() if secret_file.exists() else "(unknown: reset it with users create)"
    click.echo(f"Log in at http://127.0.0.1:5000/login as {DEMO_ADMIN_EMAIL} with password {password}")


@click.group("leads", cls=AppGroup)
def leads_cli() -> None:
    """Marketplace leads."""


@leads_cli.command("sync")
@click.option(
    "--page-size",
    type=click.IntRange(1, 1000),
    default=sources.PAGE_SIZE,
    show_default=True,
    help="Entities read and committed per transaction.",
)
def leads_sync(page_size: int) -> None:
    """Read new and changed leads from the Azure lead table (incremental; safe to re-run)."""
    config = current_app.config
    try:
        table = sources.LeadTable(
            config["AZURE_TABLES_CONNECTION_STRING"], config["LEADS_TABLE_NAME"], page_size=page_size
        )
    except sources.SourceError as error:
        raise click.ClickException(str(error)) from error

    def progress(run: sync.SyncRun) -> None:
        click.echo(f"  page {run.pages}: {_counts(run)}", err=True)

    click.echo(f"Syncing leads from table {config['LEADS_TABLE_NAME']} ...", err=True)
    try:
        run = sync.run(
            session=db.session(),
            source=table,
            clock=db.now,
            tombstone_key=config["TOMBSTONE_KEY"],
            overlap=timedelta(minutes=config["SYNC_OVERLAP_MINUTES"]),
            progress=progress,
        )
    except (sources.SourceError, Exception) as error:
        raise click.ClickException(f"sync failed (recorded; re-run to resume): {error}") from error
    finally:
        table.close()
    click.echo(f"Sync finished: {_counts(run)}.")


def _counts(run: sync.SyncRun) -> str:
    return (
        f"{run.new} new, {run.updated} updated, {run.unchanged} unchanged, "
        f"{run.quarantined} quarantined, {run.skipped} skipped"
    )


@click.group("retention", cls=AppGroup)
def retention_cli() -> None:
    """The retention schedule: destroy what has expired."""


@retention_cli.command("sweep")
@click.option("--dry-run", is_flag=True, help="List what would be destroyed; change nothing.")
@click.option("--as-of", "as_of", help="With --dry-run only: the date (YYYY-MM-DD, UTC midnight) or time to judge.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 10_000),
    default=sweeper.BATCH_SIZE,
    show_default=True,
    help="Records destroyed per transaction.",
)
def retention_sweep(dry_run: bool, as_of: str | None, batch_size: int) -> None:
    """Destroy every record past its retention deadline, here and in the source lead table."""
    if as_of and not dry_run:
        raise click.UsageError("--as-of is allowed only with --dry-run: real destruction always uses the real time")
    now = _parse_as_of(as_of) if as_of else db.now()
    table = worker.lead_table() if not dry_run else None
    if not dry_run and table is None:
        click.echo("warning: AZURE_TABLES_CONNECTION_STRING is not set; source rows stay queued for deletion", err=True)

    def progress(report: sweeper.Report) -> None:
        click.echo(f"  destroyed so far: {dict(report.destroyed)}", err=True)

    try:
        report = sweeper.sweep(
            session=db.session(),
            now=now,
            source=table,
            holder=worker.holder(),
            tombstone_key=current_app.config["TOMBSTONE_KEY"],
            dry_run=dry_run,
            batch_size=batch_size,
            progress=progress,
        )
    finally:
        if table is not None:
            table.close()
    _print_report(report)


def _parse_as_of(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD) or ISO date-time") from error
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _print_report(report: sweeper.Report) -> None:
    if not report.ran:
        click.echo("Another sweeper is running; nothing done.")
        return
    if report.dry_run:
        click.echo(f"Dry run as of {report.as_of.isoformat()}: would destroy")
        for due in report.due:
            state = "ON HOLD, kept" if due.held else "destroy"
            click.echo(f"  {due.record_type} #{due.record_id}  deadline {due.deadline.isoformat()}  {state}")
        click.echo(f"  and null {report.ip_fields} IP address fields")
        return
    click.echo(
        f"Sweep done: destroyed {dict(report.destroyed) or 'nothing'}; kept on hold {dict(report.held) or 'none'}; "
        f"IP fields nulled {report.ip_fields}; source rows deleted {report.source_deleted}, "
        f"still queued {report.source_pending}."
    )
    for error in report.source_errors:
        click.echo(f"  source deletion failed (will retry): {error}", err=True)


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Run the due jobs once and exit.")
def worker_command(once: bool) -> None:
    """Run the lead sync (every 5 minutes) and the retention sweeper (hourly) until stopped."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    worker.loop(current_app._get_current_object(), sleep=time.sleep, iterations=1 if once else None)  # type: ignore[attr-defined]


@click.group("marketing", cls=AppGroup)
def marketing_cli() -> None:
    """Marketing lists: every command passes the consent gate, as the pages do (privacy notice line 67)."""


def _marketer(email: str) -> users.User:
    """The active member of staff acting, who must hold the "marketing.act" permission, as on the pages."""
    user = users.get_by_email(session=db.session(), email=email)
    if user is None or not user.active:
        raise click.ClickException(f"No active member of staff with email {email}.")
    if not auth.can("marketing.act", user):
        raise click.ClickException(f"{user.email} ({user.role}) may not take marketing actions.")
    return user


def _report(result: consent_records.Result, done: str) -> None:
    """Say what happened to each lead; exit 1 if any was refused or unknown, so scripts notice."""
    click.echo(f"{done}: {len(result.done)}; already done: {len(result.unchanged)}; refused: {len(result.refused)}.")
    for lead, reason in result.refused:
        click.echo(f"  refused lead {lead.id} ({lead.display_name}): {reason}")
    for lead_id in result.missing:
        click.echo(f"  no lead with id {lead_id}")
    if result.refused or result.missing:
        raise click.exceptions.Exit(1)


@marketing_cli.command("create-list")
@click.argument("name")
@click.option("--description", default=None, help="What the list is for.")
@click.option("--as", "actor", required=True, metavar="EMAIL", help="The member of staff acting.")
def marketing_create_list(name: str, description: str | None, actor: str) -> None:
    """Start an empty marketing list."""
    try:
        created = marketing.create_list(
            session=db.session(), name=name, description=description, actor=_marketer(actor), now=db.now()
        )
    except marketing.MarketingError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created marketing list {created.name!r}.")


@marketing_cli.command("add-to-list")
@click.argument("list_name")
@click.argument("lead_ids", nargs=-1, required=True, type=int)
@click.option("--as", "actor", required=True, metavar="EMAIL", help="The member of staff acting.")
def marketing_add_to_list(list_name: str, lead_ids: tuple[int, ...], actor: str) -> None:
    """Add leads to a list; those without current marketing consent are refused, each with the reason."""
    session = db.session()
    try:
        target = marketing.get_list_by_name(session=session, name=list_name)
        result = marketing.add_to_list(
            session=session, list_id=target.id, lead_ids=lead_ids, actor=_marketer(actor), now=db.now()
        )
    except marketing.MarketingError as error:
        raise click.ClickException(str(error)) from error
    _report(result, f"Added to {target.name!r}")


@marketing_cli.command("mark-sent")
@click.argument("lead_ids", nargs=-1, required=True, type=int)
@click.option("--subject", required=True, help="The email's subject.")
@click.option("--list", "list_name", default=None, help="The list whose campaign it was part of.")
@click.option("--as", "actor", required=True, metavar="EMAIL", help="The member of staff acting.")
def marketing_mark_sent(lead_ids: tuple[int, ...], subject: str, list_name: str | None, actor: str) -> None:
    """Record that a marketing email was sent to leads (the app sends no mail); refused without current consent."""
    session = db.session()
    try:
        target = marketing.get_list_by_name(session=session, name=list_name) if list_name else None
        result = marketing.mark_email_sent(
            session=session,
            lead_ids=lead_ids,
            subject=subject,
            list_id=target.id if target else None,
            actor=_marketer(actor),
            now=db.now(),
        )
    except marketing.MarketingError as error:
        raise click.ClickException(str(error)) from error
    _report(result, "Recorded as sent")


@marketing_cli.command("export")
@click.argument("list_name")
@click.option("--as", "actor", required=True, metavar="EMAIL", help="The member of staff acting.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
def marketing_export(list_name: str, actor: str, output: Path | None) -> None:
    """Export a list as CSV: only people whose consent is current now; the rest are left out, and all is audited."""
    session = db.session()
    try:
        target = marketing.get_list_by_name(session=session, name=list_name)
        export = list_export.export_list(session=session, list_id=target.id, actor=_marketer(actor), clock=db.now)
    except marketing.MarketingError as error:
        raise click.ClickException(str(error)) from error
    if output is None:
        for line in export.lines:
            click.echo(line, nl=False)
    else:
        # Personal data: readable by its owner only.
        with os.fdopen(os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", newline="") as file:
            os.fchmod(file.fileno(), 0o600)  # also when the file was already there
            file.writelines(export.lines)
        click.echo(f"Wrote {output}.", err=True)
    count = export.count
    click.echo(f"Exported {count.included} people from {target.name!r}; left out {len(count.left_out)}.", err=True)
    for lead_id, name, reason in count.left_out:
        click.echo(f"  left out lead {lead_id} ({name}): {reason}", err=True)
