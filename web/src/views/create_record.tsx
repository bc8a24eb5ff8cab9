// A new service request or problem (incidents: create.tsx). Validation is the API's: its field
// violations are shown beside the fields they name.
import { useState } from "preact/hooks";
import type { Api } from "../api";
import { useApiCall } from "./api_call";
import { KINDS, recordHref } from "../kinds";
import type { RecordKind, WorkRecord } from "../model";
import { FIELDS, toJson } from "../record_forms";
import { FieldInputs } from "./record_form";

// Links between the three create forms: which kind of record to create.
export function KindLinks({ current }: { current: RecordKind }) {
  return (
    <nav aria-label="Kind of record" class="kind-links">
      {(["incident", "serviceRequest", "problem"] as RecordKind[]).map((k) => (
        <a key={k} href={k === "incident" ? "#/new" : `#/new/${k}`} aria-current={k === current ? "page" : undefined}>
          {KINDS[k].singular}
        </a>
      ))}
    </nav>
  );
}

export function CreateRecord({ api, kind, merge }: { api: Api; kind: RecordKind; merge: (records: WorkRecord[]) => void }) {
  const info = KINDS[kind];
  const fields = FIELDS[kind];
  const [values, setValues] = useState<Record<string, string>>({});
  const { error, violations, busy, run } = useApiCall();
  const submit = async (e: Event) => {
    e.preventDefault();
    const r = await run(() => api.post<Record<string, WorkRecord>>(`/v1/${info.collection}`, toJson(fields, values)));
    if (!r) return;
    const created = { ...r[info.itemKey], kind };
    merge([created]);
    location.hash = recordHref(kind, created.id);
  };
  return (
    <section aria-labelledby="create-title">
      <h1 id="create-title" tabIndex={-1}>
        New {info.singular.toLowerCase()}
      </h1>
      <KindLinks current={kind} />
      <form onSubmit={submit} noValidate class="record-form">
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <FieldInputs prefix="" fields={fields} values={values} set={(n, v) => setValues({ ...values, [n]: v })} violations={violations} />
        <button type="submit" disabled={busy}>
          Create {info.singular.toLowerCase()}
        </button>
      </form>
    </section>
  );
}
