// Sign-in: with the OIDC provider the gateway names (GET /console/config.json; oidc_flow.ts), or
// with an API key (the launcher prints the first admin key; `itsmctl apikey create` makes more),
// which is checked with one read before it is kept.
import { useState } from "preact/hooks";
import { Api, ApiError } from "../api";
import { providerName, type OidcConfig } from "../oidc";
import { startSignIn } from "../oidc_flow";

export function SignIn({
  onSignIn,
  oidc,
  notice,
  completing,
}: {
  onSignIn: (key: string) => void;
  oidc: OidcConfig | null;
  notice: string;
  completing: boolean;
}) {
  const [key, setKey] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [leaving, setLeaving] = useState(false);
  const [providerError, setProviderError] = useState("");
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
  const withProvider = async () => {
    if (!oidc) return;
    setLeaving(true);
    setProviderError("");
    try {
      await startSignIn(oidc);
    } catch (err) {
      setProviderError(`Cannot reach the sign-in provider: ${(err as Error).message}`);
      setLeaving(false);
    }
  };
  return (
    <main id="main" class="signin">
      <h1 tabIndex={-1}>Sign in to the itsm console</h1>
      {completing && (
        <p class="notice" role="status">
          Completing the sign-in…
        </p>
      )}
      {!completing && notice && (
        <p class="notice" role="alert" id="signin-notice">
          {notice}
        </p>
      )}
      {oidc && (
        <section class="provider" aria-label="Single sign-on">
          <button type="button" onClick={withProvider} disabled={leaving || completing}>
            Sign in with {providerName(oidc)}
          </button>
          {providerError && (
            <p class="error" role="alert">
              {providerError}
            </p>
          )}
          <p class="or">or with an API key:</p>
        </section>
      )}
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
