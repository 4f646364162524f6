"""Configuration: documented defaults, overridden by the environment, then by a test mapping.

Every setting a deployment may change is read here and nowhere else (README, "Configuration").
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
    # Single sign-on (OpenID Connect, e.g. Microsoft Entra ID; README "Single sign-on"); unset: local login only.
    "OIDC_ISSUER",
    "OIDC_TENANT_ID",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_ROLE_MAP",
    "OIDC_PROVIDER_NAME",
    "OIDC_CLOCK_SKEW_SECONDS",
)
ENTRA_ISSUER = "https://login.microsoftonline.com/{tenant}/v2.0"
MAX_CLOCK_SKEW_SECONDS = 300


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the message says what to set."""


def utc_now() -> datetime:
    """The production clock: the current time, aware, in UTC."""
    return datetime.now(UTC)


def defaults(instance_path: str) -> dict[str, Any]:
    """The documented defaults; `instance_path` holds the default SQLite file."""
    db_file = Path(instance_path) / "radnac-leads.db"
    return {
        "APP_ENV": "production",
        "SECRET_KEY": DEV_SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{db_file}",
        "WEBHOOK_SECRET": UNSET,  # the webhook answers 503 to every caller until it is set
        "AZURE_TABLES_CONNECTION_STRING": "",
        "LEADS_TABLE_NAME": "MarketplaceLeads",
        "TOMBSTONE_KEY": "",  # empty: SECRET_KEY is used (never rotate it once tombstones exist)
        "TRUSTED_PROXY_COUNT": 0,  # proxies in front of the app whose X-Forwarded-For is believed
        "RATELIMIT_STORAGE_URI": "memory://",  # one process; redis://host:6379 shares counts between workers
        "RATELIMIT_KEY_PREFIX": "radnac-leads",
        "LOGIN_LIMIT_PER_ACCOUNT": "5 per 15 minutes",  # failed log-ins for one email, from anywhere
        "LOGIN_LIMIT_PER_ADDRESS": "20 per 15 minutes",  # failed log-ins from one address, for any email
        "OIDC_ISSUER": UNSET,  # or OIDC_TENANT_ID, from which Entra ID's issuer is derived
        "OIDC_TENANT_ID": UNSET,
        "OIDC_CLIENT_ID": UNSET,
        "OIDC_CLIENT_SECRET": UNSET,
        "OIDC_ROLE_MAP": UNSET,  # "Leads.Admin=admin,Leads.Sales=sales,<group object id>=support"
        "OIDC_PROVIDER_NAME": "Microsoft",  # the button says "Sign in with <name>"
        "OIDC_CLOCK_SKEW_SECONDS": 60,  # leeway on the ID token's exp/iat/nbf; at most MAX_CLOCK_SKEW_SECONDS
        "SYNC_OVERLAP_MINUTES": 15,
        "WEBHOOK_MAX_BYTES": 64 * 1024,
        "LEADS_PER_PAGE": 50,
        "FILTER_OPTIONS_TTL": timedelta(minutes=10),
        "CLOCK": utc_now,
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,  # the session bounds the token's life
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
    }


def build(instance_path: str, environ: Mapping[str, str], overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults, then the environment, then `overrides`; validated and with derived settings filled in."""
    config = defaults(instance_path)
    config.update({key: environ[key] for key in ENV_VARS if environ.get(key)})
    config.update(overrides or {})
    is_dev = config["APP_ENV"] in DEV_ENVS
    config.setdefault("SESSION_COOKIE_SECURE", not is_dev)
    config.setdefault("REMEMBER_COOKIE_SECURE", not is_dev)
    config["TESTING"] = config["APP_ENV"] == "testing" or bool(config.get("TESTING"))
    config["TOMBSTONE_KEY"] = config["TOMBSTONE_KEY"] or config["SECRET_KEY"]
    config["TRUSTED_PROXY_COUNT"] = int(config["TRUSTED_PROXY_COUNT"])
    _derive_oidc(config)
    validate(config)
    return config


def validate(config: Mapping[str, Any]) -> None:
    """Refuse to start with a configuration that would be unsafe for real personal data."""
    env = config["APP_ENV"]
    if env not in DEV_ENVS | {"production"}:
        raise ConfigError(f"APP_ENV must be development, testing or production, not {env!r}")
    if env not in DEV_ENVS and config["SECRET_KEY"] in ("", DEV_SECRET_KEY):
        raise ConfigError(
            "SECRET_KEY is unset or the development default; set a long random SECRET_KEY "
            "(python -c 'import secrets; print(secrets.token_hex(32))') or APP_ENV=development"
        )
    _validate_oidc(config)
    if not isinstance(config["CLOCK"], Callable):  # type: ignore[arg-type]
        raise ConfigError("CLOCK must be a callable returning an aware UTC datetime")


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
