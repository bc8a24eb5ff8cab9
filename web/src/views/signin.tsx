// Sign-in with an API key (the launcher prints the first admin key; `itsmctl apikey create`
// makes more). The key is checked with one read before it is kept.
import { useState } from "preact/hooks";
import { Api, ApiError } from "../api";

export function SignIn({ onSignIn }: { onSignIn: (key: string) => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      await new Api(key.trim()).get("/v1/incidents?page.page_size=1");
      onSignIn(key.trim());
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? "This key is not valid (unknown, revoked or expired)." : String((err as Error).message));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <h1 tabIndex={-1}>Sign in to the itsm console</h1>
      <form onSubmit={submit} noValidate>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          required
          value={key}
          aria-invalid={error ? "true" : undefined}
          aria-describedby={error ? "api-key-error" : "api-key-help"}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
        />
        <p id="api-key-help" class="help">
          Kept in this tab only (session storage) until you sign out or close the tab.
        </p>
        {error && (
          <p id="api-key-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || !key.trim()}>
          Sign in
        </button>
      </form>
    </main>
  );
}
