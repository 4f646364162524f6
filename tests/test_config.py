"""Configuration: defaults, environment, and the refusal to run unsafely."""

from __future__ import annotations

import secrets

import pytest

from leads import create_app
from leads.config import DEV_SECRET_KEY, PASSWORD_HASH, TEST_PASSWORD_HASH, ConfigError, build


def test_defaults_use_sqlite_under_instance_and_the_documented_table_name():
    config = build("/srv/instance", {}, {"APP_ENV": "development"})
    assert config["DATABASE_URL"] == "sqlite:////srv/instance/radnac-leads.db"
    assert config["LEADS_TABLE_NAME"] == "MarketplaceLeads"
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["SESSION_COOKIE_SECURE"] is False


def test_environment_overrides_defaults_and_test_mapping_overrides_environment():
    environ = {"APP_ENV": "development", "LEADS_TABLE_NAME": "FromEnv", "WEBHOOK_SECRET": "abc"}
    config = build("/i", environ, {"LEADS_TABLE_NAME": "FromTest"})
    assert config["LEADS_TABLE_NAME"] == "FromTest"
    assert config["WEBHOOK_SECRET"] == "abc"


@pytest.mark.parametrize("secret", ["", DEV_SECRET_KEY])
def test_production_refuses_the_default_or_empty_secret(secret):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        build("/i", {"SECRET_KEY": secret} if secret else {}, None)


def test_production_with_a_real_secret_marks_cookies_secure():
    config = build(
        "/i",
        {"SECRET_KEY": secrets.token_hex(32), "TOMBSTONE_KEY": secrets.token_hex(32), "WEB_CONCURRENCY": "1"},
        None,
    )
    assert config["APP_ENV"] == "production"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True


def test_unknown_environment_name_is_refused():
    with pytest.raises(ConfigError, match="APP_ENV"):
        build("/i", {"APP_ENV": "staging"}, None)


def test_create_app_refuses_to_start_in_production_with_the_default_secret(monkeypatch):
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app()


STRONG = secrets.token_hex(32)
ONE = {"WEB_CONCURRENCY": "1"}
WEAK = {
    "a": "bytes",  # too short
    " ": "is empty",  # a space is no secret (stripped by nothing, but refused: too short)
    "changeme": "well-known",
    "CHANGEMECHANGEMECHANGEMECHANGEME!": "well-known",
    "x" * 64: "pattern",
    "ab" * 40: "pattern",
    "0123456789" * 4: "well-known",
    "aaaabbbbccccddddaaaabbbbccccdddd1": "distinct",
    DEV_SECRET_KEY: "well-known",
    "password-" + STRONG: "well-known",
}


@pytest.mark.parametrize("name", ["SECRET_KEY", "WEBHOOK_SECRET", "TOMBSTONE_KEY"])
@pytest.mark.parametrize("weak", list(WEAK))
def test_production_refuses_each_weak_secret_naming_the_setting_and_why(name, weak):
    environ = {"SECRET_KEY": STRONG, "TOMBSTONE_KEY": secrets.token_hex(32), "WEB_CONCURRENCY": "1", name: weak}
    reason = "bytes" if weak == " " else WEAK[weak]
    with pytest.raises(ConfigError, match=rf"^{name} .*{reason}.*token_hex"):
        build("/i", environ, None)


def test_production_accepts_generated_secrets_and_an_unset_webhook_secret():
    for generated in (secrets.token_hex(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)):
        own = {"TOMBSTONE_KEY": secrets.token_hex(32)}  # a key of its own (#17): never the session key
        build("/i", {"SECRET_KEY": generated, "WEBHOOK_SECRET": generated, **own, **ONE}, None)
    tombstone = {"TOMBSTONE_KEY": secrets.token_hex(32)}
    assert build("/i", {"SECRET_KEY": STRONG, **tombstone, **ONE}, None)["WEBHOOK_SECRET"] == ""  # 503 answers


def test_development_and_testing_may_use_short_secrets():
    for env in ("development", "testing"):
        build("/i", {"APP_ENV": env, "SECRET_KEY": "a", "WEBHOOK_SECRET": "b"}, None)


