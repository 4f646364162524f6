"""Passwords: strength checked by zxcvbn, staff change their own, admins reset one (forcing a change at the next
login); every such event audited, and the user's other sessions end (issue #18)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from leads.models import AuditEvent, User
from tests.factories import PASSWORD, logged_in

NEW = "violet tundra oboe lantern"


@pytest.mark.parametrize("weak", ["aaaaaaaaaaaa", "password1234"])
def test_an_admin_cannot_add_staff_with_a_long_but_guessable_password(app, session, make_user, weak):
    admin = logged_in(app, make_user("admin"))
    page = admin.post("/admin/users", data={"email": "new@radnac.example", "role": "sales", "password": weak})
    assert page.status_code == 200 and "too easy to guess" in page.data.decode()
    assert session.exec(select(User).where(User.email == "new@radnac.example")).first() is None


def change(client, current, new, confirm=None):
    return client.post("/account/password", data={"current": current, "new": new, "confirm": confirm or new})


def test_staff_change_their_own_password_and_their_other_sessions_end(app, session, make_user):
    user = make_user("support")
    laptop, phone = logged_in(app, user), logged_in(app, user)
    assert laptop.get("/account/password").status_code == 200
    assert "not right" in change(laptop, "wrong password!", NEW).data.decode()
    assert "too easy to guess" in change(laptop, PASSWORD, "password1234").data.decode()
    assert "differ" in change(laptop, PASSWORD, NEW, NEW + "x").data.decode()
    assert phone.get("/leads").status_code == 200  # nothing changed yet
    assert change(laptop, PASSWORD, NEW).status_code == 303
    assert laptop.get("/leads").status_code == 200  # this session goes on
    assert phone.get("/leads").status_code == 302  # the other one has ended
    assert app.test_client().post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 200
    assert app.test_client().post("/login", data={"email": user.email, "password": NEW}).status_code == 303
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "user.password_change")).all()
    assert [(e.actor_user_id, e.record_id, e.details) for e in events] == [(user.id, str(user.id), None)]


def test_an_admin_reset_ends_the_users_sessions_and_forces_a_change_at_next_login(app, session, make_user):
    user, admin = make_user("sales"), logged_in(app, make_user("admin"))
    theirs = logged_in(app, user)
    temporary = "temporary nebula fjord 41"
    assert admin.post(f"/admin/users/{user.id}/password", data={"password": "password1234"}).status_code == 303
    assert theirs.get("/leads").status_code == 200  # a weak temporary password was refused: nothing changed
    assert admin.post(f"/admin/users/{user.id}/password", data={"password": temporary}).status_code == 303
    assert theirs.get("/leads").status_code == 302
    again = app.test_client()
    assert again.post("/login", data={"email": user.email, "password": temporary}).status_code == 303
    for path in ("/leads", "/", f"/leads/{1}"):
        response = again.get(path)
        assert response.status_code == 303 and response.headers["Location"] == "/account/password", path
    assert again.get("/account/password").status_code == 200
    assert change(again, temporary, NEW).status_code == 303
    assert again.get("/leads").status_code == 200
    (event,) = session.exec(select(AuditEvent).where(AuditEvent.action == "user.password_reset")).all()
    assert event.record_id == str(user.id) and event.details is None  # never the password


def test_wrong_current_passwords_spend_the_accounts_login_budget(client, auth):
    """Issue #32, finding 7: a stolen session guessing the current password is throttled like a log-in."""
    user = auth.login("sales")
    guess = {
        "current": "guess number one",
        "new": "plum tractor velvet orbit 93",
        "confirm": "plum tractor velvet orbit 93",
    }
    for _ in range(5):
        assert client.post("/account/password", data=guess).status_code == 200
    right = {**guess, "current": PASSWORD}
    assert client.post("/account/password", data=right).status_code == 429
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 429


def test_a_wrong_current_password_is_audited_against_the_account_and_kept_out_of_the_trail(app, session, make_user):
    user = make_user("sales")
    thief = logged_in(app, user)
    for guess in ("guess number one!", "guess number two!"):
        assert "not right" in change(thief, guess, NEW).data.decode()
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "login.current_password_failed")).all()
    assert [(e.actor, e.record_type, e.record_id) for e in events] == [("anonymous", "user", str(user.id))] * 2
    assert not any("guess" in str(e.details) for e in events)  # never the typed secret
