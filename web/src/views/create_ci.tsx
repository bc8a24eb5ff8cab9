// A new configuration item (CreateConfigurationItem): its class, chosen from ListClasses (the
// concrete ones: an abstract class has no CIs of its own), then its fields and the attributes
// that class defines, inherited ones first. The API's violations are shown beside the fields
// they name, an attribute's too ("attributes.port").
import { useState } from "preact/hooks";
import type { Api } from "../api";
import { attributeField, attributesOf, CI_FIELDS } from "../ci_forms";
import type { AttributeDefinition, ConfigurationItem } from "../cmdb";
import { toJson } from "../record_forms";
import { useApiCall } from "./api_call";
import { Field, invalid } from "./field";
import { ErrorText, useRead } from "./read";
import { FieldInputs } from "./record_form";

interface CiClass {
  name: string;
  displayName?: string;
  abstract?: boolean;
  effectiveAttributes?: AttributeDefinition[];
}

export function CreateCi({ api }: { api: Api }) {
  const classes = useRead(() => api.get<{ classes?: CiClass[] }>("/v1/classes?page.page_size=500").then((r) => (r.classes ?? []).filter((c) => !c.abstract)), []);
  const [className, setClassName] = useState("");
  const [values, setValues] = useState<Record<string, string>>({});
  const [attributes, setAttributes] = useState<Record<string, string>>({});
  const call = useApiCall();
  const defs = (classes.data ?? []).find((c) => c.name === className)?.effectiveAttributes ?? [];
  const submit = async (e: Event) => {
    e.preventDefault();
    const body = { className, ...toJson(CI_FIELDS, values), attributes: attributesOf(defs, attributes) };
    const r = await call.run(() => api.post<{ configurationItem: ConfigurationItem }>("/v1/configurationItems", body));
    if (r) location.hash = `#/cis/${encodeURIComponent(r.configurationItem.id)}`;
  };
  return (
    <section aria-labelledby="create-title">
      <p class="help">
        <a href="#/cmdb">← Configuration items</a>
      </p>
      <h1 id="create-title" tabIndex={-1}>
        New configuration item
      </h1>
      <ErrorText error={classes.error} />
      <form onSubmit={submit} noValidate class="record-form">
        {call.error && (
          <p class="error" role="alert">
            {call.error}
          </p>
        )}
        <Field id="ci-class" label="Class (required)" error={call.v("className")}>
          <select id="ci-class" value={className} onChange={(e) => setClassName((e.target as HTMLSelectElement).value)} {...invalid("ci-class", call.v("className"))}>
            <option value="">—</option>
            {(classes.data ?? []).map((c) => (
              <option key={c.name} value={c.name}>
                {c.displayName || c.name}
              </option>
            ))}
          </select>
        </Field>
        <FieldInputs prefix="ci-" fields={CI_FIELDS} values={values} set={(n, v) => setValues({ ...values, [n]: v })} violations={call.violations} />
        {defs.length > 0 && (
          <fieldset>
            <legend>Attributes of {className}</legend>
            <FieldInputs prefix="attr-" fields={defs.map(attributeField)} values={attributes} set={(n, v) => setAttributes({ ...attributes, [n]: v })} violations={call.violations} />
          </fieldset>
        )}
        <button type="submit" disabled={call.busy}>
          Create configuration item
        </button>
      </form>
    </section>
  );
}
