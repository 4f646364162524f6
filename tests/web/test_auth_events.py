"""Authentication events are audited without the typed secret and shown on the audit page (issue #32, 10)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pyotp
from sqlmodel import select

from leads.models import AuditEvent
from leads.staff import totp
from tests.factories import PASSWORD, PINNED_NOW

TYPED_SECRET = "my-real-password-typed-in-the-wrong-box"


def events(session) -> list[tuple[str, str, str | None, dict]]:
    session.expire_all()
    rows = session.exec(select(AuditEvent).where(AuditEvent.action.like("log%")).order_by(AuditEvent.id))
    return [(row.action, row.actor, row.record_id, json.loads(row.details or "{}")) for row in rows]


def post_login(client, email, password, addr="192.0.2.10"):
    return client.post("/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": addr})


def test_log_ins_failures_and_log_outs_are_audited_without_what_was_typed(client, session, make_user):
    user = make_user("sales")
    assert post_login(client, user.email, TYPED_SECRET).status_code == 200
    assert post_login(client, f"{TYPED_SECRET}@x.example", TYPED_SECRET).status_code == 200
    assert post_login(client, user.email, PASSWORD).status_code == 303
    assert client.post("/logout", environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 303
    assert events(session) == [
        ("login.failed", "anonymous", str(user.id), {"account": "known", "address": "192.0.2.10"}),
        ("login.failed", "anonymous", None, {"account": "unknown", "address": "192.0.2.10"}),
        ("login.succeeded", user.email, str(user.id), {"method": "password", "address": "192.0.2.10"}),
        ("logout", user.email, str(user.id), {"address": "192.0.2.10"}),
    ]
    everything = " ".join(f"{row.actor} {row.details}" for row in session.exec(select(AuditEvent)))
    assert TYPED_SECRET not in everything and PASSWORD not in everything


def test_a_lock_out_is_audited_once_per_window_however_often_it_is_hit(client, session, make_user):
    user = make_user("support")
    for number in range(5):
        post_login(client, user.email, "wrong", addr=f"192.0.2.{number}")
    for number in range(10):
        assert post_login(client, user.email, PASSWORD, addr=f"198.51.100.{number}").status_code == 429
    actions = [action for action, *_ in events(session)]
    assert actions == ["login.failed"] * 5 + ["login.locked_out"]
    assert events(session)[-1][2:] == (str(user.id), {"limit": "account", "address": "198.51.100.0"})


def test_second_factor_failures_and_successes_are_audited(client, session, make_user):
    user = make_user("sales")
    start = PINNED_NOW - timedelta(minutes=10)
    row = totp.start_enrolment(session=session, user=user, now=start)
    totp.confirm_enrolment(session=session, user=user, code=pyotp.TOTP(row.secret).at(start), now=start)
    post_login(client, user.email, PASSWORD)
    right = pyotp.TOTP(row.secret).at(PINNED_NOW)
    client.post("/login/code", data={"code": "000000" if right != "000000" else "111111"})
    client.post("/login/code", data={"code": right})
    assert [(action, actor, details.get("method")) for action, actor, _id, details in events(session)] == [
        ("login.code_failed", "anonymous", None),
        ("login.succeeded", user.email, "password+code"),
    ]


def test_the_audit_page_shows_authentication_events(client, auth, make_user):
    victim = make_user("sales")
    post_login(client, victim.email, "wrong")
    auth.login("admin")
    page = client.get(f"/admin/audit?record_type=user&record_id={victim.id}").get_data(as_text=True)
    said = " ".join(re.sub(r"<[^>]+>", " ", page).split())  # what the member of staff reads
    assert re.search(r"A sign-in as [^.]+ failed\. anonymous", said), said[-600:]
    assert "signed in" in client.get("/admin/audit").get_data(as_text=True)
