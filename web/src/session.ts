// The session of this tab: an API key, or the access token of an OIDC sign-in (oidc_flow.ts).
// sessionStorage, never localStorage: the credential is gone when the tab closes, is not shared
// with other tabs, and is not left on disk for the next user of the machine (decision in
// docs/decisions.md). Sign-out removes it at once.
import type { OidcSession, PendingSignIn } from "./oidc";

const KEY = "itsm.console.apiKey";
const OIDC = "itsm.console.oidc";
// Between leaving for the provider and coming back: state, nonce and the PKCE verifier.
const PENDING = "itsm.console.oidcPending";

export interface KeyStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function loadKey(store: KeyStore): string | null {
  const key = store.getItem(KEY);
  return key && key.trim() ? key : null;
}
export function saveKey(store: KeyStore, key: string): void {
  store.setItem(KEY, key.trim());
}
export function clearKey(store: KeyStore): void {
  store.removeItem(KEY);
}

function loadJson<T>(store: KeyStore, name: string): T | null {
  try {
    return JSON.parse(store.getItem(name) ?? "null") as T | null;
  } catch {
    return null;
  }
}

// The OIDC session, or null when there is none or its token has expired (then it is removed).
export function loadOidcSession(store: KeyStore, now: number): OidcSession | null {
  const session = loadJson<OidcSession>(store, OIDC);
  if (!session || typeof session.accessToken !== "string" || typeof session.expiresAt !== "number") return null;
  if (session.expiresAt <= now) {
    store.removeItem(OIDC);
    return null;
  }
  return session;
}
export function saveOidcSession(store: KeyStore, session: OidcSession): void {
  store.setItem(OIDC, JSON.stringify(session));
}

export function loadPending(store: KeyStore): PendingSignIn | null {
  return loadJson<PendingSignIn>(store, PENDING);
}
export function savePending(store: KeyStore, pending: PendingSignIn): void {
  store.setItem(PENDING, JSON.stringify(pending));
}
export function clearPending(store: KeyStore): void {
  store.removeItem(PENDING);
}

// Sign-out: every credential of the tab.
export function clearSession(store: KeyStore): void {
  store.removeItem(KEY);
  store.removeItem(OIDC);
  store.removeItem(PENDING);
}
