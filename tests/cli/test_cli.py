"""The flask commands, through the CLI runner."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from leads import create_app, db
from leads.cli import DEMO_ADMIN_EMAIL
from leads.staff import users
from tests.factories import PASSWORD


def test_db_upgrade_creates_the_schema_on_a_new_sqlite_file(tmp_path, clock):
    target = tmp_path / "nested" / "fresh.db"
    app = create_app({"APP_ENV": "testing", "DATABASE_URL": f"sqlite:///{target}", "CLOCK": clock})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = db.make_engine(f"sqlite:///{target}")
    assert {"user", "lead", "installation", "installevent", "auditevent"} <= set(inspect(engine).get_table_names())
    engine.dispose()
    app.extensions["radnac.engine"].dispose()


def test_users_create_reads_the_password_from_stdin(app, session):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "Ops@Radnac.example", "--role", "support"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert users.authenticate(session=session, email="ops@radnac.example", password=PASSWORD).role == "support"


def test_users_create_refuses_a_short_password_and_an_unknown_role(app):
    runner = app.test_cli_runner()
    short = runner.invoke(args=["users", "create", "a@radnac.example", "--role", "sales"], input="short\n")
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    role = runner.invoke(args=["users", "create", "a@radnac.example", "--role", "boss"], input=PASSWORD + "\n")
    assert role.exit_code != 0 and "boss" in role.output


def test_demo_commands_load_once_and_print_working_credentials(app, session, tmp_path):
    app.config["APP_ENV"] = "development"
    app.instance_path = str(tmp_path)
    runner = app.test_cli_runner()
    assert "Loaded 600 demo leads" in runner.invoke(args=["demo", "load"]).output
    assert "already loaded" in runner.invoke(args=["demo", "load"]).output
    first = runner.invoke(args=["demo", "admin"]).output
    again = runner.invoke(args=["demo", "admin"]).output
    assert first == again and DEMO_ADMIN_EMAIL in first
    password = first.rsplit("password ", 1)[1].strip()
    assert users.authenticate(session=session, email=DEMO_ADMIN_EMAIL, password=password).role == "admin"
    assert oct(Path(tmp_path, "demo-admin-password.txt").stat().st_mode)[-3:] == "600"


def test_demo_commands_refuse_production(app):
    app.config["APP_ENV"] = "production"
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0 and "development only" in result.output