def test_production_refuses_several_workers_counting_log_ins_each_in_its_own_memory():
    keys = {"SECRET_KEY": STRONG, "TOMBSTONE_KEY": secrets.token_hex(32)}
    with pytest.raises(ConfigError, match=r"RATELIMIT_STORAGE_URI is memory:// but WEB_CONCURRENCY is 2"):
        build("/i", keys, None)  # the shipped defaults: memory:// and the Procfile's 2 workers
    with pytest.raises(ConfigError, match="WEB_CONCURRENCY is 4"):
        build("/i", {**keys, "WEB_CONCURRENCY": "4", "RATELIMIT_PER_PROCESS": "no"}, None)
    for fine in ({"WEB_CONCURRENCY": "1"}, {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379"}):
        build("/i", {**keys, "WEB_CONCURRENCY": "4", **fine}, None)
    assert build("/i", {**keys, "RATELIMIT_PER_PROCESS": "1"}, None)["WEB_CONCURRENCY"] == 2
    build("/i", {"APP_ENV": "development", "WEB_CONCURRENCY": "4"}, None)  # a developer's own machine


def test_production_names_the_session_cookie_with_the_host_prefix(tmp_path):
    """Issue #32, finding 11: `__Host-` makes browsers refuse the cookie unless it is Secure, for path / and
    set by this very host (no Domain), so a sibling subdomain cannot plant or overwrite it."""
    environ = {"SECRET_KEY": secrets.token_hex(32), "TOMBSTONE_KEY": secrets.token_hex(32), "WEB_CONCURRENCY": "1"}
    app = create_app({**build(str(tmp_path), environ, None), "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"})
    with app.test_request_context("/login"):
        from flask import session

        session["probe"] = 1
        response = app.make_response("ok")
        app.session_interface.save_session(app, session, response)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-radnac-session=") and "; Secure" in cookie and "; Path=/" in cookie
    assert "Domain=" not in cookie
    assert build("/i", {"APP_ENV": "development"}, None)["SESSION_COOKIE_NAME"] == "session"  # plain HTTP locally
    app.extensions["radnac.engine"].dispose()


def test_the_rate_limit_key_prefix_comes_from_the_environment():
    """Issue #32 (information): two deployments sharing a Redis must be able to keep their counts apart."""
    config = build("/i", {"APP_ENV": "development", "RATELIMIT_KEY_PREFIX": "radnac-staging"}, None)
    assert config["RATELIMIT_KEY_PREFIX"] == "radnac-staging"


STRONG_PRODUCTION = {
    "SECRET_KEY": secrets.token_hex(32),
    "TOMBSTONE_KEY": secrets.token_hex(32),
    "WEB_CONCURRENCY": "1",
}


@pytest.mark.parametrize(
    ("environ", "method"),
    [
        (STRONG_PRODUCTION, PASSWORD_HASH),
        ({"APP_ENV": "development"}, PASSWORD_HASH),
        ({"APP_ENV": "testing"}, TEST_PASSWORD_HASH),
    ],
)
def test_passwords_are_hashed_with_scrypt_except_by_the_testing_config(environ, method):
    assert build("/i", environ, None)["PASSWORD_HASH_METHOD"] == method


@pytest.mark.parametrize("environ", [STRONG_PRODUCTION, {"APP_ENV": "development"}])
def test_production_and_development_refuse_the_tests_cheap_password_hash(environ):
    with pytest.raises(ConfigError, match=r"PASSWORD_HASH_METHOD .*test suite only"):
        build("/i", environ, {"PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH})


def test_the_password_hash_is_not_read_from_the_environment_and_no_other_method_is_accepted(monkeypatch):
    assert (
        build("/i", {**STRONG_PRODUCTION, "PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH}, None)["PASSWORD_HASH_METHOD"]
        == PASSWORD_HASH
    )
    for env in ({"APP_ENV": "testing"}, STRONG_PRODUCTION):
        with pytest.raises(ConfigError, match="PASSWORD_HASH_METHOD must be 'scrypt'"):
            build("/i", env, {"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
