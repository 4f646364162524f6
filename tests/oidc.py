"""The OpenID Connect provider fixture (a pytest plugin, loaded from conftest.py): npm `oidc-provider`, pinned in
package.json, run by tests/oidc_provider.mjs on a free loopback port, like Azurite.

The test run owns the provider's signing key, so tests can also mint tokens that the provider's published
JWKS vouches for (a token for another audience, an expired one, a wrong nonce) without asking the provider to
misbehave. Accounts live in a JSON file the provider reads at every sign-in: `provider.accounts = {...}`.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from tests import clock_shift
from tests.factories import free_port

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "oidc_provider.mjs"
CLIENT_ID = "radnac-leads"
CLIENT_SECRET = "loopback-test-client-secret"  # the provider's test client, on loopback only
ROLE_MAP = "Leads.Admin=admin,Leads.Sales=sales,Leads.Support=support"


class Provider:
    """The running provider: its issuer, its test client, its signing key and its accounts file."""

    def __init__(self, issuer: str, key: RSAKey, accounts_file: Path) -> None:
        self.issuer, self.key, self._accounts_file = issuer, key, accounts_file
        self.client_id, self.client_secret = CLIENT_ID, CLIENT_SECRET

    @property
    def accounts(self) -> dict[str, dict[str, Any]]:
        return json.loads(self._accounts_file.read_text())

    @accounts.setter
    def accounts(self, accounts: dict[str, dict[str, Any]]) -> None:
        self._accounts_file.write_text(json.dumps(accounts))

    def app_config(self) -> dict[str, Any]:
        """The app's settings for this provider."""
        return {
            "OIDC_ISSUER": self.issuer,
            "OIDC_CLIENT_ID": self.client_id,
            "OIDC_CLIENT_SECRET": self.client_secret,
            "OIDC_ROLE_MAP": ROLE_MAP,
            "OIDC_PROVIDER_NAME": "Test Provider",
        }

    def mint(self, claims: dict[str, Any], key: RSAKey | None = None) -> str:
        """An ID token with these claims, signed with the provider's key (or `key`)."""
        key = key or self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def _wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"oidc-provider exited: {log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.1)
    clock_shift.stop(process)
    pytest.fail("oidc-provider did not start within 30 seconds")


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    """A real OpenID Connect provider on a free loopback port, for the whole run."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "oidc-provider").exists():
        pytest.fail("oidc-provider is not installed: run `npm ci` (make test does)")
    folder, port = tmp_path_factory.mktemp("oidc"), free_port()
    key = RSAKey.generate_key(2048, parameters={"kid": "test-signing-key", "alg": "RS256", "use": "sig"})
    provider = Provider(f"http://127.0.0.1:{port}", key, folder / "accounts.json")
    provider.accounts = {}
    client = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": ["http://127.0.0.1:1/sso/callback"],  # any loopback port is allowed by the script
        "post_logout_redirect_uris": ["http://127.0.0.1:1/login"],
        "response_types": ["code"],
        "grant_types": ["authorization_code"],
    }
    config = {
        "port": port,
        "issuer": provider.issuer,
        "clients": [client],
        "jwks": {"keys": [key.as_dict(private=True)]},
        "accounts": str(folder / "accounts.json"),
    }
    (folder / "config.json").write_text(json.dumps(config))
    log = folder / "provider.log"
    with log.open("wb") as out:
        command = clock_shift.node_command([node, str(SCRIPT), str(folder / "config.json")])
        process = clock_shift.start(command, stdout=out, stderr=out, env=clock_shift.node_env())
    _wait_for_port(port, process, log)
    yield provider
    clock_shift.stop(process)
