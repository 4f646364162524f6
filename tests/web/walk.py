"""Walking `app.url_map` over a populated database: real ids for every path argument, every role's client.

Shared by the "no GET writes" test and the hostile-input sweep; pytest-flask's `client` is not used, because it
keeps its last app context pushed and clients would share one `g` (see tests/web/test_sessions.py).
"""

from __future__ import annotations

from datetime import date

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
