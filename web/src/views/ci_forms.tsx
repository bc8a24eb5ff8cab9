// The writes of a CI's page, for the roles that may make them (access.ts): its fields and
// attributes (UpdateConfigurationItem, the version read, one mask path per attribute), a
// relationship to another CI (CreateRelationship) or away (DeleteRelationship), and a baseline
// of it and what it depends on (CreateBaseline). `done` reads the page again.
import { useState } from "preact/hooks";
import type { Api } from "../api";
import { attributeField, ciEdit, CI_FIELDS, RELATIONSHIP_TYPE_CHOICES } from "../ci_forms";
import type { AttributeDefinition, ConfigurationItem, Relationship } from "../cmdb";
import { useApiCall } from "./api_call";
import { Field, invalid } from "./field";
import { FieldInputs, valuesOf } from "./record_form";

function Alert({ error }: { error: string }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}

const attributeValues = (ci: ConfigurationItem, defs: AttributeDefinition[]) => Object.fromEntries(defs.map((d) => [d.name, ci.attributes?.[d.name] ?? ""]));

export function CiEdit({ api, ci, defs, done }: { api: Api; ci: ConfigurationItem; defs: AttributeDefinition[]; done: () => void }) {
  const base = ci as unknown as Record<string, unknown>;
  const [values, setValues] = useState(() => valuesOf(CI_FIELDS, base));
  const [attributes, setAttributes] = useState(() => attributeValues(ci, defs));
  const [note, setNote] = useState("");
  const call = useApiCall(ci.version);
  const submit = async (e: Event) => {
    e.preventDefault();
    setNote("");
    // The schema may arrive after the form was filled: attributes not in the form yet keep their value.
    const edit = ciEdit({ ...base, attributes: ci.attributes }, values, defs, { ...attributeValues(ci, defs), ...attributes });
    if (!edit) {
      setNote("Nothing changed.");
      return;
    }
    if (await call.run(() => api.patch(`/v1/configurationItems/${encodeURIComponent(ci.id)}?update_mask=${edit.mask}`, edit.body))) done();
  };
  return (
    <details class="edit">
      <summary>Edit fields and attributes</summary>
      <form aria-label="Edit the configuration item" onSubmit={submit} noValidate class="record-form">
        <Alert error={call.error} />
        {note && (
          <p class="help" role="status">
            {note}
          </p>
        )}
        <FieldInputs prefix="edit-" fields={CI_FIELDS} values={values} set={(n, v) => setValues({ ...values, [n]: v })} violations={call.violations} />
        {defs.length > 0 && (
          <fieldset>
            <legend>Attributes of {ci.className}</legend>
            <FieldInputs prefix="edit-attr-" fields={defs.map(attributeField)} values={{ ...attributeValues(ci, defs), ...attributes }} set={(n, v) => setAttributes({ ...attributes, [n]: v })} violations={call.violations} />
          </fieldset>
        )}
        <button type="submit" disabled={call.busy}>
          Save changes
        </button>
      </form>
    </details>
  );
}

