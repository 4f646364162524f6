"""Login throttling: failed log-ins counted per account and per address; 429 says when to try again."""

from __future__ import annotations

import os
import re
import uuid

import pytest

from leads import config, create_app
from leads.staff import users
from leads.web.auth import LOGIN_FAILED
from tests.factories import PASSWORD

REDIS_URI = "redis://127.0.0.1:6379"


def attempt(client, email, password="not the password", addr="192.0.2.10"):  # noqa: S107
    return client.post("/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": addr})


def assert_throttled(response):
    assert response.status_code == 429
    page = response.data.decode()
    assert re.search(
        r"Try again after <strong><time datetime=\"[^\"]+\">\d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d (GMT|BST)</time>", page
    ), page
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60 + 1  # the store rounds up to whole seconds
    assert LOGIN_FAILED not in page  # the throttle page, not the login form


def test_the_documented_limits_are_the_defaults(tmp_path):
    defaults = config.defaults(str(tmp_path))
    assert defaults["LOGIN_LIMIT_PER_ACCOUNT"] == "5 per 15 minutes"
    assert defaults["LOGIN_LIMIT_PER_ADDRESS"] == "20 per 15 minutes"
    assert defaults["RATELIMIT_STORAGE_URI"] == "memory://"
    built = config.build(str(tmp_path), {"RATELIMIT_STORAGE_URI": REDIS_URI}, {"APP_ENV": "testing"})
    assert built["RATELIMIT_STORAGE_URI"] == REDIS_URI


@pytest.mark.parametrize("known", [True, False], ids=["known account", "unknown email"])
def test_five_failures_for_one_account_pause_it_even_for_the_right_password(client, make_user, known):
    email = make_user("sales").email if known else "nobody@radnac.example"
    for number in range(5):  # from five different addresses: the account limit is what trips
        response = attempt(client, email, addr=f"192.0.2.{number}")
        assert response.status_code == 200 and LOGIN_FAILED.encode() in response.data
    assert_throttled(attempt(client, email, PASSWORD, addr="198.51.100.7"))
    assert_throttled(attempt(client, f"  {email.upper()} ", addr="198.51.100.8"))  # the same account however typed


def test_while_throttled_the_password_is_not_even_checked(client, make_user, monkeypatch):
    user = make_user("sales")
    for _ in range(5):
        attempt(client, user.email)
    checked = []
    monkeypatch.setattr(users, "authenticate", lambda **kwargs: checked.append(kwargs))
    assert_throttled(attempt(client, user.email, PASSWORD))
    assert checked == []


def test_successful_logins_never_count(client, make_user):
    user = make_user("support")
    for _ in range(8):
        assert attempt(client, user.email, PASSWORD).status_code == 303
        assert client.post("/logout", environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 303
    for _ in range(4):  # a few typos still leave the last try
        assert attempt(client, user.email).status_code == 200
    assert attempt(client, user.email, PASSWORD).status_code == 303


def test_one_address_is_paused_after_twenty_failures_whatever_the_emails(client, make_user):
    user = make_user("admin")
    for number in range(20):
        assert attempt(client, f"guess{number}@radnac.example", addr="203.0.113.9").status_code == 200
    assert_throttled(attempt(client, user.email, PASSWORD, addr="203.0.113.9"))
    assert attempt(client, user.email, PASSWORD, addr="203.0.113.10").status_code == 303  # others are unaffected


def test_the_login_page_itself_is_never_throttled(client):
    for _ in range(6):
        attempt(client, "nobody@radnac.example")
    assert client.get("/login", environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 200


def test_the_limiter_store_never_holds_an_email(app, client):
    attempt(client, "Private.Person@radnac.example")
    storage = app.extensions["radnac.limiter"].storage
    keys = " ".join(storage.events) + " ".join(storage.storage)
    assert "private.person" not in keys.lower()
    assert "account:" in keys


def _redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URI, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_prefix():
    """A key prefix unique to this run; its keys are deleted afterwards. Skips without Redis, except in CI."""
    if not _redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"Redis is unreachable at {REDIS_URI}; CI requires the Redis-backed throttle test")
        pytest.skip(f"Redis is unreachable at {REDIS_URI}")
    import redis

    prefix = f"radnac-test-{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URI)
    for key in client.scan_iter(match=f"*{prefix}*", count=500):
        client.delete(key)
    client.close()


def test_workers_sharing_redis_share_the_count(database_url, clock, make_user, redis_prefix):
    settings = {
        "APP_ENV": "testing",
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "CLOCK": clock,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": REDIS_URI,
        "RATELIMIT_KEY_PREFIX": redis_prefix,
    }
    workers = [create_app(settings), create_app(settings)]  # two gunicorn workers, say
    user = make_user("sales")
    for number in range(5):
        client = workers[number % 2].test_client()
        assert attempt(client, user.email, addr=f"192.0.2.{number}").status_code == 200
    for worker in workers:
        assert_throttled(attempt(worker.test_client(), user.email, PASSWORD))
        worker.extensions["radnac.engine"].dispose()


def test_an_unreachable_store_is_logged_and_staff_can_still_log_in(database_url, clock, make_user, caplog):
    app = create_app(
        {
            "APP_ENV": "testing",
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url,
            "CLOCK": clock,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1",  # nothing listens on port 1
        }
    )
    user = make_user("sales")
    assert attempt(app.test_client(), user.email, PASSWORD).status_code == 303
    assert "Failed to rate limit" in caplog.text
    app.extensions["radnac.engine"].dispose()


@pytest.mark.parametrize("body", ["json", "text"])
def test_a_login_not_posted_as_a_form_is_refused_before_the_password_is_checked(client, make_user, monkeypatch, body):
    user = make_user("sales")
    checked = []
    original = users.authenticate
    monkeypatch.setattr(users, "authenticate", lambda **kwargs: checked.append(kwargs) or original(**kwargs))
    for password in ["not the password"] * 6 + [PASSWORD]:
        fields = {"email": user.email, "password": password}
        if body == "json":
            response = client.post("/login", json=fields, environ_base={"REMOTE_ADDR": "192.0.2.10"})
        else:
            response = client.post("/login", data=f"email={user.email}&password={password}", content_type="text/plain")
        assert response.status_code == 415 and b"Log in with the login form." in response.data
    assert checked == []  # no guess was ever checked uncounted
    with client.session_transaction() as current:
        assert "_user_id" not in current


def test_multipart_and_urlencoded_forms_count_against_the_typed_account(client, make_user):
    user = make_user("sales")
    for number in range(5):
        fields = {"email": user.email, "password": "not the password"}
        addr = {"REMOTE_ADDR": f"192.0.2.{number}"}
        if number % 2:
            response = client.post("/login", data=fields, content_type="multipart/form-data", environ_base=addr)
        else:
            response = client.post("/login", data=fields, environ_base=addr)
        assert response.status_code == 200
    assert_throttled(attempt(client, user.email, PASSWORD, addr="198.51.100.7"))
