// The three kinds of record the queue and the record view work (proto/itsm/incident/v1/
// incident.proto): where each lives in the REST API, its states, which of them an agent still
// works, and what its list call can filter on the server (the rest is filtered in the browser).
import type { RecordKind } from "./model";

export interface KindInfo {
  kind: RecordKind;
  // "Incidents", "Incident", "incident": for headings, buttons and messages.
  plural: string;
  singular: string;
  // The REST collection (/v1/<collection>) and the answer's keys for a list and for one record.
  collection: string;
  listKey: string;
  itemKey: string;
  states: string[];
  openStates: string[];
  // The states no action leaves.
  finalStates: string[];
  // What ListXRequest filters and orders by itself (ListServiceRequests and ListProblems have
  // no priority, assignee or order; the browser filters and sorts those).
  server: { priorities: boolean; assignee: boolean; assignmentGroup: boolean; order: boolean };
  // The SLA service runs clocks for incidents and service requests, never for problems.
  hasSla: boolean;
}

export const KINDS: Record<RecordKind, KindInfo> = {
  incident: {
    kind: "incident",
    plural: "Incidents",
    singular: "Incident",
    collection: "incidents",
    listKey: "incidents",
    itemKey: "incident",
    states: [
      "INCIDENT_STATE_NEW",
      "INCIDENT_STATE_ASSIGNED",
      "INCIDENT_STATE_IN_PROGRESS",
      "INCIDENT_STATE_ON_HOLD",
      "INCIDENT_STATE_RESOLVED",
      "INCIDENT_STATE_CLOSED",
      "INCIDENT_STATE_CANCELLED",
    ],
    openStates: ["INCIDENT_STATE_NEW", "INCIDENT_STATE_ASSIGNED", "INCIDENT_STATE_IN_PROGRESS", "INCIDENT_STATE_ON_HOLD"],
    finalStates: ["INCIDENT_STATE_CLOSED", "INCIDENT_STATE_CANCELLED"],
    server: { priorities: true, assignee: true, assignmentGroup: true, order: true },
    hasSla: true,
  },
  serviceRequest: {
    kind: "serviceRequest",
    plural: "Service requests",
    singular: "Service request",
    collection: "serviceRequests",
    listKey: "serviceRequests",
    itemKey: "serviceRequest",
    states: [
      "SERVICE_REQUEST_STATE_SUBMITTED",
      "SERVICE_REQUEST_STATE_APPROVED",
      "SERVICE_REQUEST_STATE_REJECTED",
      "SERVICE_REQUEST_STATE_FULFILLING",
      "SERVICE_REQUEST_STATE_FULFILLED",
      "SERVICE_REQUEST_STATE_CLOSED",
      "SERVICE_REQUEST_STATE_CANCELLED",
    ],
    openStates: ["SERVICE_REQUEST_STATE_SUBMITTED", "SERVICE_REQUEST_STATE_APPROVED", "SERVICE_REQUEST_STATE_FULFILLING"],
    finalStates: ["SERVICE_REQUEST_STATE_CLOSED", "SERVICE_REQUEST_STATE_CANCELLED"],
    server: { priorities: false, assignee: false, assignmentGroup: true, order: false },
    hasSla: true,
  },
  problem: {
    kind: "problem",
    plural: "Problems",
    singular: "Problem",
    collection: "problems",
    listKey: "problems",
    itemKey: "problem",
    states: [
      "PROBLEM_STATE_NEW",
      "PROBLEM_STATE_UNDER_INVESTIGATION",
      "PROBLEM_STATE_KNOWN_ERROR",
      "PROBLEM_STATE_RESOLVED",
      "PROBLEM_STATE_CLOSED",
      "PROBLEM_STATE_CANCELLED",
    ],
    openStates: ["PROBLEM_STATE_NEW", "PROBLEM_STATE_UNDER_INVESTIGATION", "PROBLEM_STATE_KNOWN_ERROR"],
    finalStates: ["PROBLEM_STATE_CLOSED", "PROBLEM_STATE_CANCELLED"],
    server: { priorities: false, assignee: false, assignmentGroup: false, order: false },
    hasSla: false,
  },
};

export const KIND_LIST: RecordKind[] = ["incident", "serviceRequest", "problem"];

// The kind whose REST collection is `collection` ("serviceRequests"), or null.
export function kindOfCollection(collection: string): RecordKind | null {
  return KIND_LIST.find((k) => KINDS[k].collection === collection) ?? null;
}

// The console's address of a record: #/incidents/<id>, #/serviceRequests/<id>, #/problems/<id>.
export function recordHref(kind: RecordKind | undefined, id: string): string {
  return `#/${KINDS[kind ?? "incident"].collection}/${encodeURIComponent(id)}`;
}
