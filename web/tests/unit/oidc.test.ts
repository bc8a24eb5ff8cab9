import assert from "node:assert/strict";
import { webcrypto } from "node:crypto";
import { test } from "node:test";
import {
  authorizationUrl,
  base64url,
  checkDiscovery,
  checkState,
  discoveryUrl,
  endSessionUrl,
  jwtClaims,
  parseCallback,
  pkceChallenge,
  providerName,
  randomToken,
  sessionFromTokens,
  tokenRequestBody,
  type PendingSignIn,
} from "../../src/oidc";
import { clearSession, loadOidcSession, loadPending, saveKey, saveOidcSession, savePending } from "../../src/session";

const subtle = webcrypto.subtle as unknown as SubtleCrypto;
const random = (a: Uint8Array) => webcrypto.getRandomValues(a);

const pending: PendingSignIn = {
  state: "s-123",
  nonce: "n-456",
  verifier: "v",
  redirectUri: "https://itsm.example.com/console/",
  tokenEndpoint: "https://idp.example.com/token",
  endSessionEndpoint: "https://idp.example.com/logout",
  hash: "#/incidents/x",
};

function jwt(claims: Record<string, unknown>): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part(claims)}.c2ln`;
}

function memoryStore() {
  const data = new Map<string, string>();
  return { data, getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v), removeItem: (k: string) => void data.delete(k) };
}

test("the S256 challenge is RFC 7636's (appendix B)", async () => {
  assert.equal(await pkceChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", subtle), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
});

test("random tokens are 43 base64url characters, never the same twice", () => {
  const a = randomToken(random);
  const b = randomToken(random);
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, b);
  assert.equal(base64url(new Uint8Array([0xfb, 0xff])), "-_8");
});

test("the authorisation URL carries the code flow with PKCE and keeps the endpoint's own query", () => {
  const url = new URL(
    authorizationUrl("https://idp.example.com/authorize?tenant=t1", {
      clientId: "itsm-console",
      redirectUri: "https://itsm.example.com/console/",
      scopes: "openid profile",
      state: "s-123",
      nonce: "n-456",
      challenge: "abc",
      audience: "itsm",
    }),
  );
  const q = Object.fromEntries(url.searchParams);
  assert.deepEqual(q, {
    tenant: "t1",
    response_type: "code",
    client_id: "itsm-console",
    redirect_uri: "https://itsm.example.com/console/",
    scope: "openid profile",
    state: "s-123",
    nonce: "n-456",
    code_challenge: "abc",
    code_challenge_method: "S256",
    audience: "itsm",
  });
});

test("discovery: the document must be the issuer's and offer S256", () => {
  assert.equal(discoveryUrl("https://idp.example.com/realms/x/"), "https://idp.example.com/realms/x/.well-known/openid-configuration");
  const doc = { issuer: "https://idp.example.com", authorization_endpoint: "https://idp.example.com/a", token_endpoint: "https://idp.example.com/t" };
  assert.equal(checkDiscovery(doc, "https://idp.example.com").token_endpoint, "https://idp.example.com/t");
  assert.throws(() => checkDiscovery(doc, "https://other.example.com"), /names issuer/);
  assert.throws(() => checkDiscovery({ ...doc, token_endpoint: undefined }, "https://idp.example.com"), /no token_endpoint/);
  assert.throws(() => checkDiscovery({ ...doc, code_challenge_methods_supported: ["plain"] }, "https://idp.example.com"), /S256/);
  assert.throws(() => checkDiscovery(null, "https://idp.example.com"), /names issuer/);
});

test("the callback: a code, an error, or not a callback at all", () => {
  assert.deepEqual(parseCallback("?code=c1&state=s-123"), { code: "c1", state: "s-123" });
  assert.deepEqual(parseCallback("?error=access_denied&error_description=no&state=s-123"), { error: "access_denied", description: "no", state: "s-123" });
  assert.equal(parseCallback(""), null);
  assert.equal(parseCallback("?x=1"), null);
});

test("a callback with another state, or none started, is refused", () => {
  checkState(pending, { code: "c", state: "s-123" });
  assert.throws(() => checkState(pending, { code: "c", state: "s-12" }), /state mismatch/);
  assert.throws(() => checkState(pending, { code: "c", state: "" }), /state mismatch/);
  assert.throws(() => checkState(null, { code: "c", state: "s-123" }), /No sign-in was started/);
});

test("the token request is a public client's: the verifier, no secret", () => {
  const body = Object.fromEntries(new URLSearchParams(tokenRequestBody({ code: "c1", verifier: "v1", redirectUri: "https://r/", clientId: "itsm-console" })));
  assert.deepEqual(body, { grant_type: "authorization_code", code: "c1", redirect_uri: "https://r/", client_id: "itsm-console", code_verifier: "v1" });
});

test("the session: the earlier expiry, the subject, and the ID token's nonce checked", () => {
  const now = 1_700_000_000_000;
  const access = jwt({ sub: "alice", exp: now / 1000 + 60 });
  const session = sessionFromTokens({ access_token: access, token_type: "Bearer", expires_in: 300, id_token: jwt({ sub: "alice", nonce: "n-456" }) }, pending, now);
  assert.equal(session.expiresAt, now + 60_000);
  assert.equal(session.subject, "alice");
  assert.equal(session.endSessionEndpoint, "https://idp.example.com/logout");
  assert.throws(() => sessionFromTokens({ access_token: access, id_token: jwt({ nonce: "other" }) }, pending, now), /nonce/);
  assert.throws(() => sessionFromTokens({ token_type: "Bearer" }, pending, now), /no access token/);
  assert.throws(() => sessionFromTokens({ access_token: "opaque", token_type: "DPoP", expires_in: 60 }, pending, now), /not a bearer/);
  assert.throws(() => sessionFromTokens({ access_token: "opaque" }, pending, now), /expires/);
  assert.equal(sessionFromTokens({ access_token: "opaque", expires_in: 10 }, pending, now).expiresAt, now + 10_000);
  assert.equal(jwtClaims("not.a-jwt"), null);
});

test("sign-out at the provider names the ID token and comes back to the console", () => {
  const session = { accessToken: "a", expiresAt: 0, idToken: "id1", subject: "alice", endSessionEndpoint: "https://idp.example.com/logout" };
  const q = new URL(endSessionUrl(session, "itsm-console", "https://itsm.example.com/console/")).searchParams;
  assert.equal(q.get("id_token_hint"), "id1");
  assert.equal(q.get("post_logout_redirect_uri"), "https://itsm.example.com/console/");
  assert.equal(endSessionUrl({ ...session, endSessionEndpoint: "" }, "c", "r"), "");
  assert.equal(providerName({ issuer: "https://idp.example.com:8443/x", client_id: "c", provider_name: "", scopes: "", audience: "" }), "idp.example.com:8443");
  assert.equal(providerName({ issuer: "https://idp.example.com", client_id: "c", provider_name: "Corp SSO", scopes: "", audience: "" }), "Corp SSO");
});

test("the OIDC session lives in the given store, is dropped once expired, and sign-out clears everything", () => {
  const store = memoryStore();
  const session = { accessToken: "a", expiresAt: 2000, idToken: "", subject: "alice", endSessionEndpoint: "" };
  saveOidcSession(store, session);
  savePending(store, pending);
  saveKey(store, "itsm_k");
  assert.deepEqual(loadOidcSession(store, 1999), session);
  assert.deepEqual(loadPending(store), pending);
  assert.equal(loadOidcSession(store, 2000), null);
  assert.equal(loadOidcSession(store, 0), null, "removed when found expired");
  clearSession(store);
  assert.equal(store.data.size, 0);
});
