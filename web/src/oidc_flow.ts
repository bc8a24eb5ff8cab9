// The browser's side of the OIDC sign-in (the pure parts are in oidc.ts): the provider's
// discovery document, the redirect to its authorisation endpoint, and on the way back the code
// exchanged for tokens at its token endpoint. Everything kept between the two redirects, and the
// session after, is in sessionStorage: never localStorage (decision in docs/decisions.md).
import {
  authorizationUrl,
  checkDiscovery,
  checkState,
  discoveryUrl,
  parseCallback,
  pkceChallenge,
  randomToken,
  sessionFromTokens,
  tokenRequestBody,
  type OidcConfig,
  type OidcSession,
  type PendingSignIn,
} from "./oidc";
import { clearPending, loadPending, savePending } from "./session";

// The console's own address, registered at the provider as the redirect URI (docs/console.md).
export function redirectUri(): string {
  return `${location.origin}/console/`;
}

// GET /console/config.json: the provider, or null when the gateway has none for the console.
export async function loadOidcConfig(): Promise<OidcConfig | null> {
  try {
    const response = await fetch("/console/config.json", { cache: "no-store" });
    if (!response.ok) return null;
    const config = (await response.json()) as { oidc?: OidcConfig | null };
    return config.oidc ?? null;
  } catch {
    return null;
  }
}

async function fetchJson(url: string, init?: RequestInit): Promise<unknown> {
  const response = await fetch(url, { ...init, cache: "no-store" });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  if (!response.ok) {
    const b = (body ?? {}) as { error?: string; error_description?: string };
    throw new Error(`${url}: HTTP ${response.status}${b.error ? ` ${b.error}` : ""}${b.error_description ? `: ${b.error_description}` : ""}`);
  }
  return body;
}

// Leaves for the provider's login page.
export async function startSignIn(config: OidcConfig): Promise<void> {
  const discovery = checkDiscovery(await fetchJson(discoveryUrl(config.issuer)), config.issuer);
  const random = (a: Uint8Array) => crypto.getRandomValues(a);
  const pending: PendingSignIn = {
    state: randomToken(random),
    nonce: randomToken(random),
    verifier: randomToken(random),
    redirectUri: redirectUri(),
    tokenEndpoint: discovery.token_endpoint,
    endSessionEndpoint: discovery.end_session_endpoint ?? "",
    hash: location.hash,
  };
  savePending(sessionStorage, pending);
  location.assign(
    authorizationUrl(discovery.authorization_endpoint, {
      clientId: config.client_id,
      redirectUri: pending.redirectUri,
      scopes: config.scopes,
      state: pending.state,
      nonce: pending.nonce,
      challenge: await pkceChallenge(pending.verifier, crypto.subtle),
      audience: config.audience,
    }),
  );
}

// Whether this page load is the provider's redirect back (?code=... or ?error=...).
export function isCallback(): boolean {
  return parseCallback(location.search) !== null;
}

// Completes the sign-in the provider redirected back with: state checked, code exchanged
// (once: the pending sign-in is removed first), the query taken off the address bar.
export async function completeSignIn(config: OidcConfig | null): Promise<OidcSession> {
  const callback = parseCallback(location.search);
  const pending = loadPending(sessionStorage);
  clearPending(sessionStorage);
  history.replaceState(null, "", `${location.pathname}${pending?.hash ?? ""}`);
  if (!callback) throw new Error("No answer from the provider.");
  checkState(pending, callback);
  if ("error" in callback) {
    throw new Error(`The provider refused the sign-in: ${callback.error}${callback.description ? ` (${callback.description})` : ""}.`);
  }
  if (!config) throw new Error("The gateway no longer names a provider to sign in with.");
  const answer = await fetchJson(pending!.tokenEndpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    body: tokenRequestBody({ code: callback.code, verifier: pending!.verifier, redirectUri: pending!.redirectUri, clientId: config.client_id }),
  });
  return sessionFromTokens(answer, pending!, Date.now());
}
