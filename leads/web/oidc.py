"""The OpenID Connect client (Authlib's Flask client): discovery, the authorization code flow with PKCE, and the
ID token's verification.

Authlib makes the request (`state`, `nonce`, S256 code challenge, kept in the signed session cookie) and
exchanges the code. The ID token is verified here rather than by `authorize_access_token`, because that one
checks the audience only through `azp` and reads the wall clock: `verify_id_token` checks the signature against
the provider's JWKS (fetched again once if the key id is new: the provider rotated), the algorithm (asymmetric
only, never `none` or a shared secret), the issuer, the audience, `exp`/`iat`/`nbf` against the app's clock
with a bounded skew, and the nonce sent with this very request.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from authlib.oidc.core import CodeIDToken
from flask import Flask, current_app, request, session
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

CLIENT = "oidc"
_EXT_KEY = "radnac.oidc"
SCOPE = "openid email profile"
#: Signatures accepted on ID tokens: public-key algorithms only.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


#: The error codes a provider may send back (RFC 6749 4.1.2.1, OpenID Connect Core 3.1.2.6); any other is not
#: repeated, and the free-text `error_description` never is (it is the caller's text).
OAUTH_ERRORS = frozenset(
    {
        "invalid_request",
        "unauthorized_client",
        "access_denied",
        "unsupported_response_type",
        "invalid_scope",
        "server_error",
        "temporarily_unavailable",
        "interaction_required",
        "login_required",
        "account_selection_required",
        "consent_required",
        "invalid_request_uri",
        "invalid_request_object",
        "request_not_supported",
        "request_uri_not_supported",
        "registration_not_supported",
    }
)
STATE_MISMATCH = "the sign-in's state does not match one started here (replayed or forged)"


class TokenRefused(Exception):
    """The provider's answer or its ID token failed a check; `reason` is safe to show. `audit`: whether it is
    worth an audit event (False when no sign-in started in this session: anyone can send that, so it is noise)."""

    def __init__(self, reason: str, *, audit: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.audit = audit


def init_app(app: Flask) -> None:
    """Register the provider with Authlib when OIDC_ISSUER is set; metadata is fetched at the first sign-in."""
    if not app.config["OIDC_ENABLED"]:
        return
    oauth = OAuth(app)
    oauth.register(
        CLIENT,
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=app.config["OIDC_ISSUER"].rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "timeout": 10},
    )
    app.extensions[_EXT_KEY] = oauth


def client() -> Any:
    """This app's Authlib client for the provider."""
    return current_app.extensions[_EXT_KEY].create_client(CLIENT)


def authorize_redirect(redirect_uri: str) -> Any:
    """Redirect to the provider's authorization endpoint (code flow, PKCE S256, fresh state and nonce)."""
    metadata = _metadata()
    if "S256" not in metadata.get("code_challenge_methods_supported", ["S256"]):
        raise TokenRefused("the provider does not offer PKCE with S256")
    return client().authorize_redirect(redirect_uri)


def finish(*, now: datetime) -> dict[str, Any]:
    """Check the callback's `state`, exchange the code (with the PKCE verifier) and return the verified claims.

    The state is consumed first, so a replayed callback (same state, same code) finds nothing and is refused.
    """
    oauth_client, state = client(), request.args.get("state", "")
    state_data = _consume_state(oauth_client, state)
    if not state_data or not state_data.get("nonce"):
        raise TokenRefused(STATE_MISMATCH, audit=False)
    if request.args.get("error"):
        error = request.args["error"]
        raise TokenRefused(f"the provider refused: {error if error in OAUTH_ERRORS else 'an unrecognised error'}")
    if not request.args.get("code"):
        raise TokenRefused(STATE_MISMATCH)
    params = oauth_client._format_state_params(state_data, {"code": request.args["code"], "state": state})
    try:
        token = oauth_client.fetch_access_token(**params)
    except OAuthError as error:
        raise TokenRefused(f"the provider would not exchange the code: {error.error}") from error
    if "id_token" not in token:
        raise TokenRefused("the provider sent no ID token")
    return verify_id_token(
        id_token=token["id_token"],
        nonce=state_data["nonce"],
        access_token=token.get("access_token"),
        now=now,
    )


def _consume_state(oauth_client: Any, state: str) -> dict[str, Any] | None:
    """What the sign-in that began with `state` stored (None if no such sign-in), removed so it serves once."""
    state_data = oauth_client.framework.get_state_data(session, state) if state else None
    if state:
        oauth_client.framework.clear_state_data(session, state)
    return state_data


def verify_id_token(*, id_token: str, nonce: str, now: datetime, access_token: str | None = None) -> dict[str, Any]:
    """The ID token's claims, once signature, algorithm, issuer, audience, times and nonce all check out.

    Keys come from the provider's JWKS (cached; fetched again once for an unknown key id). TokenRefused otherwise.
    """
    config, oauth_client = current_app.config, client()
    algorithms = [
        alg for alg in _metadata().get("id_token_signing_alg_values_supported", ["RS256"]) if alg in ALGORITHMS
    ]
    registry = JWSRegistry(algorithms=algorithms or ["RS256"])
    try:
        try:
            decoded = jwt.decode(id_token, KeySet.import_key_set(oauth_client.fetch_jwk_set()), registry=registry)
        except InvalidKeyIdError:
            decoded = jwt.decode(
                id_token, KeySet.import_key_set(oauth_client.fetch_jwk_set(force=True)), registry=registry
            )
        claims = CodeIDToken(
            decoded.claims, decoded.header, _claim_options(config), _params(config, nonce, access_token)
        )
        claims.validate(now=int(now.timestamp()), leeway=config["OIDC_CLOCK_SKEW_SECONDS"])
    except (JoseError, ValueError) as error:
        raise TokenRefused(f"the ID token failed verification: {_describe(error)}") from error
    return dict(claims)


def end_session_url(post_logout_redirect_uri: str) -> str | None:
    """The provider's logout URL (RP-initiated logout) back to us, or None if the provider offers none."""
    if not current_app.config["OIDC_ENABLED"] or "end_session_endpoint" not in _metadata():
        return None
    return client().create_logout_url(
        post_logout_redirect_uri=post_logout_redirect_uri, client_id=current_app.config["OIDC_CLIENT_ID"]
    )["url"]


def _metadata() -> Mapping[str, Any]:
    metadata = client().load_server_metadata()
    if metadata.get("issuer") != current_app.config["OIDC_ISSUER"]:
        raise TokenRefused("the provider's metadata names another issuer than OIDC_ISSUER")
    return metadata


def _claim_options(config: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "iss": {"essential": True, "value": config["OIDC_ISSUER"]},
        "aud": {"essential": True, "value": config["OIDC_CLIENT_ID"]},
        "exp": {"essential": True},
        "iat": {"essential": True},
    }


def _params(config: Mapping[str, Any], nonce: str, access_token: str | None) -> dict[str, Any]:
    params = {"nonce": nonce, "client_id": config["OIDC_CLIENT_ID"]}
    if access_token:
        params["access_token"] = access_token  # checks at_hash when the token carries one
    return params


def _describe(error: Exception) -> str:
    return getattr(error, "description", None) or getattr(error, "error", None) or type(error).__name__
