"""The ID token's verification (leads/web/oidc.py), with tokens signed by the key the loopback provider publishes.

Driving a real provider to mint a token for another audience, an expired one or one with a wrong nonce is not
practical, so these tokens are minted here with the provider's own signing key; the app fetches the provider's
JWKS over loopback exactly as at a real sign-in. The clock is pinned.
"""

from __future__ import annotations

import base64
import json

import pytest
from joserfc.jwk import RSAKey

from leads import create_app
from leads.web import oidc
from tests.factories import PINNED_NOW

NONCE = "nonce-sent-with-the-request"
NOW = int(PINNED_NOW.timestamp())


@pytest.fixture
def app(oidc_provider, clock):
    """No database needed: SQLite in memory, the provider's settings, skew 60 s."""
    config = {"APP_ENV": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": "sqlite://", "CLOCK": clock}
    app = create_app({**config, **oidc_provider.app_config(), "OIDC_CLOCK_SKEW_SECONDS": 60})
    yield app
    app.extensions["radnac.engine"].dispose()


def claims(provider, **changes) -> dict:
    base = {
        "iss": provider.issuer,
        "aud": provider.client_id,
        "sub": "subject-1",
        "oid": "oid-1",
        "iat": NOW,
        "exp": NOW + 600,
        "nonce": NONCE,
    }
    return {key: value for key, value in {**base, **changes}.items() if value is not None}


def verify(app, token: str, nonce: str = NONCE):
    with app.test_request_context():
        return oidc.verify_id_token(id_token=token, nonce=nonce, now=PINNED_NOW)


def refusal(app, token: str, nonce: str = NONCE) -> str:
    with pytest.raises(oidc.TokenRefused) as refused:
        verify(app, token, nonce)
    return refused.value.reason


def test_a_token_from_the_provider_for_us_is_accepted(app, oidc_provider):
    verified = verify(app, oidc_provider.mint(claims(oidc_provider)))
    assert (verified["oid"], verified["aud"]) == ("oid-1", oidc_provider.client_id)


@pytest.mark.parametrize(
    "change",
    [
        {"aud": "another-app"},
        {"aud": ["another-app", "yet-another"]},
        {"aud": None},
    ],
    ids=["another audience", "other audiences only", "no audience"],
)
def test_a_token_for_another_audience_is_refused(app, oidc_provider, change):
    assert "failed verification" in refusal(app, oidc_provider.mint(claims(oidc_provider, **change)))


def test_a_token_shared_with_another_party_must_name_us_as_authorised_party(app, oidc_provider):
    both = [oidc_provider.client_id, "another-app"]
    assert refusal(app, oidc_provider.mint(claims(oidc_provider, aud=both, azp="another-app")))
    assert verify(app, oidc_provider.mint(claims(oidc_provider, aud=both, azp=oidc_provider.client_id)))


def test_an_expired_token_is_refused_past_the_bounded_skew(app, oidc_provider):
    just_within = claims(oidc_provider, iat=NOW - 700, exp=NOW - 59)
    assert verify(app, oidc_provider.mint(just_within))
    expired = claims(oidc_provider, iat=NOW - 700, exp=NOW - 61)
    assert "failed verification" in refusal(app, oidc_provider.mint(expired))


def test_a_token_issued_in_the_future_is_refused(app, oidc_provider):
    assert refusal(app, oidc_provider.mint(claims(oidc_provider, iat=NOW + 120, exp=NOW + 900)))
    assert refusal(app, oidc_provider.mint(claims(oidc_provider, nbf=NOW + 120)))


def test_a_token_without_expiry_is_refused(app, oidc_provider):
    assert refusal(app, oidc_provider.mint(claims(oidc_provider, exp=None)))


@pytest.mark.parametrize("nonce", ["another-nonce", None], ids=["wrong nonce", "no nonce"])
def test_a_wrong_or_missing_nonce_is_refused(app, oidc_provider, nonce):
    assert "failed verification" in refusal(app, oidc_provider.mint(claims(oidc_provider, nonce=nonce)))


def test_a_token_from_another_issuer_is_refused(app, oidc_provider):
    assert refusal(app, oidc_provider.mint(claims(oidc_provider, iss="https://login.example/other")))


def test_a_token_signed_by_another_key_is_refused(app, oidc_provider):
    impostor = RSAKey.generate_key(2048, parameters={"kid": oidc_provider.key.kid, "alg": "RS256"})
    assert refusal(app, oidc_provider.mint(claims(oidc_provider), key=impostor))
    unknown_kid = RSAKey.generate_key(2048, parameters={"kid": "not-published", "alg": "RS256"})
    assert refusal(app, oidc_provider.mint(claims(oidc_provider), key=unknown_kid))


def _segment(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_an_unsigned_or_tampered_token_is_refused(app, oidc_provider):
    payload = claims(oidc_provider)
    unsigned = f"{_segment({'alg': 'none', 'kid': oidc_provider.key.kid})}.{_segment(payload)}."
    assert refusal(app, unsigned)
    header, _body, signature = oidc_provider.mint(payload).split(".")
    tampered = f"{header}.{_segment({**payload, 'oid': 'someone-else'})}.{signature}"
    assert refusal(app, tampered)
    assert refusal(app, "not a token")
