"""Sessions: forged cookies, sessions that end (logout, password, role, deactivation), timeouts, binding."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pyotp
import pytest
from flask import render_template
from flask.json.tag import TaggedJSONSerializer
from flask_login import login_user
from itsdangerous import URLSafeTimedSerializer
from sqlmodel import Session

from leads import config, create_app
from leads.config import ConfigError
from leads.staff import totp, users
from leads.web import sessions
from tests.factories import PASSWORD, PINNED_NOW, logged_in
from tests.sqlplan import statements


def forge(payload: dict, key: str) -> str:
    """A Flask session cookie signed with `key`, built without the app: what an attacker who guessed it does."""
    serializer = URLSafeTimedSerializer(
        key,
        salt="cookie-session",
        serializer=TaggedJSONSerializer(),
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )
    return serializer.dumps(payload)


def session_of(client) -> dict:
    with client.session_transaction() as current:
        return dict(current)


def test_a_cookie_forged_with_a_weak_key_cannot_work_because_production_refuses_the_key(
    database_url, clock, make_user, app
):
    admin = make_user("admin")
    victim_app = create_app(
        {
            "APP_ENV": "testing",
            "SECRET_KEY": "changeme",
            "DATABASE_URL": database_url,
            "CLOCK": clock,
            "WTF_CSRF_ENABLED": False,
        }
    )
    honest = victim_app.test_client()
    assert honest.post("/login", data={"email": admin.email, "password": PASSWORD}).status_code == 303
    payload = session_of(honest)  # the format is public (the code is); only the key is secret
    attacker = victim_app.test_client()
    attacker.set_cookie("session", forge(payload, "changeme"))
    assert attacker.get("/admin/users").status_code == 200  # the attack is real where the key is weak
    with pytest.raises(ConfigError, match=r"SECRET_KEY .*well-known"):
        create_app({"APP_ENV": "production", "SECRET_KEY": "changeme", "DATABASE_URL": database_url})
    victim_app.extensions["radnac.engine"].dispose()


def cookie_of(client) -> str:
    return client.get_cookie("session").value


def replay(app, cookie: str, path: str = "/leads", **kwargs):
    """The copied cookie, sent by another client (another browser, another machine)."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get(path, **kwargs)


def test_a_cookie_copied_before_logout_is_dead_after_it(app, make_user):
    mine = logged_in(app, make_user("sales"))
    copied = cookie_of(mine)
    assert replay(app, copied).status_code == 200
    assert mine.post("/logout").status_code == 303
    response = replay(app, copied)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logging_out_in_one_browser_ends_the_users_other_sessions(app, make_user):
    user = make_user("sales")
    laptop, phone = logged_in(app, user), logged_in(app, user)
    assert phone.get("/leads").status_code == 200
    laptop.post("/logout")
    assert phone.get("/leads").status_code == 302


@pytest.mark.parametrize("change", [{"role": "support", "active": "y"}, {"role": "sales"}], ids=["role", "deactivate"])
def test_a_role_change_or_deactivation_ends_every_session_at_once(app, make_user, change):
    victim = make_user("sales")
    theirs = logged_in(app, victim)
    assert theirs.get("/leads").status_code == 200
    admin = logged_in(app, make_user("admin"))
    assert admin.post(f"/admin/users/{victim.id}", data=change).status_code == 303
    assert theirs.get("/leads").status_code == 302
    assert admin.get("/admin/users").status_code == 200  # the admin's own session goes on


def test_a_session_ends_after_the_idle_timeout_and_the_absolute_lifetime(app, client, auth, clock):
    defaults = config.defaults("/i")
    idle, most = defaults["SESSION_IDLE_TIMEOUT"], defaults["SESSION_MAX_AGE"]
    assert (idle, most) == (timedelta(minutes=30), timedelta(hours=12))  # the documented defaults
    app.config.update(SESSION_IDLE_TIMEOUT=idle, SESSION_MAX_AGE=most)
    start = clock.now
    auth.login("sales")
    for minutes in range(25, 12 * 60, 25):  # busy all day, never 30 minutes idle
        clock.now = start + timedelta(minutes=minutes)
        assert client.get("/leads").status_code == 200, minutes
    clock.now = start + most + timedelta(seconds=1)
    assert client.get("/leads").status_code == 302  # 12 hours after login, used or not
    auth.login("sales")
    clock.now += idle + timedelta(seconds=1)
    assert client.get("/leads").status_code == 302  # 31 minutes idle
    assert client.get_cookie("session") is None or "_user_id" not in session_of(client)


def test_a_stolen_cookie_replayed_from_elsewhere_with_a_spoofed_forwarded_for_is_refused(app, make_user):
    victim = {"REMOTE_ADDR": "192.0.2.10"}
    mine = logged_in(app, make_user("sales"), environ_base=victim)
    assert mine.get("/leads", environ_base=victim).status_code == 200
    stolen = cookie_of(mine)
    elsewhere = {"REMOTE_ADDR": "203.0.113.66"}
    spoofed = replay(app, stolen, environ_base=elsewhere, headers={"X-Forwarded-For": "192.0.2.10"})
    assert spoofed.status_code == 302  # TRUSTED_PROXY_COUNT=0: the header is the attacker's word, not the address
    assert replay(app, stolen, environ_base=elsewhere).status_code == 302
    assert replay(app, stolen, environ_base=victim, headers={"User-Agent": "curl/8"}).status_code == 302


