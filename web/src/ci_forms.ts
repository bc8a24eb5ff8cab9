// The fields of a configuration item's create and edit forms (UpdateConfigurationItemRequest's
// mask paths), its class's attributes as inputs, and an edit of them as the API takes it: each
// attribute changed is its own mask path ("attributes.port"), so an edit never replaces the
// attributes someone else set meanwhile. Pure: tests/unit/ci_forms.test.ts.
import type { AttributeDefinition } from "./cmdb";
import { LIFECYCLE_STATUSES, RELATIONSHIP_TYPES } from "./cmdb";
import { enumLabel } from "./labels";
import { editOf, type FieldSpec } from "./record_forms";

const choices = (values: string[], prefix: string): Array<[string, string]> => [["", "—"], ...values.map((v): [string, string] => [v, enumLabel(v, prefix)])];

export const CRITICALITIES = ["BUSINESS_CRITICALITY_LOW", "BUSINESS_CRITICALITY_MEDIUM", "BUSINESS_CRITICALITY_HIGH", "BUSINESS_CRITICALITY_CRITICAL"];

export const CI_FIELDS: FieldSpec[] = [
  { name: "name", label: "Name (required, unique in its class)", type: "text" },
  { name: "status", label: "Status", type: "select", options: choices(LIFECYCLE_STATUSES, "LIFECYCLE_STATUS") },
  { name: "businessCriticality", label: "Business criticality", type: "select", options: choices(CRITICALITIES, "BUSINESS_CRITICALITY") },
  { name: "ownerGroup", label: "Owner group", type: "text" },
  { name: "description", label: "Description", type: "textarea" },
];

export const RELATIONSHIP_TYPE_CHOICES: Array<[string, string]> = RELATIONSHIP_TYPES.map((v) => [v, enumLabel(v, "RELATIONSHIP_TYPE").toLowerCase()]);

// An attribute as a form field: an enum or a bool is a choice, the rest typed text (the service
// checks ints, dates and references and names the attribute when one is wrong). The field's name
// is the attribute's, as the API's violations name it ("attributes.port" -> "port").
export function attributeField(def: AttributeDefinition): FieldSpec {
  const type = def.type?.replace(/^ATTRIBUTE_TYPE_/, "").toLowerCase() ?? "string";
  const hint = type === "date" ? "YYYY-MM-DD" : type === "reference" ? `a CI's class/name${def.referenceClass ? ` of ${def.referenceClass}` : ""}` : type === "int" ? "a whole number" : "";
  const notes = [def.required ? "required" : "", hint].filter((n) => n !== "");
  const label = notes.length ? `${def.name} (${notes.join(", ")})` : def.name;
  if (type === "enum") return { name: def.name, label, type: "select", options: [["", "—"], ...(def.enumValues ?? []).map((v): [string, string] => [v, v])] };
  if (type === "bool") return { name: def.name, label, type: "select", options: [["", "—"], ["true", "true"], ["false", "false"]] };
  return { name: def.name, label, type: "text" };
}

// The attributes of a create: those given (an empty one is not set).
export function attributesOf(defs: AttributeDefinition[], values: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of defs) {
    const v = (values[d.name] ?? "").trim();
    if (v !== "") out[d.name] = v;
  }
  return out;
}

// An edit of a CI: its fields that differ (as editOf finds them) and each attribute that differs
// as "attributes.<name>" (an emptied one is removed: the API removes an attribute named in the
// mask and absent from the body). Null when nothing changed.
export function ciEdit(
  ci: Record<string, unknown> & { attributes?: Record<string, string> },
  values: Record<string, string>,
  defs: AttributeDefinition[],
  attributeValues: Record<string, string>,
): { body: Record<string, unknown>; mask: string } | null {
  const fields = editOf(CI_FIELDS, ci, values);
  const body: Record<string, unknown> = fields?.body ?? { version: ci.version };
  const mask = fields ? fields.mask.split(",") : [];
  const current = ci.attributes ?? {};
  const attributes: Record<string, string> = {};
  for (const d of defs) {
    const v = (attributeValues[d.name] ?? "").trim();
    if (v === (current[d.name] ?? "")) continue;
    mask.push(`attributes.${d.name}`);
    if (v !== "") attributes[d.name] = v;
  }
  if (mask.length === 0) return null;
  if (mask.some((m) => m.startsWith("attributes."))) body.attributes = attributes;
  return { body, mask: mask.join(",") };
}