export function RelationshipAdd({ api, ci, done }: { api: Api; ci: ConfigurationItem; done: () => void }) {
  const [outgoing, setOutgoing] = useState(true);
  const [type, setType] = useState(RELATIONSHIP_TYPE_CHOICES[0][0]);
  const [other, setOther] = useState("");
  const [description, setDescription] = useState("");
  const call = useApiCall();
  const submit = async (e: Event) => {
    e.preventDefault();
    const body = outgoing ? { sourceId: ci.id, targetId: other.trim(), type, description } : { sourceId: other.trim(), targetId: ci.id, type, description };
    if (!(await call.run(() => api.post("/v1/relationships", body)))) return;
    setOther("");
    setDescription("");
    done();
  };
  const otherError = call.v(outgoing ? "targetId" : "sourceId");
  return (
    <details class="edit">
      <summary>Add a relationship</summary>
      <form aria-label="Add a relationship" onSubmit={submit} noValidate class="record-form">
        <Alert error={call.error} />
        <Field id="rel-direction" label="Which way">
          <select id="rel-direction" value={outgoing ? "out" : "in"} onChange={(e) => setOutgoing((e.target as HTMLSelectElement).value === "out")}>
            <option value="out">{ci.name} → the other CI</option>
            <option value="in">the other CI → {ci.name}</option>
          </select>
        </Field>
        <Field id="rel-type" label="Relationship" error={call.v("type")}>
          <select id="rel-type" value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)} {...invalid("rel-type", call.v("type"))}>
            {RELATIONSHIP_TYPE_CHOICES.map(([v, label]) => (
              <option key={v} value={v}>
                {label}
              </option>
            ))}
          </select>
        </Field>
        <Field id="rel-other" label="Other CI (class/name or id)" error={otherError}>
          <input id="rel-other" value={other} onInput={(e) => setOther((e.target as HTMLInputElement).value)} {...invalid("rel-other", otherError)} />
        </Field>
        <Field id="rel-description" label="Description" error={call.v("description")}>
          <input id="rel-description" value={description} onInput={(e) => setDescription((e.target as HTMLInputElement).value)} {...invalid("rel-description", call.v("description"))} />
        </Field>
        <button type="submit" disabled={call.busy}>
          Add the relationship
        </button>
      </form>
    </details>
  );
}

// One relationship's delete button; its error beside it.
export function RelationshipDelete({ api, relationship, label, done }: { api: Api; relationship: Relationship; label: string; done: () => void }) {
  const call = useApiCall();
  const remove = async () => {
    if (await call.run(() => api.delete(`/v1/relationships/${encodeURIComponent(relationship.id)}`))) done();
  };
  return (
    <>
      <button type="button" class="secondary" disabled={call.busy} aria-label={`Delete: ${label}`} onClick={() => void remove()}>
        Delete
      </button>
      <Alert error={call.error} />
    </>
  );
}

export function BaselineCreate({ api, ci }: { api: Api; ci: ConfigurationItem }) {
  const [name, setName] = useState("");
  const [depth, setDepth] = useState("6");
  const [description, setDescription] = useState("");
  const [created, setCreated] = useState("");
  const call = useApiCall();
  const submit = async (e: Event) => {
    e.preventDefault();
    setCreated("");
    const r = await call.run(() => api.post<{ baseline: { name: string } }>("/v1/baselines", { name, description, rootCiId: ci.id, rootDepth: Number(depth) }));
    if (r) setCreated(r.baseline.name);
  };
  return (
    <details class="edit">
      <summary>Create a baseline</summary>
      <form aria-label="Create a baseline" onSubmit={submit} noValidate class="record-form">
        <p class="help">A snapshot of {ci.name} and what it depends on, to compare the CMDB with later.</p>
        <Alert error={call.error} />
        {created && (
          <p role="status">
            Baseline <a href={`#/baselines/${encodeURIComponent(created)}`}>{created}</a> created.
          </p>
        )}
        <Field id="baseline-name" label="Name (required, unique)" error={call.v("name")}>
          <input id="baseline-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} {...invalid("baseline-name", call.v("name"))} />
        </Field>
        <Field id="baseline-depth" label="Relationships followed upstream" error={call.v("rootDepth")}>
          <select id="baseline-depth" value={depth} onChange={(e) => setDepth((e.target as HTMLSelectElement).value)} {...invalid("baseline-depth", call.v("rootDepth"))}>
            {Array.from({ length: 12 }, (_, i) => String(i + 1)).map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </Field>
        <Field id="baseline-description" label="Description" error={call.v("description")}>
          <textarea id="baseline-description" rows={2} value={description} onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)} {...invalid("baseline-description", call.v("description"))} />
        </Field>
        <button type="submit" disabled={call.busy}>
          Create the baseline
        </button>
      </form>
    </details>
  );
}
