"""The menus every page shows its viewer, cached under the viewer version (issue #33, item 3): the database moves
the stamp on every write to the covered tables, whoever writes, and a cached menu is served only under the stamp
it was read with."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import delete, insert, text, update
from sqlmodel import Session

from leads.models import MarketingList, SavedView, User
from leads.workspace import viewer
from tests.factories import PINNED_NOW
from tests.sqlplan import statements


def stamp(session: Session) -> int | None:
    """The viewer version as committed now (a fresh transaction)."""
    session.commit()
    return session.execute(text("SELECT stamp FROM viewerversion WHERE id = 1")).scalar()


def sent(session: Session, call: Callable[[], object]) -> list[str]:
    return [s for s, _, _ in statements(session, call, containing="")]


def triggers(session: Session) -> dict[str, set[str]]:
    """table -> what its viewer-version triggers fire on ("INSERT", "DELETE", "UPDATE OF a, b" or "UPDATE",
    "TRUNCATE"), as the database holds them."""
    found: dict[str, set[str]] = {}
    if session.get_bind().dialect.name == "sqlite":
        rows = session.execute(text("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'"))
        for table, sql in rows:
            if "viewerversion" in sql:
                event = " ".join(sql.split(" AFTER ", 1)[1].split(" ON ", 1)[0].split())
                found.setdefault(table, set()).add(event)
        return found
    rows = session.execute(
        text(
            "SELECT c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = 'viewer_version_bump'"
        )
    )
    for table, definition in rows:
        events = definition.split(" AFTER ", 1)[1].split(" ON ", 1)[0]
        found.setdefault(table, set()).update(" ".join(e.split()) for e in events.split(" OR "))
    return found


def test_the_databases_triggers_cover_exactly_the_declared_tables_and_columns(session):
    expected = {
        table: {"INSERT", "DELETE", f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"}
        for table, columns in viewer.COVERED.items()
    }
    if session.get_bind().dialect.name == "postgresql":
        expected = {table: events | {"TRUNCATE"} for table, events in expected.items()}
    assert triggers(session) == expected


# --- every writer moves the stamp -----------------------------------------------------------------------------


def _user(session: Session, n: int = 0) -> int:
    row = User(email=f"menu{n}@x.example", password_hash="x", role="sales", created_at=PINNED_NOW)
    session.add(row)
    session.commit()
    return row.id


def _list(session: Session, n: int = 0) -> int:
    row = MarketingList(name=f"Menu list {n}", created_by="t", created_at=PINNED_NOW)
    session.add(row)
    session.commit()
    return row.id


def _view(session: Session, n: int = 0) -> int:
    row = SavedView(user_id=_user(session, n), page="leads", name=f"Menu view {n}", query="", created_at=PINNED_NOW)
    session.add(row)
    session.commit()
    return row.id


MODELS = {
    "user": (User, _user, "email"),
    "marketinglist": (MarketingList, _list, "name"),
    "savedview": (SavedView, _view, "name"),
}


def _orm_update(session, model, row_id, column):
    row = session.get(model, row_id)
    setattr(row, column, getattr(row, column) + "x")
    session.commit()


def _orm_delete(session, model, row_id, column):
    session.delete(session.get(model, row_id))
    session.commit()


def _core_insert(session, model, row_id, column):
    row = session.get(model, row_id).model_dump(exclude={"id"})
    row[column] = f"another {row[column]}"
    session.execute(insert(model).values(row))
    session.commit()


def _core_update(session, model, row_id, column):
    session.execute(update(model).where(model.id == row_id).values({column: f"changed {row_id}"}))
    session.commit()


def _core_delete(session, model, row_id, column):
    session.execute(delete(model).where(model.id == row_id))
    session.commit()


def _raw_update(session, model, row_id, column):
    table = model.__tablename__
    raw = f"UPDATE \"{table}\" SET {column} = {column} || 'y' WHERE id = :id"  # noqa: S608 # the test's own names
    session.execute(text(raw), {"id": row_id})
    session.commit()


def _raw_delete(session, model, row_id, column):
    raw = f'DELETE FROM "{model.__tablename__}" WHERE id = :id'  # noqa: S608 # the test's own names
    session.execute(text(raw), {"id": row_id})
    session.commit()


def _raw_delete_all(session, model, row_id, column):
    # SQLite's truncate optimisation would skip row triggers: the triggers' presence turns it off
    session.execute(text(f'DELETE FROM "{model.__tablename__}"'))  # noqa: S608 # the test's own names
    session.commit()


WRITES = {
    "orm update": _orm_update,
    "orm delete": _orm_delete,
    "core insert": _core_insert,
    "core update": _core_update,
    "core delete": _core_delete,
    "raw update": _raw_update,
    "raw delete": _raw_delete,
    "raw delete all": _raw_delete_all,
}


@pytest.mark.parametrize("write", list(WRITES))
@pytest.mark.parametrize("table", list(viewer.COVERED))
def test_every_write_to_a_covered_table_moves_the_stamp(session, table, write):
    model, make, column = MODELS[table]
    before = stamp(session)
    row_id = make(session)
    was = stamp(session)
    assert before is not None and was != before, "an ORM insert"
    WRITES[write](session, model, row_id, column)
    assert stamp(session) != was


@pytest.mark.parametrize("table", ["marketinglist", "savedview"])
def test_truncate_moves_the_stamp(session, table):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (its DELETE without WHERE is above)")
    MODELS[table][1](session)
    was = stamp(session)
    session.execute(text(f'TRUNCATE "{table}" CASCADE'))
    assert stamp(session) != was


def test_a_users_login_bookkeeping_does_not_move_the_stamp_but_what_the_menus_show_does(session):
    row_id = _user(session)
    was = stamp(session)
    session.execute(
        update(User).where(User.id == row_id).values(session_version=User.session_version + 1, role="admin")
    )
    assert stamp(session) == was  # neither is in a menu
    session.execute(update(User).where(User.id == row_id).values(active=False))
    assert stamp(session) != was


def test_a_rolled_back_write_leaves_the_stamp_where_it_was(session):
    was = stamp(session)
    session.add(MarketingList(name="Never", created_by="t", created_at=PINNED_NOW))
    session.flush()
    session.rollback()
    assert stamp(session) == was


# --- the cache ------------------------------------------------------------------------------------------------


def test_the_menus_are_read_once_per_version_and_again_after_a_write(session, make_user):
    me = make_user("sales", "me@x.example")
    version = stamp(session)
    asked = {"session": session, "staff": True, "lists": True, "views": (me.id, "leads")}
    first = viewer.menus(version=version, **asked)
    assert [s.email for s in first.staff] == ["me@x.example"] and first.lists == first.views == []
    assert sent(session, lambda: viewer.menus(version=version, **asked)) == []  # kept
    _list(session)
    version = stamp(session)
    [statement] = sent(session, lambda: viewer.menus(version=version, **asked))  # all three, one statement
    assert [c.name for c in viewer.menus(version=version, **asked).lists] == ["Menu list 0"]
    assert "UNION ALL" in statement


def test_what_a_page_lacks_is_read_alone_and_kept_beside_the_rest(session, make_user):
    me = make_user("sales")
    version = stamp(session)
    viewer.menus(session=session, version=version, staff=True)
    [statement] = sent(session, lambda: viewer.menus(session=session, version=version, views=(me.id, "installations")))
    assert "savedview" in statement and '"user"' not in statement and "user." not in statement
    assert (
        sent(
            session, lambda: viewer.menus(session=session, version=version, staff=True, views=(me.id, "installations"))
        )
        == []
    )


def test_without_a_version_nothing_is_kept(session, make_user):
    make_user("sales")
    assert len(sent(session, lambda: viewer.menus(session=session, version=None, staff=True))) == 1
    assert len(sent(session, lambda: viewer.menus(session=session, version=None, staff=True))) == 1


def test_a_missing_stamp_row_reads_as_no_version(app, session, make_user):
    from leads.staff import users

    user = make_user("sales")
    assert users.signed_in(session=session, user=user).viewer_version == stamp(session) is not None
    session.execute(text("DELETE FROM viewerversion"))
    session.commit()
    assert users.signed_in(session=session, user=user).viewer_version is None


def test_each_database_keeps_its_own_entries(app, session, make_user, tmp_path):
    """Two engines (two apps, or a database made again) never share an entry, even under the same stamp."""
    from leads import db

    make_user("sales", "first@x.example")
    version = stamp(session)
    assert [s.email for s in viewer.menus(session=session, version=version, staff=True).staff] == ["first@x.example"]
    other = db.make_engine(str(app.extensions["radnac.engine"].url.render_as_string(hide_password=False)))
    try:
        with Session(other) as elsewhere:
            assert len(sent(elsewhere, lambda: viewer.menus(session=elsewhere, version=version, staff=True))) == 1
    finally:
        other.dispose()


# --- the migration --------------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    """An empty database of its own (not migrated), dropped after the test."""
    import os
    import uuid

    from sqlalchemy.engine import make_url

    from leads import db

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set")
    name = f"radnac_mig_{uuid.uuid4().hex[:12]}"
    admin = db.make_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(db.normalise_url(base)).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_the_viewer_version_migration_upgrades_seeds_at_random_and_downgrades(fresh_url, sqlite_template):
    from alembic import command
    from sqlalchemy import inspect

    from leads import db
    from leads.cli import alembic_config

    command.upgrade(alembic_config(fresh_url), "head")
    engine = db.make_engine(fresh_url)
    try:
        with Session(engine) as session:
            seeded = stamp(session)
            assert set(triggers(session)) == set(viewer.COVERED)
        other = db.make_engine(f"sqlite:///{sqlite_template}")
        with Session(other) as template:
            assert seeded != stamp(template)  # another database made the same way starts elsewhere
        other.dispose()
        command.downgrade(alembic_config(fresh_url), "0030_lead_consent")
        with Session(engine) as session:
            assert "viewerversion" not in inspect(session.connection()).get_table_names()
            assert triggers(session) == {}
            _user(session)  # the tables write as before, with no stamp to move
        command.upgrade(alembic_config(fresh_url), "head")
        with Session(engine) as session:
            assert stamp(session) is not None and set(triggers(session)) == set(viewer.COVERED)
    finally:
        engine.dispose()
