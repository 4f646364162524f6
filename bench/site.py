"""The real app, logged in through its login form, and the bare database beside it.

`Site.capture` records every SQL statement (with its parameters) a request sends; `Bare.replay` sends exactly
those statements through the database driver alone. So a page's baseline is the SQL the page needs, with no
Flask, no ORM and no templates: the ratio between the two is what the app adds.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from flask import Flask, render_template
from sqlalchemy import event
from sqlalchemy.engine import make_url

from bench.generator import ANCHOR
from bench.generator.people import ADMIN_EMAIL, PASSWORD
from bench.load import conninfo
from leads import create_app, db

Statement = tuple[str, Any]
FLOOR = "/_bench/floor"


def bench_app(url: str, **config: Any) -> Flask:
    """The app as production runs it (CSRF on), on `url`, its clock pinned to the data's anchor."""
    settings = {
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        # Production requires a key of its own (issue #17), and the same one every time the app starts on this
        # database: the app refuses a changed key once tombstones exist.
        "TOMBSTONE_KEY": "bench-tombstone-key-" + "b" * 44,
        "DATABASE_URL": url,
        "CLOCK": lambda: ANCHOR,
        "SESSION_COOKIE_SECURE": False,  # the test client speaks plain HTTP
        "REMEMBER_COOKIE_SECURE": False,
        "WEB_CONCURRENCY": 1,  # one test client in one process (the webhook bench's gunicorn workers never log in)
        **config,
    }
    app = create_app(settings)
    # The fair floor (issue #21): the cheapest page the stack can serve. Logged in (the session and the user
    # load run, as on every page), the base template with its navigation, and no query of its own.
    app.add_url_rule(FLOOR, "bench_floor", lambda: render_template("base.html"))
    return app


class Site:
    """A logged-in test client of the app, timing requests and capturing their SQL."""

    def __init__(self, url: str, email: str = ADMIN_EMAIL) -> None:
        self.app = bench_app(url)
        self.client = self.app.test_client()
        page = self.client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        form = {"email": email, "password": PASSWORD, "csrf_token": token.group(1) if token else ""}
        answer = self.client.post("/login", data=form)
        if answer.status_code != 303:
            raise RuntimeError(f"could not log in to the bench app: {answer.status_code}")

        page = self.client.get("/leads").get_data(as_text=True)
        self.csrf_token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)  # type: ignore[union-attr]

    def get(self, path: str, *, htmx: bool = False, method: str = "GET") -> float:
        """Milliseconds to answer `method` `path` and read the whole body (streamed ones included). A POST
        (a download that writes its audit entry) carries the CSRF token, as the page's form does."""
        headers = {"HX-Request": "true"} if htmx else {}
        form = {"csrf_token": self.csrf_token} if method == "POST" else None
        started = time.perf_counter()
        response = self.client.open(path, method=method, headers=headers, data=form)
        response.get_data()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{method} {path} answered {response.status_code}")
        return elapsed

    def capture(self, path: str, *, htmx: bool = False, method: str = "GET") -> list[Statement]:
        """The SQL statements `method` `path` sends, in order, with their parameters."""
        seen: list[Statement] = []

        def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
            seen.append((statement, parameters))

        engine = self.app.extensions["radnac.engine"]
        event.listen(engine, "before_cursor_execute", record)
        try:
            self.get(path, htmx=htmx, method=method)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return seen

    def close(self) -> None:
        self.app.extensions["radnac.engine"].dispose()


class Bare:
    """The database driver alone (sqlite3 or psycopg 3), set up as the app sets up its connections."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite"):
            self.connection: Any = sqlite3.connect(make_url(url).database or "", check_same_thread=False)
            for pragma in ("journal_mode=WAL", f"busy_timeout={db.SQLITE_BUSY_TIMEOUT_MS}", "foreign_keys=ON"):
                self.connection.execute(f"PRAGMA {pragma}")  # as leads.db sets up the app's connections
            self.connection.execute("PRAGMA synchronous=NORMAL")
        else:
            self.connection = psycopg.connect(conninfo(url), prepare_threshold=None)  # as leads.db: never prepared

    def replay(self, statements: list[Statement]) -> float:
        """Milliseconds to send `statements` and fetch every row, in one transaction (committed if it wrote)."""
        started = time.perf_counter()
        cursor = self.connection.cursor()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            if cursor.description is not None:
                cursor.fetchall()
        self.connection.commit()
        return (time.perf_counter() - started) * 1000

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        """A cursor for set-up queries; the transaction is ended after."""
        cursor = self.connection.cursor()
        try:
            yield cursor
        finally:
            self.connection.rollback()

    def close(self) -> None:
        self.connection.close()


def query(url: str, sql: str) -> list[tuple]:
    """The rows of one set-up query, on a connection of its own."""
    bare = Bare(url)
    try:
        with bare.cursor() as cursor:
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()]
    finally:
        bare.close()


# Which captured statements are "about the viewer" (issue #33, item 3: what every page needs about the viewer
# costs at most one statement, or comes from a cache its writer invalidates). The rule reads the statement's
# main table (the first one after FROM, or the table an INSERT, UPDATE or DELETE writes):
# - `user`: the session's user, and the staff every list names (the owner filter, authors, actors);
# - `signinpolicy`: the sign-in policy the session is checked against (second factor required or not);
# - `savedview` read for a member of staff (`user_id` in its WHERE): the viewer's saved views of the page; a
#   read of every saved view (the portability bundle searching the names staff gave for its person) is the
#   page's own (until issue #33's fourth pass the rule counted every read of the table, that one included);
# - `viewerversion`: the stamp the menus above are cached under (read alone it would be the viewer's too);
# - `marketinglist` read with no WHERE: the menu of every list (the bulk "add to list" form); a lead's own
#   lists (a WHERE on its id) are the page's;
# - `legalhold` read for the shown rows (`record_id IN (…)` or `= ?`): the hold mark beside each row, which
#   the issue counts with the viewer's reads; a read of every active hold (the dashboard's and /retention's
#   counts) is the page's own.
# Every other statement is the page's own (its rows, its count, what it shows of each row).
VIEWER_TABLES = ("user", "signinpolicy", "viewerversion")
_MAIN_TABLE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)|\bFROM\s+"?(\w+)', re.I | re.S)


def main_table(statement: str) -> str:
    """The table a statement writes, or the first it reads FROM (a subquery in FROM is looked through)."""
    match = _MAIN_TABLE.search(statement)
    return (match.group(1) or match.group(2)).lower() if match else ""


def about_viewer(statement: str) -> bool:
    """Whether `statement` is one of the viewer's (the rule above), not the page's own."""
    table = main_table(statement)
    if table in VIEWER_TABLES:
        return True
    where = " ".join(statement.upper().split()).partition(" WHERE ")[2]
    if table == "savedview":
        return "SAVEDVIEW.USER_ID" in where
    if table == "marketinglist":
        return not where
    if table == "legalhold":
        return re.search(r"\bRECORD_ID\s*(IN\b|=\s*[?%])", where) is not None
    return False