def test_behind_a_trusted_proxy_the_session_binds_to_the_address_the_proxy_saw(database_url, clock, make_user):
    proxied = create_app(
        {
            "APP_ENV": "testing",
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "CLOCK": clock,
            "WTF_CSRF_ENABLED": False,
            "TRUSTED_PROXY_COUNT": 1,
        }
    )
    user = make_user("sales")
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    browser = proxied.test_client()
    browser.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        environ_base=proxy,
        headers={"X-Forwarded-For": "192.0.2.10"},
    )
    assert browser.get("/leads", environ_base=proxy, headers={"X-Forwarded-For": "192.0.2.10"}).status_code == 200
    # the same cookie through the same proxy, but for another client: the proxy's own entry is what is believed
    moved = replay(
        proxied, cookie_of(browser), environ_base=proxy, headers={"X-Forwarded-For": "192.0.2.10, 203.0.113.66"}
    )
    assert moved.status_code == 302
    proxied.extensions["radnac.engine"].dispose()


def floor(app):
    """A page with no query of its own (the bench's floor, `bench/site.py`): all it sends is about the viewer."""
    app.add_url_rule("/_floor", "floor", lambda: render_template("base.html"))


def sent_by(app, call) -> list[str]:
    """Every statement `call` sends on the app's engine, its whitespace folded."""
    with Session(app.extensions["radnac.engine"]) as session:
        return [" ".join(statement.split()) for statement, _, _ in statements(session, call, containing="")]


@pytest.mark.parametrize("policy", [None, False, True], ids=["no-policy-row", "optional", "required"])
def test_a_signed_in_page_reads_the_user_and_the_sign_in_policy_in_one_statement(app, session, make_user, policy):
    floor(app)
    admin, user = make_user("admin"), make_user("sales")
    if policy is not None:
        totp.set_required(session=session, required=policy, now=PINNED_NOW, actor=admin)
    if policy:  # enrolled, so the page is served (and the second factor is read with the rest)
        row = totp.start_enrolment(session=session, user=user, now=PINNED_NOW)
        totp.confirm_enrolment(session=session, user=user, code=pyotp.TOTP(row.secret).at(PINNED_NOW), now=PINNED_NOW)
        browser = app.test_client()
        browser.post("/login", data={"email": user.email, "password": PASSWORD})
        code = pyotp.TOTP(row.secret).at(PINNED_NOW + timedelta(seconds=30))
        assert browser.post("/login/code", data={"code": code}).status_code == 303
    else:
        browser = logged_in(app, user)
    responses = []
    sent = sent_by(app, lambda: responses.append(browser.get("/_floor")))
    assert responses[0].status_code == 200
    assert len(sent) == 1, sent
    assert re.search(r'FROM "?user"? LEFT OUTER JOIN signinpolicy .* LEFT OUTER JOIN totpsecret ', sent[0]), sent


def test_a_policy_set_elsewhere_holds_at_the_next_request(app, session, make_user):
    """No worker keeps the policy: one set by another (here, another connection) applies at once, both ways."""
    floor(app)
    admin, user = make_user("admin"), make_user("sales")
    browser = logged_in(app, user)
    assert browser.get("/_floor").status_code == 200
    totp.set_required(session=session, required=True, now=PINNED_NOW, actor=admin)
    assert browser.get("/_floor").headers["Location"] == "/account/second-factor"
    totp.set_required(session=session, required=False, now=PINNED_NOW, actor=admin)
    assert browser.get("/_floor").status_code == 200


def test_a_deactivation_written_elsewhere_ends_the_session_at_the_next_request(app, session, make_user):
    floor(app)
    admin, user = make_user("admin"), make_user("sales")
    browser = logged_in(app, user)
    assert browser.get("/_floor").status_code == 200
    users.update_user(session=session, user=user, role="sales", active=False, now=PINNED_NOW, actor=admin)
    assert browser.get("/_floor").status_code == 302


def test_a_user_logged_in_during_the_request_has_their_sign_in_state_read_afresh(app, session, make_user):
    """`sessions.signed_in` serves the loader's read only for the user the loader loaded; anyone else is read."""
    admin, user = make_user("admin"), make_user("sales")
    totp.set_required(session=session, required=True, now=PINNED_NOW, actor=admin)
    with app.test_request_context("/"):
        login_user(user)
        first = sessions.signed_in()
        assert (first.user.id, first.totp_required, first.totp_enrolled) == (user.id, True, False)
        assert sent_by(app, sessions.signed_in) == []  # kept for the rest of the request
        sessions.forget_signed_in()  # after a write: asked again
        assert len(sent_by(app, sessions.signed_in)) == 1
