// An audit entry's field and values as people read them. The services keep them as text for
// every kind of record alike (records' DiffFields): a field's proto name, enum values by their
// proto names, times in RFC 3339 UTC, lists as JSON arrays. A history that reads
// "INCIDENT_STATE_IN_PROGRESS" at "2026-12-08T09:05:00Z" makes every reader translate, and the
// time is in no one's zone; the raw text stays in the cell's title for those who need it.
import { enumLabel } from "./labels";
import { formatTime } from "./time";

// The suite's enum types, as the prefix their values carry (buf style); the longest that
// matches is cut. A value of an enum not listed reads as stored.
const ENUM_PREFIXES = [
  "AGREEMENT_KIND", "ALERT_OUTCOME", "API_KEY_STATE", "APPROVAL_DECISION", "APPROVAL_OUTCOME",
  "APPROVAL_RULE", "ATTRIBUTE_TYPE", "BUSINESS_CRITICALITY", "BUSINESS_DAY_RULE",
  "CHANGE_OUTCOME", "CHANGE_STATE", "CHANGE_TYPE", "CLOCK_KIND", "CLOCK_STAGE", "CONDITION_FIELD",
  "CONDITION_OPERATOR", "CONFLICT_KIND", "CONTACT_ROLE", "CONTRACT_STATE", "CONTRACT_TYPE",
  "DEADLINE_KIND", "DELIVERY_STATE", "DEPLOYMENT_OUTCOME", "DEPLOYMENT_STATE", "DRIFT_KIND",
  "HOLD_REASON", "IMPACT_DIRECTION", "IMPORT_OUTCOME", "INCIDENT_ORDER", "INCIDENT_STATE",
  "LIFECYCLE_STATUS", "MEASURE_FROM", "NOTE_VISIBILITY", "PAYMENT_SCHEDULE", "PRIORITY",
  "PROBLEM_STATE", "RECORD_KIND", "RELATIONSHIP_TYPE", "RELEASE_KIND", "RELEASE_STATE",
  "RENEWAL_KIND", "REPORT_DIMENSION", "REPORT_PERIOD", "RISK_LEVEL", "RISK_RATING", "ROLE",
  "SERVICE_REQUEST_STATE", "SUBJECT_TYPE", "SUPPLIER_STATUS", "TASK_STATE", "TIME_ZONE_SOURCE",
  "WEEKDAY", "WINDOW_KIND",
].sort((a, b) => b.length - a.length);

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const ENUM_NAME = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/;

// "assignment_group" -> "Assignment group".
export function fieldLabel(field: string | undefined): string {
  if (!field) return "";
  const words = field.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// Whether `prefix`'s enum is the type of `field`: the suite's enums are named for what they are
// ("state": INCIDENT_STATE, "hold_reason": HOLD_REASON, "roles": ROLE). A title or category whose
// text happens to be an enum value's name is text, and reads as typed.
function enumOfField(prefix: string, field: string | undefined): boolean {
  if (!field) return false;
  const name = field.toUpperCase();
  // A list's field is the plural: "roles", "statuses".
  return [name, name.replace(/S$/, ""), name.replace(/ES$/, "")].some((f) => prefix === f || prefix.endsWith(`_${f}`));
}

function one(text: string, field: string | undefined, zone?: string): string {
  if (RFC3339_UTC.test(text)) return formatTime(text, zone);
  if (ENUM_NAME.test(text)) {
    const prefix = ENUM_PREFIXES.find((p) => text.startsWith(`${p}_`));
    if (prefix && enumOfField(prefix, field)) return enumLabel(text, prefix);
  }
  return text;
}

// A stored value of `field` as shown: a time in the reader's zone, a value of the field's enum
// in words, a list of either joined by commas; anything else (text, numbers, a nested record's
// JSON) as stored.
export function historyValue(text: string | undefined, field?: string, zone?: string): string {
  if (!text) return "";
  if (text.startsWith("[") && text.endsWith("]")) {
    try {
      const items: unknown = JSON.parse(text);
      if (Array.isArray(items) && items.every((i) => typeof i === "string" || typeof i === "number")) {
        return items.map((i) => one(String(i), field, zone)).join(", ");
      }
    } catch {
      // Not JSON after all: text that happens to be bracketed.
    }
    return text;
  }
  return one(text, field, zone);
}
