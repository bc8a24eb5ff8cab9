// What the console lets a person fill in and do for each kind of record, from
// proto/itsm/incident/v1/incident.proto and docs/incident.md: the fields of a create and of an
// edit (UpdateXRequest's mask paths), and the transitions each state allows with what they
// need. Pure, so `node --test` checks it (tests/unit/record_forms.test.ts).
import type { RecordKind } from "./model";

export interface FieldSpec {
  // The JSON name ("catalogItem"); its mask path is the snake_case form ("catalog_item").
  name: string;
  label: string;
  // "list": a repeated string field, typed comma-separated; "select": one of `options`
  // ([value, label]; an empty value means "not set" and is not sent); "flag": a bool, Yes or No.
  type: "text" | "textarea" | "level" | "number" | "list" | "select" | "flag";
  options?: Array<[string, string]>;
}

const f = (name: string, label: string, type: FieldSpec["type"] = "text"): FieldSpec => ({ name, label, type });

// Create and edit offer the same fields (the create's required ones are said in the label).
export const FIELDS: Record<RecordKind, FieldSpec[]> = {
  incident: [
    f("title", "Title"),
    f("description", "Description", "textarea"),
    f("impact", "Impact", "level"),
    f("urgency", "Urgency", "level"),
    f("service", "Service"),
    f("category", "Category"),
    f("caller", "Caller"),
    f("majorIncident", "Major incident", "flag"),
  ],
  serviceRequest: [
    f("catalogItem", "Catalogue item (required)"),
    f("title", "Title"),
    f("description", "Description", "textarea"),
    f("requestedFor", "Requested for"),
    f("quantity", "Quantity", "number"),
    f("service", "Service"),
    f("impact", "Impact", "level"),
    f("urgency", "Urgency", "level"),
    f("assignmentGroup", "Assignment group"),
    f("assignee", "Assignee"),
  ],
  problem: [
    f("title", "Title (required)"),
    f("description", "Description", "textarea"),
    f("rootCause", "Root cause", "textarea"),
    f("workaround", "Workaround", "textarea"),
    f("service", "Service"),
    f("category", "Category"),
    f("impact", "Impact", "level"),
    f("urgency", "Urgency", "level"),
    f("assignmentGroup", "Assignment group"),
    f("assignee", "Assignee"),
  ],
};

// "a, b,,c " -> ["a", "b", "c"]: a list typed into one input.
export function listOf(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

export const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

// The form's text values as the API's JSON: numbers as numbers (an empty one, or an empty
// choice, left out, so the service applies its default), lists as arrays, text as given. A
// number that is none ("12-", "2e") is sent as typed, for the API to refuse naming the field:
// never dropped for the default.
export function toJson(fields: FieldSpec[], values: Record<string, string>): Record<string, string | number | boolean | string[]> {
  const out: Record<string, string | number | boolean | string[]> = {};
  for (const field of fields) {
    const value = values[field.name] ?? "";
    if (field.type === "level" || field.type === "number") {
      const text = value.trim();
      if (text !== "") out[field.name] = /^-?\d+$/.test(text) ? Number(text) : text;
    } else if (field.type === "select") {
      if (value !== "") out[field.name] = value;
    } else if (field.type === "flag") {
      out[field.name] = value === "true";
    } else if (field.type === "list") {
      out[field.name] = listOf(value);
    } else {
      out[field.name] = value;
    }
  }
  return out;
}

// An edit: the fields that differ from the record, as the PATCH body (with the version read)
// and its update_mask. Null when nothing changed.
export function editOf(
  fields: FieldSpec[],
  record: Record<string, unknown>,
  values: Record<string, string>,
): { body: Record<string, unknown>; mask: string } | null {
  const json = toJson(fields, values);
  const unset = (field: FieldSpec) => (field.type === "level" || field.type === "number" ? 0 : field.type === "flag" ? false : "");
  const changed = fields.filter((field) => field.name in json && String(json[field.name]) !== String(record[field.name] ?? unset(field)));
  if (changed.length === 0) return null;
  const body: Record<string, unknown> = { version: record.version };
  for (const field of changed) body[field.name] = json[field.name];
  return { body, mask: changed.map((field) => snake(field.name)).join(",") };
}

export interface TransitionSpec {
  target: string;
  label: string;
  // What the call needs beside the target: a reason (service requests, a problem's cancel), a
  // resolution (problems).
  needs?: "reason" | "resolution";
}

const t = (target: string, label: string, needs?: TransitionSpec["needs"]): TransitionSpec => ({ target, label, needs });
const SR = (s: string) => `SERVICE_REQUEST_STATE_${s}`;
const PRB = (s: string) => `PROBLEM_STATE_${s}`;

// The state machines of service requests and problems (docs/incident.md); incidents have their
// own view (views/record.tsx).
export const TRANSITIONS: Record<string, TransitionSpec[]> = {
  [SR("SUBMITTED")]: [t(SR("APPROVED"), "Approve", "reason"), t(SR("REJECTED"), "Reject", "reason"), t(SR("CANCELLED"), "Cancel request", "reason")],
  [SR("APPROVED")]: [t(SR("FULFILLING"), "Start fulfilment"), t(SR("CANCELLED"), "Cancel request", "reason")],
  [SR("FULFILLING")]: [t(SR("FULFILLED"), "Fulfil", "reason"), t(SR("CANCELLED"), "Cancel request", "reason")],
  [SR("FULFILLED")]: [t(SR("CLOSED"), "Close")],
  [SR("REJECTED")]: [t(SR("CLOSED"), "Close")],
  [PRB("NEW")]: [t(PRB("UNDER_INVESTIGATION"), "Start investigation"), t(PRB("CANCELLED"), "Cancel problem", "reason")],
  [PRB("UNDER_INVESTIGATION")]: [t(PRB("KNOWN_ERROR"), "Publish as known error"), t(PRB("RESOLVED"), "Resolve", "resolution"), t(PRB("CANCELLED"), "Cancel problem", "reason")],
  [PRB("KNOWN_ERROR")]: [t(PRB("RESOLVED"), "Resolve", "resolution")],
  [PRB("RESOLVED")]: [t(PRB("CLOSED"), "Close")],
};

export function transitionsFrom(state: string | undefined): TransitionSpec[] {
  return TRANSITIONS[state ?? ""] ?? [];
}
