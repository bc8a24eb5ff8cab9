// A new change (CreateChange): its type (a standard one from a template), what and where, and
// optionally its planned slot in the user's zone. Validation is the API's: its field violations
// are shown beside the fields they name.
import { useState } from "preact/hooks";
import type { Api } from "../api";
import type { Change } from "../change";
import { CHANGE_CREATE_FIELDS } from "../change_actions";
import { toJson } from "../record_forms";
import { localInputToIso, zoneName } from "../time";
import { useApiCall } from "./api_call";
import { Field, invalid } from "./field";
import { FieldInputs } from "./record_form";

export function CreateChange({ api }: { api: Api }) {
  const [values, setValues] = useState<Record<string, string>>({ type: "CHANGE_TYPE_NORMAL" });
  const [start, setStart] = useState("");
  const [end, setEnd] = useState("");
  const call = useApiCall();
  const submit = async (e: Event) => {
    e.preventDefault();
    const body = { ...toJson(CHANGE_CREATE_FIELDS, values), plannedStartTime: localInputToIso(start) || undefined, plannedEndTime: localInputToIso(end) || undefined };
    const r = await call.run(() => api.post<{ change: Change }>("/v1/changes", body));
    if (r) location.hash = `#/changes/${encodeURIComponent(r.change.id)}`;
  };
  return (
    <section aria-labelledby="create-title">
      <p class="help">
        <a href="#/calendar">← Change calendar</a>
      </p>
      <h1 id="create-title" tabIndex={-1}>
        New change
      </h1>
      <form onSubmit={submit} noValidate class="record-form">
        {call.error && (
          <p class="error" role="alert">
            {call.error}
          </p>
        )}
        <FieldInputs prefix="" fields={CHANGE_CREATE_FIELDS} values={values} set={(n, v) => setValues({ ...values, [n]: v })} violations={call.violations} />
        <p class="help">The planned slot is optional here (it can be set later), in your time zone, {zoneName()}.</p>
        <Field id="planned-start" label="Planned start" error={call.v("plannedStartTime")}>
          <input id="planned-start" type="datetime-local" value={start} onInput={(e) => setStart((e.target as HTMLInputElement).value)} {...invalid("planned-start", call.v("plannedStartTime"))} />
        </Field>
        <Field id="planned-end" label="Planned end" error={call.v("plannedEndTime")}>
          <input id="planned-end" type="datetime-local" value={end} onInput={(e) => setEnd((e.target as HTMLInputElement).value)} {...invalid("planned-end", call.v("plannedEndTime"))} />
        </Field>
        <button type="submit" disabled={call.busy}>
          Create change
        </button>
      </form>
    </section>
  );
}
