"""Staff accounts: the service rules."""

from __future__ import annotations

import pytest
from sqlmodel import select

from leads.models import AuditEvent
from leads.staff import users
from tests.conftest import PASSWORD, PINNED_NOW


def test_passwords_are_stored_as_scrypt_hashes(make_user):
    user = make_user("sales")
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


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
