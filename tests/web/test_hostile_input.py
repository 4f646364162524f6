"""Bad input gets a 4xx, never a 5xx: every route of url_map, as anonymous and each role, with hostile path,
query and form values (issue #18). A deterministic pass gives every route the known killers; hypothesis then
explores (HOSTILE_EXAMPLES, default 150 per backend, to stay well under a minute in `make test`)."""

from __future__ import annotations

import os
import re
from dataclasses import fields
from urllib.parse import quote

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leads.web import forms, marketing_forms  # noqa: F401  # imported so every form class is known
from leads.workspace.leadlist import ListQuery
from tests.factories import PASSWORD
from tests.web.walk import clients, populate

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "150"))
SWEEP = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
SKIP = {"auth.logout", "static"}  # logout ends the sweeping client's session (tested in test_sessions.py)
ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")
KILLERS = [
    "9" * 25,  # past every integer column
    str(2**31),
    str(2**63),
    "-1",
    "0",
    "1e309",
    "NaN",
    "\x00",
    "a\r\nSet-Cookie: x=1",
    "/\\evil.example",
    "9999-12-31T23:59:59~1",
    "9999-12-31T23:59:59-01:00~1",
    "0001-01-01",
    "0001-01-01T00:00",
    "9999-12-31",
    "9999-12-31T23:59",
    "2026-02-30",
    "~",
    "x" * 5000,
    "😀\u202e\ufeff",
    "%",
    "",
]
hostile = st.one_of(
    st.sampled_from(KILLERS),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=40),
    st.dates().map(str),
    st.datetimes().map(lambda moment: moment.isoformat()),
)


def form_fields() -> list[str]:
    """Every field of every form the pages use, and the raw form keys views read."""
    found, todo = set(), [FlaskForm]
    while todo:
        form = todo.pop()
        todo += form.__subclasses__()
        found |= {
            name for name in dir(form) if not name.startswith("_") and hasattr(getattr(form, name), "field_class")
        }
    return sorted(found | {"owner_id", "status", "undo", "confirm", "on", "back", "lead_id"})


FORM_FIELDS = form_fields()
QUERY_ARGS = sorted({field.name for field in fields(ListQuery)} | {"page", "days", "show", "next", "sig"})


def path_for(rule, value: str, ids: dict[str, int]) -> str:
    """The rule's path with every argument set to `value` (ids stay real where value is None)."""

    def fill(match: re.Match) -> str:
        return quote(value if value is not None else str(ids.get(match.group(2), 1)), safe="")

    return ARGUMENT.sub(fill, rule.rule)


def send(browser, rule, method: str, path: str, value: str):
    query = dict.fromkeys(QUERY_ARGS, value)
    form = dict.fromkeys(FORM_FIELDS, value) if method == "POST" else None
    response = browser.open(path, method=method, query_string=query, data=form)
    response.close()
    return response.status_code


@pytest.fixture
def world(app, session, make_user, demo_data):
    app.config["WEBHOOK_SECRET"] = "sweep-secret"  # unset, the webhook answers 503 by design (Azure retries)
    ids, staff = populate(session, make_user)
    ids["user_id"] = make_user("sales").id  # admins sweep another account than any sweeping client's
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint not in SKIP]
    return ids, clients(app, staff), rules


def assert_no_5xx(status: int, who: str, method: str, path: str, value: str) -> None:
    assert status < 500, f"{who} {method} {path} with {value!r}: {status}"


ROUTE_KILLERS = ("9" * 25, "9999-12-31T23:59:59~1", "a\r\n\x7f")  # in every query and form field at once


def test_every_route_answers_the_known_killers_with_a_4xx_or_better(world):
    ids, browsers, rules = world
    statuses = []
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for who, browser in browsers.items():
                tries = [(path_for(rule, None, ids), v) for v in ROUTE_KILLERS[: 1 if who == "anonymous" else None]]
                tries.append((path_for(rule, "9" * 25, ids), "1"))  # every path argument past INTEGER
                if who == "admin":
                    tries.append((path_for(rule, None, ids), "\x00"))
                for path, value in tries:
                    status = send(browser, rule, method, path, value)
                    assert_no_5xx(status, who, method, path, value)
                    statuses.append(status)
    assert len(rules) > 40 and statuses.count(200) + statuses.count(303) > 100  # real pages, not only refusals


@SWEEP
@given(data=st.data())
def test_hostile_values_anywhere_never_get_a_5xx(world, data):
    ids, browsers, rules = world
    rule = data.draw(st.sampled_from(rules), label="rule")
    method = data.draw(st.sampled_from(sorted(rule.methods - {"HEAD", "OPTIONS"})), label="method")
    who = data.draw(st.sampled_from(sorted(browsers)), label="who")
    value = data.draw(hostile, label="value")
    in_path = data.draw(st.booleans(), label="in path")
    path = path_for(rule, value if in_path else None, ids)
    assert_no_5xx(send(browsers[who], rule, method, path, value), who, method, path, value)


def test_a_login_whose_next_holds_control_characters_goes_to_the_leads_list(app, make_user):
    user = make_user("sales")
    browser = app.test_client()
    for target in ("/leads\r\nSet-Cookie: x=1", "/rights\n", "/\trights", "/rights\x7f"):
        response = browser.post(
            "/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
        )
        assert response.status_code == 303 and response.headers["Location"] == "/leads", target
        browser.post("/logout")
    nul = browser.post("/login", query_string={"next": "/leads\x00"}, data={"email": user.email, "password": PASSWORD})
    assert nul.status_code == 400 and b"NUL" in nul.data  # refused before the password is even looked at
