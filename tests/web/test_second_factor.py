"""The second factor in the password log-in (leads/web/second_factor.py): code step, throttle, enrolment, policy."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
import segno

from leads.staff import totp
from leads.web.second_factor import CODE_FAILED
from tests.factories import PASSWORD, PINNED_NOW


@pytest.fixture
def enrolled(session, make_user):
    """A sales user enrolled ten minutes ago: (user, secret, recovery codes)."""
    user = make_user("sales")
    start = PINNED_NOW - timedelta(minutes=10)
    row = totp.start_enrolment(session=session, user=user, now=start)
    codes = totp.confirm_enrolment(session=session, user=user, code=pyotp.TOTP(row.secret).at(start), now=start)
    return user, row.secret, codes


def password_step(client, user, addr="127.0.0.1"):
    return client.post(
        "/login?next=/dashboard", data={"email": user.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": addr}
    )


def code_step(client, code, addr="127.0.0.1"):
    return client.post("/login/code", data={"code": code}, environ_base={"REMOTE_ADDR": addr})


def test_an_enrolled_account_needs_its_code_after_the_password(client, enrolled):
    user, secret, _codes = enrolled
    response = password_step(client, user)
    assert (response.status_code, response.headers["Location"]) == (303, "/login/code")
    assert client.get("/leads").status_code == 302  # the password alone logged nobody in
    assert "Enter your code" in client.get("/login/code").get_data(as_text=True)
    response = code_step(client, pyotp.TOTP(secret).at(PINNED_NOW))
    assert (response.status_code, response.headers["Location"]) == (303, "/dashboard")
    assert client.get("/leads").status_code == 200


def test_a_wrong_code_and_a_reused_code_are_refused(client, enrolled, clock):
    user, secret, _codes = enrolled
    code = pyotp.TOTP(secret).at(PINNED_NOW)
    password_step(client, user)
    wrong = code_step(client, "000000" if code != "000000" else "111111")
    assert wrong.status_code == 200 and CODE_FAILED in wrong.get_data(as_text=True)
    assert code_step(client, code).status_code == 303
    client.post("/logout")
    clock.now = PINNED_NOW + timedelta(seconds=10)  # same 30 s window: someone who saw the code tries it
    password_step(client, user)
    reused = code_step(client, code)
    assert reused.status_code == 200 and CODE_FAILED in reused.get_data(as_text=True)
    assert client.get("/leads").status_code == 302


def test_a_recovery_code_logs_in_once(client, enrolled):
    user, _secret, codes = enrolled
    password_step(client, user)
    assert code_step(client, codes[0]).status_code == 303
    client.post("/logout")
    password_step(client, user)
    assert code_step(client, codes[0]).status_code == 200


def test_the_code_step_is_useless_without_the_password_step_and_expires(client, enrolled, clock):
    user, secret, _codes = enrolled
    response = client.get("/login/code")
    assert (response.status_code, response.headers["Location"]) == (302, "/login")
    assert client.post("/login/code", data={"code": "123456"}).status_code == 302
    password_step(client, user)
    clock.now = PINNED_NOW + timedelta(minutes=6)
    assert code_step(client, pyotp.TOTP(secret).at(clock.now)).status_code == 302  # back to the password
    assert client.get("/leads").status_code == 302


def test_wrong_codes_share_the_login_throttle_with_wrong_passwords(client, enrolled):
    user, secret, _codes = enrolled
    client.post("/login", data={"email": user.email, "password": "wrong"}, environ_base={"REMOTE_ADDR": "192.0.2.1"})
    client.post("/login", data={"email": user.email, "password": "wrong"}, environ_base={"REMOTE_ADDR": "192.0.2.2"})
    password_step(client, user, addr="192.0.2.3")
    for number in range(3):  # failures 3, 4, 5 for the account, from other addresses
        assert code_step(client, "000000", addr=f"192.0.2.{4 + number}").status_code == 200
    throttled = code_step(client, pyotp.TOTP(secret).at(PINNED_NOW), addr="198.51.100.9")
    assert throttled.status_code == 429
    assert "Too many failed log-ins" in throttled.get_data(as_text=True)
    assert client.get("/leads").status_code == 302
    assert password_step(client, user, addr="198.51.100.10").status_code == 429  # and the password step too


def test_a_different_email_posted_with_each_code_does_not_dodge_the_account_limit(client, enrolled):
    """Issue #32, finding 1: the code step counts against the account whose password was right (the session's),
    never against an `email` field the client adds to the code form."""
    user, secret, _codes = enrolled
    password_step(client, user, addr="192.0.2.1")
    for number in range(5):  # five wrong codes, each from its own address and with its own decoy email
        data = {"code": "000000", "email": f"decoy{number}@radnac.example"}
        answer = client.post("/login/code", data=data, environ_base={"REMOTE_ADDR": f"192.0.2.{10 + number}"})
        assert answer.status_code == 200
    data = {"code": pyotp.TOTP(secret).at(PINNED_NOW), "email": "decoy9@radnac.example"}
    assert client.post("/login/code", data=data, environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 429
    assert client.get("/leads").status_code == 302


def test_enrolment_shows_a_qr_code_then_the_recovery_codes_once(client, auth, session):
    user = auth.login("support")
    first = client.get("/account/second-factor").get_data(as_text=True)
    assert "Set it up" in first and totp.secret_of(session=session, user=user) is None  # a GET writes nothing
    assert client.post("/account/second-factor", data={"start": "1"}).status_code == 303
    page = client.get("/account/second-factor").get_data(as_text=True)
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page).group(1)
    assert totp.secret_of(session=session, user=user).secret == secret
    qr = re.search(r'<img class="qr" src="(data:image/svg\+xml;[^"]+)"', page).group(1)
    uri = f"otpauth://totp/RADNAC%20Leads:{user.email.replace('@', '%40')}?secret={secret}&issuer=RADNAC%20Leads"
    assert qr == segno.make(uri, error="m").svg_data_uri(scale=5, border=2)  # drawn here, from this account's secret
    refused = client.post("/account/second-factor", data={"code": "12345"}).get_data(as_text=True)
    assert CODE_FAILED in refused and not totp.is_enrolled(session=session, user=user)
    shown = client.post("/account/second-factor", data={"code": pyotp.TOTP(secret).at(PINNED_NOW)})
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", shown.get_data(as_text=True))
    assert len(codes) == totp.RECOVERY_CODES
    assert shown.headers["Cache-Control"] == "no-store"
    again = client.get("/account/second-factor").get_data(as_text=True)
    assert "10 recovery codes left" in again and not any(code in again for code in codes)


def test_when_admins_require_it_password_sessions_must_enrol_first(client, auth, session, make_user):
    admin = make_user("admin")
    totp.set_required(session=session, required=True, now=PINNED_NOW, actor=admin)
    auth.login("sales")
    response = client.get("/leads")
    assert (response.status_code, response.headers["Location"]) == (303, "/account/second-factor")
    assert client.get("/account/second-factor").status_code == 200
    assert client.post("/logout").status_code == 303


def test_an_admin_sets_the_policy_on_the_staff_page(client, auth, session):
    admin = auth.login("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert 'action="/admin/second-factor"' in page
    assert client.post("/admin/second-factor", data={"required": "y"}).status_code == 303
    assert totp.is_required(session=session)
    # The admin has no second factor either: everything but enrolment waits until they have one.
    blocked = client.post("/admin/second-factor", data={})
    assert blocked.headers["Location"] == "/account/second-factor"
    session.expire_all()  # requests change rows under this test's session
    assert totp.is_required(session=session)
    client.post("/account/second-factor", data={"start": "1"})
    session.expire_all()
    secret = totp.secret_of(session=session, user=admin).secret
    client.post("/account/second-factor", data={"code": pyotp.TOTP(secret).at(PINNED_NOW)})
    assert client.post("/admin/second-factor", data={}).headers["Location"] == "/admin/users"
    session.expire_all()
    assert not totp.is_required(session=session)


def test_an_admin_removes_a_lost_second_factor(client, auth, session, enrolled):
    user, _secret, codes = enrolled
    auth.login("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert f'<option value="{user.id}">{user.email}</option>' in page  # only enrolled staff are offered
    assert client.post("/admin/second-factor/reset", data={"user_id": "999999"}).status_code == 400
    assert client.post("/admin/second-factor/reset", data={"user_id": "x"}).status_code == 400
    assert client.post("/admin/second-factor/reset", data={"user_id": str(user.id)}).status_code == 303
    session.expire_all()
    assert not totp.is_enrolled(session=session, user=user)
    assert not totp.verify(session=session, user=user, code=codes[2], now=PINNED_NOW)  # the old codes are spent
    client.post("/logout")
    response = password_step(client, user)
    assert response.headers["Location"] == "/dashboard"  # the password alone again, until they enrol anew


NEW_PASSWORD = "plum tractor velvet orbit 93"


def change_password(client, current=PASSWORD, new=NEW_PASSWORD):
    return client.post("/account/password", data={"current": current, "new": new, "confirm": new})


def test_a_session_renewed_by_a_password_change_is_still_held_to_the_policy(client, auth, session, make_user):
    """Issue #32, finding 5: the password change logs the browser in again; that session signed in with a
    password too, so once admins require a second factor it must enrol before anything else."""
    auth.login("sales")
    assert change_password(client).status_code == 303
    totp.set_required(session=session, required=True, now=PINNED_NOW, actor=make_user("admin"))
    response = client.get("/leads")
    assert (response.status_code, response.headers.get("Location")) == (303, "/account/second-factor")


def test_a_reset_password_is_changed_first_then_the_second_factor_set_up(client, session, make_user):
    """Issue #32, finding 6: with the policy on, a user an admin reset who has no second factor goes to the
    password page, changes it, and then to enrolment: never round and round between the two."""
    from leads.staff import users

    admin, user = make_user("admin"), make_user("support")
    totp.set_required(session=session, required=True, now=PINNED_NOW, actor=admin)
    users.reset_password(session=session, user=user, new="temporary lantern 4417 oak", now=PINNED_NOW, actor=admin)
    client.post("/login", data={"email": user.email, "password": "temporary lantern 4417 oak"})
    assert client.get("/leads").headers["Location"] == "/account/password"
    assert client.get("/account/password").status_code == 200
    assert change_password(client, current="temporary lantern 4417 oak").status_code == 303
    assert client.get("/leads").headers["Location"] == "/account/second-factor"
    assert client.get("/account/second-factor").status_code == 200
