"""Configuration: documented defaults, overridden by the environment, then by a test mapping.

Every setting a deployment may change is read here and nowhere else (README.md, "Configuration").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

#: Only development and testing may run with this key; create_app refuses it elsewhere.
DEV_SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105  # nosec B105 # refused outside development
DEV_ENVS = frozenset({"development", "testing"})
UNSET = ""  # a setting nobody has configured (bandit took a literal "" for a hard-coded password)
ENV_VARS = (
    "APP_ENV",
    "SECRET_KEY",
    "DATABASE_URL",
    "WEBHOOK_SECRET",
    "AZURE_TABLES_CONNECTION_STRING",
    "LEADS_TABLE_NAME",
    "TOMBSTONE_KEY",
    "TRUSTED_PROXY_COUNT",
    "RATELIMIT_STORAGE_URI",
    "RATELIMIT_KEY_PREFIX",
    # Single sign-on (OpenID Connect, e.g. Microsoft Entra ID; docs/sign-in.md); unset: local login only.
    "OIDC_ISSUER",
    "OIDC_TENANT_ID",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_ROLE_MAP",
    "OIDC_PROVIDER_NAME",
    "OIDC_CLOCK_SKEW_SECONDS",
    "WEB_CONCURRENCY",
    "RATELIMIT_PER_PROCESS",
    # Marketing email (docs/consent-and-marketing.md): unset MAIL_URL and the worker sends nothing.
    "MAIL_URL",
    "MAIL_FROM",
    "MAIL_REPLY_TO",
    "MAIL_UNSUBSCRIBE_MAILTO",
    "MAIL_RATE_PER_SECOND",
    "PUBLIC_URL",
    "PRIVACY_PAGE",
    "EXPORT_CACHE",
    "PRIVACY_CONTACT",
)
#: Settings that key something an attacker would love to forge: each must be a real secret in production.
SECRET_SETTINGS = ("SECRET_KEY", "WEBHOOK_SECRET", "TOMBSTONE_KEY")
MIN_SECRET_BYTES = 32
MIN_SECRET_DISTINCT = 12  # a hex token of 32 bytes has ~16 distinct characters; "abab…" or "aaaa…" has 1-2
#: Values people paste from tutorials and examples; compared case-insensitively, with any repetition unrolled.
WELL_KNOWN_SECRETS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "secretkey",
        "secret-key",
        "secret_key",
        "password",
        "supersecret",
        "mysecret",
        "development",
        "dev",
        "test",
        "default",
        "radnac",
        "xxxxxxxx",
        "0123456789",
        "1234567890",
        "abcdefghijklmnopqrstuvwxyz",
        "your-secret-key",
        "your_secret_key",
        "replace-me",
        DEV_SECRET_KEY,
    }
)
#: How staff passwords are hashed everywhere but in tests: werkzeug's scrypt (N=2**15, r=8, p=1), slow on purpose.
PASSWORD_HASH = "scrypt"  # noqa: S105  # nosec B105 # the name of a hash method, not a password
#: The testing config's hash: one round of PBKDF2, so the suite does not spend its time in scrypt.
#: Worthless against an offline attack, so `validate` refuses it outside APP_ENV=testing.
TEST_PASSWORD_HASH = "pbkdf2:sha256:1"  # noqa: S105  # nosec B105 # a hash method, refused outside tests
ENTRA_ISSUER = "https://login.microsoftonline.com/{tenant}/v2.0"
MAX_CLOCK_SKEW_SECONDS = 300


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the message says what to set."""


def utc_now() -> datetime:
    """The production clock: the current time, aware, in UTC."""
    return datetime.now(UTC)


