"""Walking `app.url_map` over a populated database: real ids for every path argument, every role's client.

Shared by the "no GET writes" test and the hostile-input sweep; pytest-flask's `client` is not used, because it
keeps its last app context pushed and clients would share one `g` (see tests/web/test_sessions.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date
from html.parser import HTMLParser

from flask import url_for
from sqlalchemy import func, select
from sqlmodel import SQLModel

from leads import demo
from leads.consent import marketing
from leads.models import Installation, Lead, LegalHold, SupportGrant
from leads.rights import register
from tests.factories import PASSWORD, PINNED_NOW

ROLES = ("admin", "sales", "support")


def populate(session, make_user) -> tuple[dict[str, int], dict[str, object]]:
    """Demo data (the caller asks for the `demo_data` fixture) plus a rights request and a marketing list: the
    first id of each kind of record, and one member of staff per role."""
    assert demo.is_loaded(session=session), "populate builds on the demo data: ask for the demo_data fixture"
    staff = {role: make_user(role) for role in ROLES}
    request = register.create(
        session=session,
        kind="access",
        requester_name="Ada Lovelace",
        requester_email="ada@x.example",
        channel="email",
        received_on=date(2026, 11, 20),
        details="All my data",
        actor=staff["support"],
        now=PINNED_NOW,
    )
    target = marketing.create_list(session=session, name="Walk", description=None, actor=staff["sales"], now=PINNED_NOW)

    def first(model) -> int:
        return session.exec(select(func.min(model.id))).one()[0]

    # A request a right can be carried out on (issue #16): identity verified, and covering a lead.
    register.verify_identity(session=session, request=request, actor=staff["support"], now=PINNED_NOW)
    override = register.Override("the walk's fixture", "set up by the test")
    lead = session.get(Lead, first(Lead))
    register.confirm_lead(
        session=session, request=request, lead=lead, actor=staff["support"], now=PINNED_NOW, override=override
    )

    ids = {
        "lead_id": first(Lead),
        "installation_id": first(Installation),
        "grant_id": first(SupportGrant),
        "hold_id": first(LegalHold),
        "request_id": request.id,
        "list_id": target.id,
        "user_id": staff["sales"].id,
    }
    return ids, staff


FIXED = {"kind": "access", "record_type": "lead", "step": "verify-identity", "filename": "app.css"}


def urls(app, ids: dict[str, int], methods: set[str]):
    """(endpoint, method, url) for every rule that answers one of `methods`, with real ids filled in."""
    for rule in app.url_map.iter_rules():
        values = {arg: ids.get(arg, FIXED.get(arg, 1)) for arg in rule.arguments}
        with app.test_request_context():
            url = url_for(rule.endpoint, **values)
        for method in sorted(rule.methods & methods):
            yield rule.endpoint, method, url


def clients(app, staff_by_role):
    """An anonymous client and one logged-in client per role."""
    found = {"anonymous": app.test_client()}
    for role, user in staff_by_role.items():
        browser = app.test_client()
        answer = browser.post("/login", data={"email": user.email, "password": PASSWORD})
        assert answer.status_code == 303, answer.data
        found[role] = browser
    return found


def row_counts(session) -> dict[str, int]:
    """How many rows every table holds."""
    session.expire_all()
    return {
        table.name: session.exec(select(func.count()).select_from(table)).one()[0]
        for table in SQLModel.metadata.sorted_tables
    }


@dataclass
class Field:
    """One control of a page's form: its tag, type, name, value (a select's selected one) and what else it has."""

    tag: str
    type: str
    name: str
    value: str
    attrs: dict[str, str]
    options: list[str] = dc_field(default_factory=list)


@dataclass
class PageForm:
    """One `<form method=post>` of a page: its action, id and controls (including those outside it that name
    it with `form=`)."""

    action: str
    id: str | None
    fields: list[Field] = dc_field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self.links: list[str] = []
        self._open: PageForm | None = None
        self._outside: list[Field] = []
        self._select: Field | None = None
        self._option: str | None = None
        self._text: Field | None = None

    def _place(self, field: Field) -> None:
        owner = field.attrs.get("form")
        if owner:
            self._outside.append(field)
        elif self._open is not None:
            self._open.fields.append(field)

    def handle_starttag(self, tag, attrs):
        found = {name: value or "" for name, value in attrs}
        if tag == "a" and found.get("href"):
            self.links.append(found["href"])
        elif tag == "form" and found.get("method", "get").lower() == "post":
            self._open = PageForm(found.get("action", ""), found.get("id"))
            self.forms.append(self._open)
        elif tag == "input" and found.get("name"):
            kind = found.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in found:
                field = Field(tag, kind, found["name"], "", found, [found.get("value", "on")])
            else:
                field = Field(tag, kind, found["name"], found.get("value", "on" if kind == "checkbox" else ""), found)
            self._place(field)
        elif tag == "select" and found.get("name"):
            self._select = Field(tag, "select", found["name"], "", found)
            self._place(self._select)
        elif tag == "option" and self._select is not None:
            self._option = found.get("value")
            self._select.options.append(self._option or "")
            if "selected" in found or not self._select.value:
                self._select.value = self._option or ""
        elif tag == "textarea" and found.get("name"):
            self._text = Field(tag, "textarea", found["name"], "", found)
            self._place(self._text)

    def handle_data(self, data):
        if self._text is not None:
            self._text.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._text is not None:
            self._text.value = self._text.value.removeprefix("\n")
            self._text = None

    def close(self):
        super().close()
        for field in self._outside:
            for form in self.forms:
                if form.id == field.attrs.get("form"):
                    form.fields.append(field)


def parse(html: str) -> _Parser:
    """The page's post forms (`.forms`) and link targets (`.links`)."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser
