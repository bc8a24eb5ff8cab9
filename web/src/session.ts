// The API key of this tab's session. sessionStorage, never localStorage: the key is gone when
// the tab closes, is not shared with other tabs, and is not left on disk for the next user of
// the machine (decision in docs/decisions.md). Sign-out removes it at once.
const KEY = "itsm.console.apiKey";

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