#: The documented defaults (README.md, "Configuration"); `defaults` gives a copy with the database filled in.
DEFAULTS: Mapping[str, Any] = {
    "APP_ENV": "production",
    "SECRET_KEY": DEV_SECRET_KEY,
    "DATABASE_URL": UNSET,  # `defaults` puts the instance folder's SQLite file here
    "WEBHOOK_SECRET": UNSET,  # the webhook answers 503 to every caller until it is set
    "AZURE_TABLES_CONNECTION_STRING": "",
    "LEADS_TABLE_NAME": "MarketplaceLeads",
    "TOMBSTONE_KEY": "",  # required in production; empty in development and testing: SECRET_KEY is used
    "TRUSTED_PROXY_COUNT": 0,  # proxies in front of the app whose X-Forwarded-For is believed
    "RATELIMIT_STORAGE_URI": "memory://",  # one process; redis://host:6379 shares counts between workers
    "RATELIMIT_KEY_PREFIX": "radnac-leads",
    "WEB_CONCURRENCY": 2,  # gunicorn workers; the Procfile reads the same variable with the same default
    "RATELIMIT_PER_PROCESS": "",  # "1": accept memory:// counting per worker (limits times workers)
    "LOGIN_LIMIT_PER_ACCOUNT": "5 per 15 minutes",  # failed log-ins for one email, from anywhere
    "LOGIN_LIMIT_PER_ADDRESS": "20 per 15 minutes",  # failed log-ins from one address, for any email
    # Unsubscribe links refused (forged, altered, unknown) from one address: a guesser is stopped, while a mail
    # provider posting many people's good links is never slowed (only refusals count).
    "UNSUBSCRIBE_LIMIT_PER_ADDRESS": "20 per 15 minutes",
    "MAIL_URL": UNSET,  # smtp+starttls://user:password@host:587, smtps://…:465, or smtp://127.0.0.1:1025 (a catcher)
    "MAIL_FROM": "RADNAC <marketing@radnac.example>",
    "MAIL_REPLY_TO": UNSET,  # replies go here (a mailbox staff read); unset: to MAIL_FROM
    "MAIL_UNSUBSCRIBE_MAILTO": UNSET,  # the List-Unsubscribe mailto address (a mailbox staff read); unset: none
    "MAIL_RATE_PER_SECOND": 10,  # messages handed to the server per second, at most
    "MAIL_BATCH_SIZE": 500,  # messages per worker pass (each committed on its own)
    "MAIL_MAX_ATTEMPTS": 5,  # temporary failures before a message is given up as failed
    "MAIL_RETRY_AFTER": timedelta(minutes=5),  # doubled after each temporary failure
    "PUBLIC_URL": "http://127.0.0.1:5000",  # where people reach the app: the unsubscribe links point here
    # The person's own privacy page (/privacy): off until switched on, and then only with MAIL_URL set (it emails
    # one-time codes). "1" turns it on; `make run` does, against its local mail catcher.
    "PRIVACY_PAGE": UNSET,
    "PRIVACY_CODE_LIMIT_PER_ADDRESS": "10 per 15 minutes",  # codes asked for from one client address
    "PRIVACY_CODE_LIMIT_PER_EMAIL": "3 per 15 minutes",  # codes sent to one email address, from anywhere
    "PRIVACY_VERIFY_LIMIT_PER_ADDRESS": "10 per 15 minutes",  # wrong codes typed from one client address
    # Codes asked for one download link (each download needs one; room for a lost or expired email or two).
    "PRIVACY_DOWNLOAD_CODE_LIMIT_PER_LINK": "6 per 15 minutes",
    # How a person writes to the privacy team (the notice's "contact details at the top"), printed in every letter
    # of an access export or portability bundle: lines separated by "|". Unset: the letter says to reply to its email.
    "PRIVACY_CONTACT": UNSET,
    "PRIVACY_SESSION": timedelta(minutes=30),  # how long a verified address may use the page
    # Where exports prepared for a person's emailed download link wait (destroyed at the limit or expiry);
    # default: export-cache/ in the instance folder (`defaults`).
    # Not read from the environment: `build` picks PASSWORD_HASH, or TEST_PASSWORD_HASH under APP_ENV=testing.
    "PASSWORD_HASH_METHOD": UNSET,
    "OIDC_ISSUER": UNSET,  # or OIDC_TENANT_ID, from which Entra ID's issuer is derived
    "OIDC_TENANT_ID": UNSET,
    "OIDC_CLIENT_ID": UNSET,
    "OIDC_CLIENT_SECRET": UNSET,
    "OIDC_ROLE_MAP": UNSET,  # "Leads.Admin=admin,Leads.Sales=sales,<group object id>=support"
    "OIDC_PROVIDER_NAME": "Microsoft",  # the button says "Sign in with <name>"
    "OIDC_CLOCK_SKEW_SECONDS": 60,  # leeway on the ID token's exp/iat/nbf; at most MAX_CLOCK_SKEW_SECONDS
    "SYNC_OVERLAP_MINUTES": 15,
    "WEBHOOK_MAX_BYTES": 64 * 1024,
    # Any request body larger than this is refused (413) before it is read; the largest form
    # staff post is a few KB. Werkzeug enforces it on Content-Length and on chunked bodies alike.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "LEADS_PER_PAGE": 50,
    "FILTER_OPTIONS_TTL": timedelta(minutes=10),
    "CLOCK": utc_now,
    "WTF_CSRF_ENABLED": True,
    "WTF_CSRF_TIME_LIMIT": None,  # the session bounds the token's life
    "SESSION_IDLE_TIMEOUT": timedelta(minutes=30),  # a session unused this long ends
    "SESSION_MAX_AGE": timedelta(hours=12),  # and every session ends this long after login, used or not
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
}


