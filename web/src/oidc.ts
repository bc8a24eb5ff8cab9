// Sign-in with the suite's OIDC provider: the authorisation-code flow with PKCE (RFC 7636, S256)
// of a public client (no secret: a browser cannot keep one). The pure parts live here, with the
// browser's crypto and storage passed in, so unit tests run them under Node as they are; the
// redirects and fetches are in oidc_flow.ts.

// GET /console/config.json (the gateway's settings oidc_issuer, console_oidc_client_id, ...).
export interface OidcConfig {
  issuer: string;
  client_id: string;
  provider_name: string;
  scopes: string;
  audience: string;
}

// The parts of the provider's discovery document the console uses.
export interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint?: string;
  code_challenge_methods_supported?: string[];
}

// What is kept (sessionStorage) between leaving for the provider and coming back.
export interface PendingSignIn {
  state: string;
  nonce: string;
  verifier: string;
  redirectUri: string;
  tokenEndpoint: string;
  endSessionEndpoint: string;
  // Where the user was (a #/incidents/... link they opened before signing in).
  hash: string;
}

export type Callback = { code: string; state: string } | { error: string; description: string; state: string };

export function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// 32 random bytes as base64url: 43 characters, inside RFC 7636's 43..128. Used for the code
// verifier, the state and the nonce alike.
export function randomToken(getRandomValues: (array: Uint8Array) => Uint8Array): string {
  return base64url(getRandomValues(new Uint8Array(32)));
}

// The S256 code challenge: base64url(SHA-256(ASCII(verifier))).
export async function pkceChallenge(verifier: string, subtle: SubtleCrypto): Promise<string> {
  const digest = await subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
}

// The document must be the issuer's own (OIDC Discovery 4.3) and offer what the flow needs; a
// provider that lists its PKCE methods must list S256.
export function checkDiscovery(doc: unknown, issuer: string): Discovery {
  const d = (doc ?? {}) as Partial<Discovery>;
  if (d.issuer !== issuer) throw new Error(`the provider's discovery document names issuer "${d.issuer}", not "${issuer}"`);
  for (const field of ["authorization_endpoint", "token_endpoint"] as const) {
    if (typeof d[field] !== "string" || !/^https?:\/\//.test(d[field] as string)) {
      throw new Error(`the provider's discovery document has no ${field}`);
    }
  }
  if (Array.isArray(d.code_challenge_methods_supported) && !d.code_challenge_methods_supported.includes("S256")) {
    throw new Error("the provider does not offer PKCE with S256");
  }
  return d as Discovery;
}

export function authorizationUrl(
  endpoint: string,
  p: { clientId: string; redirectUri: string; scopes: string; state: string; nonce: string; challenge: string; audience?: string },
): string {
  const url = new URL(endpoint);
  const q = url.searchParams;
  q.set("response_type", "code");
  q.set("client_id", p.clientId);
  q.set("redirect_uri", p.redirectUri);
  q.set("scope", p.scopes.trim() || "openid");
  q.set("state", p.state);
  q.set("nonce", p.nonce);
  q.set("code_challenge", p.challenge);
  q.set("code_challenge_method", "S256");
  // Some providers (Auth0) pick the access token's aud from this; others ignore it.
  if (p.audience) q.set("audience", p.audience);
  return url.toString();
}

// The provider's answer on the redirect URI (RFC 6749 4.1.2), or null when the query is not one.
export function parseCallback(search: string): Callback | null {
  const q = new URLSearchParams(search);
  const state = q.get("state") ?? "";
  const error = q.get("error");
  if (error) return { error, description: q.get("error_description") ?? "", state };
  const code = q.get("code");
  if (code) return { code, state };
  return null;
}

// The state must be the one this tab sent: anything else is a forged or replayed answer
// (CSRF on the redirect URI). Compared whole, never as a prefix.
export function checkState(pending: PendingSignIn | null, callback: Callback): void {
  if (!pending) throw new Error("No sign-in was started in this tab (or it was already completed): start again.");
  if (!callback.state || callback.state !== pending.state) {
    throw new Error("The provider's answer does not belong to the sign-in started here (state mismatch): start again.");
  }
}

export function tokenRequestBody(p: { code: string; verifier: string; redirectUri: string; clientId: string }): string {
  return new URLSearchParams({
    grant_type: "authorization_code",
    code: p.code,
    redirect_uri: p.redirectUri,
    client_id: p.clientId,
    code_verifier: p.verifier,
  }).toString();
}

// The claims of a JWT, unverified: the console reads exp, sub and nonce to manage its own
// session; the gateway verifies the signature of every token it is sent.
export function jwtClaims(token: string): Record<string, unknown> | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const json = atob(parts[1].replace(/-/g, "+").replace(/_/g, "/"));
    const claims = JSON.parse(decodeURIComponent(escape(json)));
    return claims && typeof claims === "object" ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export interface OidcSession {
  accessToken: string;
  // Milliseconds since the epoch.
  expiresAt: number;
  idToken: string;
  subject: string;
  endSessionEndpoint: string;
}

// The session from the token endpoint's answer: the access token's expiry is the earlier of
// expires_in and its own exp; the ID token (when sent) must carry the nonce this tab sent,
// which ties it to this sign-in (OIDC Core 3.1.3.7).
export function sessionFromTokens(answer: unknown, pending: PendingSignIn, now: number): OidcSession {
  const a = (answer ?? {}) as Record<string, unknown>;
  if (typeof a.access_token !== "string" || !a.access_token) throw new Error("the provider sent no access token");
  if (typeof a.token_type === "string" && a.token_type.toLowerCase() !== "bearer") {
    throw new Error(`the provider sent a ${a.token_type} token, not a bearer token`);
  }
  const access = jwtClaims(a.access_token);
  const expiries: number[] = [];
  if (typeof a.expires_in === "number" && a.expires_in > 0) expiries.push(now + a.expires_in * 1000);
  if (typeof access?.exp === "number") expiries.push(access.exp * 1000);
  if (expiries.length === 0) throw new Error("the provider's answer says nowhere when the token expires");
  const idToken = typeof a.id_token === "string" ? a.id_token : "";
  let subject = typeof access?.sub === "string" ? access.sub : "";
  if (idToken) {
    const id = jwtClaims(idToken);
    if (!id || id.nonce !== pending.nonce) throw new Error("The provider's ID token does not carry this sign-in's nonce: start again.");
    if (typeof id.sub === "string") subject = subject || id.sub;
  }
  return { accessToken: a.access_token, expiresAt: Math.min(...expiries), idToken, subject, endSessionEndpoint: pending.endSessionEndpoint };
}

// Where sign-out sends the browser to end the provider's session too (RP-Initiated Logout), or
// "" when the provider has no end_session_endpoint.
export function endSessionUrl(session: OidcSession, clientId: string, postLogoutRedirectUri: string): string {
  if (!session.endSessionEndpoint) return "";
  const url = new URL(session.endSessionEndpoint);
  if (session.idToken) url.searchParams.set("id_token_hint", session.idToken);
  url.searchParams.set("client_id", clientId);
  url.searchParams.set("post_logout_redirect_uri", postLogoutRedirectUri);
  return url.toString();
}

// The button's name: the configured one, else the issuer's host.
export function providerName(config: OidcConfig): string {
  if (config.provider_name) return config.provider_name;
  try {
    return new URL(config.issuer).host;
  } catch {
    return config.issuer;
  }
}
