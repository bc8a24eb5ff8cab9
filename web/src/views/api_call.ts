// A form's call to the API: busy while it runs, then its error and the field violations of the
// API's answer (shown beside their fields). The one way the console's forms call the API.
//
//   const call = useApiCall(record.version);
//   const r = await call.run(() => api.post("/v1/problems", body));  // undefined when it failed
//   <Field error={call.v("title")}> ... {call.error && <p role="alert">{call.error}</p>}
import { useEffect, useState } from "preact/hooks";
import { ApiError, violationFor } from "../api";

// `about`: the version of the record the form acts on. An error said about a version the record
// has since moved on from (another action succeeded, a colleague changed it) no longer stands: it
// is cleared rather than left beside the new state.
export function useApiCall(about?: string) {
  const [error, setError] = useState("");
  const [violations, setViolations] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setError("");
    setViolations({});
  }, [about]);
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
