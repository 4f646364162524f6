"""The second baseline (issue #21): what a team would build instead, a plain Flask-Admin ModelView.

Over the same database and the same `Lead` model: the list's columns, its search fields and its filters, 50
rows a page, newest first. Nothing tuned: this is the simplest alternative to our leads list, and the target
is for every filter and combination our page offers to answer at least twice as fast as this does.
"""

from __future__ import annotations

import re
import secrets
import time
import warnings
from typing import Any
from urllib.parse import quote_plus

from flask import Flask
from flask_admin import Admin
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.filters import FilterConverter
from flask_admin.model import filters
from sqlalchemy.orm import scoped_session, sessionmaker

from leads import db
from leads.models import Lead

COLUMNS = (
    "first_name",
    "last_name",
    "email",
    "company",
    "country",
    "offer",
    "action_code",
    "nurture_status",
    "owner_id",
    "received_at",
)
SEARCH = ("first_name", "last_name", "email", "company")
# `marketing_consent`: the person's state as copied onto the lead (migration 0030), so the ModelView can be
# asked the consent filters too.
FILTERS = ("country", "offer", "action_code", "nurture_status", "owner_id", "marketing_consent")


class Converter(FilterConverter):
    """Flask-Admin's own filters, taught that SQLModel's `AutoString` is a string (the one thing it lacks)."""

    @filters.convert("AutoString")
    def conv_autostring(self, column: Any, name: str, **kwargs: Any) -> Any:
        return self.conv_string(column, name, **kwargs)


class LeadView(ModelView):
    """The leads list as Flask-Admin draws it, read-only."""

    filter_converter = Converter()
    can_create = can_edit = can_delete = False
    page_size = 50
    column_list = COLUMNS
    column_searchable_list = SEARCH
    column_filters = FILTERS
    column_default_sort = ("received_at", True)


class AdminSite:
    """The ModelView app on `url`, with a test client; `args(filters)` turns our filters into its query string."""

    def __init__(self, url: str) -> None:
        self.app = Flask(__name__)
        self.app.config.update(SECRET_KEY=secrets.token_hex(16), TESTING=True)
        self.engine = db.make_engine(url)
        self.session = scoped_session(sessionmaker(bind=self.engine))
        admin = Admin(self.app, url="/admin")
        with warnings.catch_warnings():  # Flask-Admin 2.2 prefers a Flask-SQLAlchemy db; a plain session is the
            warnings.simplefilter("ignore", DeprecationWarning)  # simplest alternative, which is the point here
            self.view = LeadView(Lead, self.session, endpoint="lead")
        admin.add_view(self.view)
        self.client = self.app.test_client()
        self._filter_index = self._read_filter_indexes()

    def _read_filter_indexes(self) -> dict[tuple[str, str], int]:
        """Flask-Admin numbers each (column, operation) filter; find the 'equals' and 'empty' one of each column."""
        found: dict[tuple[str, str], int] = {}
        with self.app.test_request_context():
            for index, flt in enumerate(self.view._filters or []):
                name = getattr(flt, "column", None)
                key = getattr(name, "key", None) or str(flt.name).lower().replace(" ", "_")
                found.setdefault((key, str(flt.operation())), index)
        return found

    def args(self, filters: dict[str, str | None], search: str = "", page: int | None = None) -> str:
        """The list URL for equality `filters` (our names: status, owner; a value of None: "is empty", as our
        owner=none), an optional search and an optional page number (0 is the first; 50 rows a page)."""
        names = {"status": "nurture_status", "owner": "owner_id", "consent": "marketing_consent"}
        parts = [
            f"flt{n}_{self._filter_index[(names.get(k, k), 'equals' if v is not None else 'empty')]}="
            + quote_plus(v if v is not None else "1")
            for n, (k, v) in enumerate(filters.items())
        ]
        if search:
            parts.append(f"search={quote_plus(search)}")
        if page:
            parts.append(f"page={page}")
        return "/admin/lead/" + ("?" + "&".join(parts) if parts else "")

    def get(self, path: str) -> float:
        """Milliseconds to answer GET `path` and read the body; 200 and a table of rows required."""
        started = time.perf_counter()
        response = self.client.get(path)
        body = response.get_data(as_text=True)
        elapsed = (time.perf_counter() - started) * 1000
        self.session.remove()
        if response.status_code != 200 or not re.search(r"<table", body):
            raise RuntimeError(f"Flask-Admin GET {path} answered {response.status_code}")
        return elapsed

    def close(self) -> None:
        self.session.remove()
        self.engine.dispose()