def defaults(instance_path: str) -> dict[str, Any]:
    """The documented defaults, as a new mapping; `instance_path` holds the default SQLite file."""
    return {
        **DEFAULTS,
        "DATABASE_URL": f"sqlite:///{Path(instance_path) / 'radnac-leads.db'}",
        "EXPORT_CACHE": str(Path(instance_path) / "export-cache"),
    }


def build(instance_path: str, environ: Mapping[str, str], overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults, then the environment, then `overrides`; validated and with derived settings filled in."""
    config = defaults(instance_path)
    config.update({key: environ[key] for key in ENV_VARS if environ.get(key)})
    config.update(overrides or {})
    is_dev = config["APP_ENV"] in DEV_ENVS
    config.setdefault("SESSION_COOKIE_SECURE", not is_dev)
    config.setdefault("REMEMBER_COOKIE_SECURE", not is_dev)
    # `__Host-`: browsers keep it only if Secure, Path=/ and without Domain; plain HTTP locally.
    config.setdefault("SESSION_COOKIE_NAME", "__Host-radnac-session" if config["SESSION_COOKIE_SECURE"] else "session")
    config["TESTING"] = config["APP_ENV"] == "testing" or bool(config.get("TESTING"))
    config["TRUSTED_PROXY_COUNT"] = int(config["TRUSTED_PROXY_COUNT"])
    config["WEB_CONCURRENCY"] = int(config["WEB_CONCURRENCY"])
    config["MAIL_RATE_PER_SECOND"] = float(config["MAIL_RATE_PER_SECOND"])
    config["PRIVACY_PAGE"] = str(config["PRIVACY_PAGE"]).strip().lower() in {"1", "true", "yes", "on"}
    config["PERMANENT_SESSION_LIFETIME"] = config["SESSION_MAX_AGE"]  # the cookie never outlives the session
    testing = config["APP_ENV"] == "testing"
    config["PASSWORD_HASH_METHOD"] = config["PASSWORD_HASH_METHOD"] or (
        TEST_PASSWORD_HASH if testing else PASSWORD_HASH
    )
    _derive_oidc(config)
    validate(config)
    tombstone_key(config)
    return config


def tombstone_key(config: dict[str, Any]) -> None:
    """TOMBSTONE_KEY keys the hashes that keep destroyed records from coming back, so it must never change
    while tombstones exist: in production it is set on its own, never derived from SECRET_KEY (rotating the
    session key after a leak must not resurrect erased leads). Development and testing fall back to
    SECRET_KEY."""
    production = config["APP_ENV"] not in DEV_ENVS
    if production and not config["TOMBSTONE_KEY"]:
        raise ConfigError(
            "TOMBSTONE_KEY is unset; in production set it on its own, to a long random value kept for the life "
            "of the data (python -c 'import secrets; print(secrets.token_hex(32))'): it must never change once "
            "records have been destroyed"
        )
    if production and config["TOMBSTONE_KEY"] == config["SECRET_KEY"]:
        raise ConfigError("TOMBSTONE_KEY must differ from SECRET_KEY, so the session key can be rotated on its own")
    config["TOMBSTONE_KEY"] = config["TOMBSTONE_KEY"] or config["SECRET_KEY"]


HOW_TO_GENERATE = "generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"


def secret_weakness(value: str, *, optional: bool = False) -> str | None:
    """Why `value` is not a production secret (None if it is one): too short, too few distinct characters,
    a repeated pattern, or a well-known value. `optional`: an empty value is allowed (the feature is off).

    A heuristic, not a proof of randomness: it refuses what people type by hand and the examples they copy.
    """
    if not value:
        return None if optional else "is empty"
    core = _unrepeated(value.strip().lower())
    if core in WELL_KNOWN_SECRETS or any(len(word) >= 6 and core.startswith(word) for word in WELL_KNOWN_SECRETS):
        return "is a well-known value (from an example or a default) that anyone can guess"
    if len(value.encode()) < MIN_SECRET_BYTES:
        return f"is {len(value.encode())} bytes; it must be at least {MIN_SECRET_BYTES} random bytes"
    if len(core) < len(value.strip()) // 2:
        return "is a short pattern repeated, not random"
    if len(set(value)) < MIN_SECRET_DISTINCT:
        return f"uses only {len(set(value))} distinct characters, so it is not random"
    return None


def _throttle_counts_per_worker(config: Mapping[str, Any]) -> bool:
    """Whether several workers would each keep their own login-throttle counts, and nobody said that is fine."""
    per_process = str(config["RATELIMIT_STORAGE_URI"]).startswith("memory://")
    accepted = str(config["RATELIMIT_PER_PROCESS"]).strip().lower() in ("1", "true", "yes")
    return per_process and config["WEB_CONCURRENCY"] > 1 and not accepted


def _unrepeated(text: str) -> str:
    """The shortest unit whose repetition makes `text` ("abcabcab" -> "abc"), else `text` itself."""
    for size in range(1, len(text) // 2 + 1):
        unit = text[:size]
        if (unit * (len(text) // size + 1))[: len(text)] == text:
            return unit
    return text


def validate(config: Mapping[str, Any]) -> None:
    """Refuse to start with a configuration that would be unsafe for real personal data."""
    env = config["APP_ENV"]
    if env not in DEV_ENVS | {"production"}:
        raise ConfigError(f"APP_ENV must be development, testing or production, not {env!r}")
    if env not in DEV_ENVS:
        for name in SECRET_SETTINGS:
            problem = secret_weakness(config.get(name) or UNSET, optional=name == "WEBHOOK_SECRET")
            if problem:
                raise ConfigError(f"{name} {problem}; {HOW_TO_GENERATE} (or set APP_ENV=development)")
    if env not in DEV_ENVS and _throttle_counts_per_worker(config):
        raise ConfigError(
            f"RATELIMIT_STORAGE_URI is memory:// but WEB_CONCURRENCY is {config['WEB_CONCURRENCY']}: each worker "
            "would count failed log-ins on its own (the limits multiplied). Set RATELIMIT_STORAGE_URI=redis://…, "
            "or WEB_CONCURRENCY=1, or RATELIMIT_PER_PROCESS=1 to accept it"
        )
    if config["PRIVACY_PAGE"] and not config["MAIL_URL"]:
        raise ConfigError("PRIVACY_PAGE is on: set MAIL_URL too (the page emails one-time codes)")
    if env not in DEV_ENVS and config["MAIL_URL"] and not str(config["PUBLIC_URL"]).startswith("https://"):
        raise ConfigError("MAIL_URL is set: set PUBLIC_URL to the app's https:// address (unsubscribe links use it)")
    _validate_password_hash(config)
    _validate_oidc(config)
    if not isinstance(config["CLOCK"], Callable):  # type: ignore[arg-type]
        raise ConfigError("CLOCK must be a callable returning an aware UTC datetime")


def _validate_password_hash(config: Mapping[str, Any]) -> None:
    """Passwords are hashed with scrypt; only the test suite may choose the cheap hash, and nothing else."""
    method, testing = config["PASSWORD_HASH_METHOD"], config["APP_ENV"] == "testing"
    if method == PASSWORD_HASH or (testing and method == TEST_PASSWORD_HASH):
        return
    if method == TEST_PASSWORD_HASH:
        raise ConfigError(
            f"PASSWORD_HASH_METHOD {method!r} is for the test suite only (APP_ENV=testing): it would store "
            f"passwords an offline attack reads back at once; outside tests they are hashed with {PASSWORD_HASH}"
        )
    raise ConfigError(f"PASSWORD_HASH_METHOD must be {PASSWORD_HASH!r}, not {method!r}")


def _derive_oidc(config: dict[str, Any]) -> None:
    """Entra ID's issuer from the tenant; the skew as an int. SSO is on iff an issuer is set (the role map is
    parsed, against the roles, when the sign-in pages start: `leads.staff.sso.parse_role_map`)."""
    if not config["OIDC_ISSUER"] and config["OIDC_TENANT_ID"]:
        config["OIDC_ISSUER"] = ENTRA_ISSUER.format(tenant=config["OIDC_TENANT_ID"])
    config["OIDC_CLOCK_SKEW_SECONDS"] = int(config["OIDC_CLOCK_SKEW_SECONDS"])
    config["OIDC_ENABLED"] = bool(config["OIDC_ISSUER"])


def _validate_oidc(config: Mapping[str, Any]) -> None:
    if config["OIDC_ENABLED"] and not (config["OIDC_CLIENT_ID"] and config["OIDC_CLIENT_SECRET"]):
        raise ConfigError("OIDC_ISSUER (or OIDC_TENANT_ID) is set: set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET too")
    if not 0 <= config["OIDC_CLOCK_SKEW_SECONDS"] <= MAX_CLOCK_SKEW_SECONDS:
        raise ConfigError(f"OIDC_CLOCK_SKEW_SECONDS must be between 0 and {MAX_CLOCK_SKEW_SECONDS}")
