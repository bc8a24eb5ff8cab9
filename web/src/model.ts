// The REST shapes the console reads (proto3 JSON of proto/itsm/incident/v1/incident.proto and
// proto/itsm/common/v1/common.proto): enums as their names, int64 as strings, times RFC 3339.

export type IncidentState =
  | "INCIDENT_STATE_NEW"
  | "INCIDENT_STATE_ASSIGNED"
  | "INCIDENT_STATE_IN_PROGRESS"
  | "INCIDENT_STATE_ON_HOLD"
  | "INCIDENT_STATE_RESOLVED"
  | "INCIDENT_STATE_CLOSED"
  | "INCIDENT_STATE_CANCELLED";

export type Priority = "PRIORITY_P1" | "PRIORITY_P2" | "PRIORITY_P3" | "PRIORITY_P4" | "PRIORITY_P5";

export type RecordKind = "incident" | "serviceRequest" | "problem";

// What the queue shows of any kind of record: the fields incidents, service requests and
// problems share, and the kind the console tags it with when it reads it (the JSON has none).
export interface WorkRecord {
  id: string;
  kind?: RecordKind;
  number?: string;
  title?: string;
  description?: string;
  service?: string;
  impact?: number;
  urgency?: number;
  priority?: Priority;
  state?: string;
  assignmentGroup?: string;
  assignee?: string;
  createdBy?: string;
  createTime?: string;
  updateTime?: string;
  // int64: a string in proto3 JSON.
  version?: string;
  // Why it was withdrawn, once CANCELLED.
  cancelReason?: string;
}

export interface ServiceRequest extends WorkRecord {
  catalogItem?: string;
  requestedFor?: string;
  quantity?: number;
  approver?: string;
  decisionReason?: string;
  fulfillmentNotes?: string;
}

export interface Problem extends WorkRecord {
  configurationItemIds?: string[];
  rootCause?: string;
  workaround?: string;
  category?: string;
  resolutionCode?: string;
  resolutionNotes?: string;
}

export interface Incident extends WorkRecord {
  id: string;
  kind?: RecordKind;
  number?: string;
  title?: string;
  description?: string;
  caller?: string;
  service?: string;
  category?: string;
  impact?: number;
  urgency?: number;
  priority?: Priority;
  state?: IncidentState;
  assignmentGroup?: string;
  assignee?: string;
  createdBy?: string;
  createTime?: string;
  updateTime?: string;
  resolveTime?: string;
  // int64: a string in proto3 JSON.
  version?: string;
  holdReason?: string;
  resolutionCode?: string;
  resolutionNotes?: string;
  reopenCount?: number;
  majorIncident?: boolean;
  parentIncidentId?: string;
  firstResponseTime?: string;
  closeTime?: string;
  configurationItemIds?: string[];
  problemId?: string;
  changeIds?: string[];
}

export interface FieldChange {
  field?: string;
  oldValue?: string;
  newValue?: string;
}

export interface AuditEntry {
  version?: string;
  actor?: string;
  time?: string;
  action?: string;
  changes?: FieldChange[];
}

// A work note or comment (IncidentNote and RecordNote in the API: the same fields).
export interface RecordNote {
  id: string;
  author?: string;
  createTime?: string;
  visibility?: string;
  text?: string;
}

export interface SlaClock {
  clockId: string;
  slaDefinitionName?: string;
  clockKind?: string;
  state?: string;
  breached?: boolean;
  dueTime?: string;
  remaining?: string;
}

export const PRIORITIES: Priority[] = ["PRIORITY_P1", "PRIORITY_P2", "PRIORITY_P3", "PRIORITY_P4", "PRIORITY_P5"];

// "INCIDENT_STATE_IN_PROGRESS" -> "In progress", "PROBLEM_STATE_KNOWN_ERROR" -> "Known error",
// "PRIORITY_P1" -> "P1".
export function stateLabel(state: string | undefined): string {
  if (!state) return "—";
  const words = state.replace(/^(INCIDENT|SERVICE_REQUEST|PROBLEM)_STATE_/, "").toLowerCase().replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
export function priorityLabel(priority: string | undefined): string {
  return priority ? priority.replace(/^PRIORITY_/, "") : "—";
}
