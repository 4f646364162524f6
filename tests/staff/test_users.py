"""Staff accounts: the service rules."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import text
from sqlmodel import select

from leads.config import TEST_PASSWORD_HASH
from leads.models import AuditEvent
from leads.staff import totp, users
from tests.factories import PASSWORD, PINNED_NOW


def test_passwords_are_stored_as_scrypt_hashes(session):
    user = users.create_user(
        session=session, email="s@radnac.example", password=PASSWORD, role="sales", now=PINNED_NOW, actor="system:test"
    )
    assert user.password_hash.startswith("scrypt:32768:8:1$")  # werkzeug's default cost, unless told otherwise
    assert PASSWORD not in user.password_hash
    assert users.authenticate(session=session, email=user.email, password=PASSWORD).id == user.id


def test_the_test_suite_hashes_with_the_testing_configs_cheap_method_and_still_checks_passwords(app, make_user):
    """One PBKDF2 round instead of scrypt's ~0.1 s, chosen by APP_ENV=testing only (tests/test_config.py shows
    production and development refuse it); what a hash proves is unchanged."""
    assert app.config["PASSWORD_HASH_METHOD"] == TEST_PASSWORD_HASH
    user = make_user("sales")
    assert user.password_hash.startswith(f"{TEST_PASSWORD_HASH}$") and PASSWORD not in user.password_hash


def test_emails_are_unique_case_insensitively(session, make_user):
    make_user("sales", "Same@radnac.example")
    with pytest.raises(users.UserError, match="already exists"):
        users.create_user(
            session=session,
            email="same@RADNAC.example",
            password=PASSWORD,
            role="sales",
            now=PINNED_NOW,
            actor="system:test",
        )


@pytest.mark.parametrize(("password", "role"), [("short", "sales"), (PASSWORD, "superuser")])
def test_bad_password_or_role_is_refused(session, password, role):
    with pytest.raises(users.UserError):
        users.create_user(
            session=session, email="x@radnac.example", password=password, role=role, now=PINNED_NOW, actor="system:test"
        )


def test_authenticate(session, make_user):
    user = make_user("support")
    assert users.authenticate(session=session, email=user.email, password=PASSWORD).id == user.id
    assert users.authenticate(session=session, email=user.email, password=PASSWORD + "x") is None
    assert users.authenticate(session=session, email="ghost@radnac.example", password=PASSWORD) is None


def test_changes_to_users_are_audited(session, make_user):
    admin = make_user("admin")
    other = make_user("sales")
    users.update_user(session=session, user=other, role="support", active=False, now=PINNED_NOW, actor=admin)
    actions = [(e.action, e.actor) for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert ("user.update", admin.email) in actions
    assert actions.count(("user.create", "system:test")) == 2


def test_a_session_token_loads_the_user_with_the_second_factor_policy_and_their_enrolment(session, make_user):
    admin, user = make_user("admin"), make_user("sales")
    token = user.get_id()

    def loaded() -> tuple[bool, bool]:
        session.expire_all()
        found = users.load_for_session(session=session, token=token)
        assert found is not None and found.user.id == user.id
        return found.totp_required, found.totp_enrolled

    assert loaded() == (False, False)  # no policy row at all
    totp.set_required(session=session, required=True, now=PINNED_NOW, actor=admin)
    row = totp.start_enrolment(session=session, user=user, now=PINNED_NOW)
    assert loaded() == (True, False)  # a secret not yet confirmed is no second factor
    totp.confirm_enrolment(session=session, user=user, code=pyotp.TOTP(row.secret).at(PINNED_NOW), now=PINNED_NOW)
    assert loaded() == (True, True)
    assert users.load_for_session(session=session, token=admin.get_id()).totp_enrolled is False  # theirs alone
    totp.set_required(session=session, required=False, now=PINNED_NOW, actor=admin)
    assert loaded() == (False, True)
    assert users.signed_in(session=session, user=user)[:3] == (user, False, True)
    # The viewer version rides on the same statement: the stamp the database holds, moved by a write to the staff.
    stamp = lambda: session.execute(text("SELECT stamp FROM viewerversion")).scalar()  # noqa: E731
    assert users.signed_in(session=session, user=user).viewer_version == stamp() is not None
    before = stamp()
    users.update_user(session=session, user=user, role="sales", active=False, now=PINNED_NOW, actor=admin)
    assert users.signed_in(session=session, user=user).viewer_version == stamp() != before


@pytest.mark.parametrize("token", ["{id}:{stale}", "{id}", "x:0", "{id}:x", f"{2**31}:0", "999999:0"])
def test_a_token_naming_no_current_session_loads_nobody(session, make_user, token):
    user = make_user("sales")
    users.end_sessions(session=session, user=user)  # version 1: "id:0" is stale
    assert users.load_for_session(session=session, token=token.format(id=user.id, stale=0)) is None


def test_a_deactivated_user_loads_as_nobody_even_with_a_current_token(session, make_user):
    user = make_user("sales")
    user.active = False  # as if written without raising the version
    session.add(user)
    session.commit()
    assert users.load_for_session(session=session, token=user.get_id()) is None
