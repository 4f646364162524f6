// A real OpenID Connect provider (npm `oidc-provider`, pinned in package.json) on loopback, for the tests.
// Started by the `oidc_provider` fixture (tests/conftest.py): `node tests/oidc_provider.mjs CONFIG.json`.
//
// CONFIG.json: {port, issuer, clients: [...], jwks: {keys: [private JWK]}, accounts: "path/to/accounts.json"}.
// The accounts file maps a login to its claims ({"sub", "oid", "email", "email_verified", "roles", ...}) and is
// read again at every sign-in, so a test can change someone's roles "at the provider" between two sign-ins.
// The signing key comes from the test, so a test can also mint tokens this provider's JWKS vouches for.
// Sign-in uses oidc-provider's built-in development interactions: any login that is in the accounts file,
// any password, then a consent screen.
import { readFileSync } from "node:fs";
import Provider from "oidc-provider";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const accounts = () => JSON.parse(readFileSync(config.accounts, "utf8"));

const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: config.jwks,
  // Entra ID puts oid, roles and groups in the ID token whatever the scope; so does this provider.
  claims: {
    openid: ["sub", "oid", "tid", "roles", "groups", "preferred_username"],
    email: ["email", "email_verified"],
    profile: ["name"],
  },
  conformIdTokenClaims: false, // the ID token carries the claims, not only the userinfo endpoint
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  pkce: { required: () => true },
  ttl: { IdToken: 3600, AccessToken: 3600, AuthorizationCode: 60 },
  cookies: { keys: ["test-only-cookie-key"] },
  async findAccount(_ctx, id) {
    const claims = accounts()[id];
    if (!claims) return undefined;
    return { accountId: id, claims: async () => ({ ...claims, sub: claims.sub ?? id }) };
  },
});
provider.proxy = false;

// The app under test listens on a new loopback port per test: accept any loopback redirect URI.
const loopback = (uri) => /^http:\/\/127\.0\.0\.1:\d+\//.test(uri);
provider.Client.prototype.redirectUriAllowed = loopback;
provider.Client.prototype.postLogoutRedirectUriAllowed = loopback;

provider.listen(config.port, "127.0.0.1", () => {
  console.log(`oidc-provider listening on ${config.issuer}`);
});
