"""`flask --app app ...` commands. Each calls the same services as the pages."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import click
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup

from leads import db, demo
from leads.cli.jobs import jobs_cli, retention_cli, worker_command
from leads.cli.marketing import marketing_cli
from leads.cli.options import per_transaction
from leads.ingest import corrections, sources, sync_job
from leads.jobs import runs
from leads.models import ROLES, SyncRun
from leads.staff import users

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
DEMO_ADMIN_EMAIL = "admin@radnac.example"


def init_app(app: Flask) -> None:
    """Register the command groups."""
    for group in (db_cli, users_cli, demo_cli, leads_cli, retention_cli, worker_command, marketing_cli, jobs_cli):
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
            session=db.session(),
            email=email,
            password=password,
            role=role,
            now=db.now(),
            actor="system:cli",
            hash_method=current_app.config["PASSWORD_HASH_METHOD"],
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
@click.option("--port", default=5000, show_default=True, help="The port `make run` serves on, for the login URL.")
def demo_admin(port: int) -> None:
    """Create the demo admin once (password kept in instance/, git-ignored) and print how to log in."""
    _refuse_outside_development()
    secret_file = Path(current_app.instance_path) / "demo-admin-password.txt"
    session = db.session()
    if users.get_by_email(session=session, email=DEMO_ADMIN_EMAIL) is None:
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(12)
        users.create_user(
            session=session,
            email=DEMO_ADMIN_EMAIL,
            password=password,
            role="admin",
            now=db.now(),
            actor="system:demo",
            hash_method=current_app.config["PASSWORD_HASH_METHOD"],
        )
        secret_file.write_text(password + "\n")
        secret_file.chmod(0o600)
    password = secret_file.read_text().strip() if secret_file.exists() else "(unknown: reset it with users create)"
    click.echo(f"Log in at http://127.0.0.1:{port}/login as {DEMO_ADMIN_EMAIL} with password {password}")


@click.group("leads", cls=AppGroup)
def leads_cli() -> None:
    """Marketplace leads."""


@leads_cli.command("sync")
@per_transaction(
    "--page-size", most=1000, default=sources.PAGE_SIZE, help="Entities read and committed per transaction."
)
def leads_sync(page_size: int) -> None:
    """Read new and changed leads from the Azure lead table (incremental; safe to re-run)."""
    config = current_app.config

    def progress(run: SyncRun) -> None:
        click.echo(f"  page {run.pages}: {_counts(run)}", err=True)

    click.echo(f"Syncing leads from table {config['LEADS_TABLE_NAME']} ...", err=True)
    try:
        run = sync_job.run(
            session=db.session(),
            config=config,
            clock=db.now,
            holder=runs.holder(),
            page_size=page_size,
            progress=progress,
            corrected=_say_corrections,
        )
    except sources.SourceError as error:
        raise click.ClickException(str(error)) from error
    except Exception as error:
        raise click.ClickException(f"sync failed (recorded; re-run to resume): {error}") from error
    if run is None:
        raise click.ClickException("another sync is running; nothing done")
    click.echo(f"Sync finished: {_counts(run)}.")


def _say_corrections(flushed: corrections.Flushed) -> None:
    if flushed.written or flushed.pending:
        click.echo(f"  rectifications written {flushed.written}, still queued {flushed.pending}", err=True)


def _counts(run: SyncRun) -> str:
    return (
        f"{run.new} new, {run.updated} updated, {run.unchanged} unchanged, "
        f"{run.quarantined} quarantined, {run.skipped} skipped"
    )
