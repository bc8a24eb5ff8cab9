// A form's call to the API: busy while it runs, then its error and the field violations of the
// API's answer (shown beside their fields). The one way the console's forms call the API.
//
//   const call = useApiCall();
//   const r = await call.run(() => api.post("/v1/problems", body));  // undefined when it failed
//   <Field error={call.v("title")}> ... {call.error && <p role="alert">{call.error}</p>}
import { useState } from "preact/hooks";
import { ApiError, violationFor } from "../api";

export function useApiCall() {
  const [error, setError] = useState("");
  const [violations, setViolations] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const run = async <T,>(call: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError("");
    setViolations({});
    try {
      return await call();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      if (err instanceof ApiError) setViolations(err.violations);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  const v = (field: string) => violationFor(violations, field);
  return { error, violations, busy, run, v };
}
