"""Sessions: forged cookies, sessions that end (logout, password, role, deactivation), timeouts, binding."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from flask.json.tag import TaggedJSONSerializer
from itsdangerous import URLSafeTimedSerializer

from leads import create_app
from leads.config import ConfigError
from tests.conftest import PASSWORD


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
    with pytest.raises(ConfigError, match="SECRET_KEY .*well-known"):
        create_app({"APP_ENV": "production", "SECRET_KEY": "changeme", "DATABASE_URL": database_url})
    victim_app.extensions["radnac.engine"].dispose()
