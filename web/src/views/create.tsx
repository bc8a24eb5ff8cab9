// A new incident. Validation is the API's: its field violations are shown beside the fields.
import { useState } from "preact/hooks";
import type { Api } from "../api";
import { useApiCall } from "./api_call";
import type { Incident } from "../model";
import { KindLinks } from "./create_record";
import { Field, invalid } from "./field";

const LEVELS = [
  ["1", "1 – high"],
  ["2", "2 – medium"],
  ["3", "3 – low"],
];

export function CreateIncident({ api, merge }: { api: Api; merge: (incidents: Incident[]) => void }) {
  const [form, setForm] = useState({ title: "", description: "", impact: "3", urgency: "3", service: "", category: "", assignmentGroup: "", assignee: "" });
  const { error, busy, run, v } = useApiCall();
  const set = (field: keyof typeof form) => (e: Event) => setForm({ ...form, [field]: (e.target as HTMLInputElement).value });

  const submit = async (e: Event) => {
    e.preventDefault();
    const r = await run(() => api.post<{ incident: Incident }>("/v1/incidents", { ...form, impact: Number(form.impact), urgency: Number(form.urgency) }));
    if (!r) return;
    merge([r.incident]);
    location.hash = `#/incidents/${encodeURIComponent(r.incident.id)}`;
  };
  return (
    <section aria-labelledby="create-title">
      <h1 id="create-title" tabIndex={-1}>
        New incident
      </h1>
      <KindLinks current="incident" />
      <form onSubmit={submit} noValidate class="record-form">
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <Field id="title" label="Title (required)" error={v("title")}>
          <input id="title" value={form.title} onInput={set("title")} {...invalid("title", v("title"))} />
        </Field>
        <Field id="description" label="Description" error={v("description")}>
          <textarea id="description" rows={4} value={form.description} onInput={set("description")} {...invalid("description", v("description"))} />
        </Field>
        <Field id="impact" label="Impact" error={v("impact")}>
          <select id="impact" value={form.impact} onChange={set("impact")} {...invalid("impact", v("impact"))}>
            {LEVELS.map(([value, text]) => (
              <option value={value}>{text}</option>
            ))}
          </select>
        </Field>
        <Field id="urgency" label="Urgency" error={v("urgency")}>
          <select id="urgency" value={form.urgency} onChange={set("urgency")} {...invalid("urgency", v("urgency"))}>
            {LEVELS.map(([value, text]) => (
              <option value={value}>{text}</option>
            ))}
          </select>
        </Field>
        <Field id="service" label="Service" error={v("service")}>
          <input id="service" value={form.service} onInput={set("service")} {...invalid("service", v("service"))} />
        </Field>
        <Field id="category" label="Category" error={v("category")}>
          <input id="category" value={form.category} onInput={set("category")} {...invalid("category", v("category"))} />
        </Field>
        <Field id="assignmentGroup" label="Assignment group" error={v("assignmentGroup")}>
          <input id="assignmentGroup" value={form.assignmentGroup} onInput={set("assignmentGroup")} {...invalid("assignmentGroup", v("assignmentGroup"))} />
        </Field>
        <Field id="assignee" label="Assignee" error={v("assignee")}>
          <input id="assignee" value={form.assignee} onInput={set("assignee")} {...invalid("assignee", v("assignee"))} />
        </Field>
        <button type="submit" disabled={busy}>
          Create incident
        </button>
      </form>
    </section>
  );
}
