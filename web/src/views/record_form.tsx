// Inputs for a list of fields (record_forms.ts), each labelled and tied to the API's field
// violation for it; and the edit form every kind of record shares (PATCH with update_mask,
// the version read in the body: a record changed meanwhile is refused, 409).
import { useEffect, useState } from "preact/hooks";
import { ApiError, violationFor, type Api } from "../api";
import { KINDS } from "../kinds";
import type { WorkRecord } from "../model";
import { editOf, FIELDS, type FieldSpec } from "../record_forms";
import { Field, invalid } from "./field";

const LEVELS = [
  ["", "—"],
  ["1", "1 – high"],
  ["2", "2 – medium"],
  ["3", "3 – low"],
];

export function FieldInputs({
  prefix,
  fields,
  values,
  set,
  violations,
}: {
  prefix: string;
  fields: FieldSpec[];
  values: Record<string, string>;
  set: (name: string, value: string) => void;
  violations: Record<string, string>;
}) {
  return (
    <>
      {fields.map((field) => {
        const id = `${prefix}${field.name}`;
        const error = violationFor(violations, field.name);
        const onInput = (e: Event) => set(field.name, (e.target as HTMLInputElement).value);
        const value = values[field.name] ?? "";
        return (
          <Field key={field.name} id={id} label={field.label} error={error}>
            {field.type === "textarea" ? (
              <textarea id={id} rows={3} value={value} onInput={onInput} {...invalid(id, error)} />
            ) : field.type === "level" ? (
              <select id={id} value={value} onChange={onInput} {...invalid(id, error)}>
                {LEVELS.map(([v, text]) => (
                  <option value={v}>{text}</option>
                ))}
              </select>
            ) : field.type === "flag" ? (
              <select id={id} value={value === "true" ? "true" : "false"} onChange={onInput} {...invalid(id, error)}>
                <option value="false">No</option>
                <option value="true">Yes</option>
              </select>
            ) : field.type === "select" ? (
              <select id={id} value={value} onChange={onInput} {...invalid(id, error)}>
                {(field.options ?? []).map(([v, text]) => (
                  <option value={v}>{text}</option>
                ))}
              </select>
            ) : (
              // A number as text (inputmode numeric): a browser's number input hides what does not
              // parse as "", which would be sent as no value at all.
              <input id={id} type="text" inputMode={field.type === "number" ? "numeric" : undefined} value={value} onInput={onInput} {...invalid(id, error)} />
            )}
          </Field>
        );
      })}
    </>
  );
}

// The record's current values as the form's text.
export function valuesOf(fields: FieldSpec[], record: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const field of fields) {
    const v = record[field.name];
    values[field.name] =
      v === undefined || v === null || ((field.type === "level" || field.type === "number") && Number(v) === 0) ? "" : Array.isArray(v) ? v.join(", ") : String(v);
  }
  return values;
}

export function EditForm({ api, record, merge }: { api: Api; record: WorkRecord; merge: (r: WorkRecord[]) => void }) {
  const kind = record.kind ?? "incident";
  const info = KINDS[kind];
  const fields = FIELDS[kind];
  // The record as the form was filled from: the edit is what differs from it, sent with its
  // version — a change by someone else since is refused (409), never silently overwritten.
  const [base, setBase] = useState(record as unknown as Record<string, unknown>);
  const [values, setValues] = useState(() => valuesOf(fields, base));
  const dirty = editOf(fields, base, values) !== null;
  useEffect(() => {
    // A newer version (an event, or our own save) refills a form without unsaved edits.
    if (dirty) return;
    setBase(record as unknown as Record<string, unknown>);
    setValues(valuesOf(fields, record as unknown as Record<string, unknown>));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [record.version]);
  const [violations, setViolations] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setViolations({});
    // Someone changed the record since the form was filled (the page shows it): the form's
    // values stay, but what they change is now judged against the record as it is — never
    // "Nothing changed." for a value that differs from it, and never a save refused forever.
    const current = record as unknown as Record<string, unknown>;
    if (String(current.version) !== String(base.version)) {
      // What the user did not touch follows the record; what they typed stays.
      const was = valuesOf(fields, base);
      const now = valuesOf(fields, current);
      setValues(Object.fromEntries(fields.map((f) => [f.name, values[f.name] === was[f.name] ? now[f.name] : values[f.name]])));
      setBase(current);
      setMessage({ error: true, text: "Changed by someone else since you began: what you typed is kept, the rest now shows the record as it is. Check and save again." });
      return;
    }
    const edit = editOf(fields, base, values);
    if (!edit) {
      setMessage({ error: false, text: "Nothing changed." });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      const r = await api.patch<Record<string, WorkRecord>>(`/v1/${info.collection}/${encodeURIComponent(record.id)}?update_mask=${edit.mask}`, edit.body);
      const saved = { ...r[info.itemKey], kind };
      setBase(saved as unknown as Record<string, unknown>);
      setValues(valuesOf(fields, saved as unknown as Record<string, unknown>));
      merge([saved]);
      setMessage({ error: false, text: "Saved." });
    } catch (err) {
      setMessage({ error: true, text: err instanceof Error ? err.message : String(err) });
      if (err instanceof ApiError) setViolations(err.violations);
    } finally {
      setBusy(false);
    }
  };
  return (
    <details class="edit">
      <summary>Edit fields</summary>
      <form aria-label={`Edit the ${info.singular.toLowerCase()}`} onSubmit={submit} noValidate class="record-form">
        {message && (
          <p class={message.error ? "error" : "help"} role={message.error ? "alert" : "status"}>
            {message.text}
          </p>
        )}
        <FieldInputs prefix="edit-" fields={fields} values={values} set={(n, v) => setValues({ ...values, [n]: v })} violations={violations} />
        <button type="submit" disabled={busy}>
          Save changes
        </button>
      </form>
    </details>
  );
}
