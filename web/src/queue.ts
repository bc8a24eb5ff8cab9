// The queue's logic, apart from the view: the list query from the filters, the records kept
// current by events (a newer version wins, whatever order reads and events arrive in), and
// sorting. Pure, so `node --test` checks it (tests/unit/queue.test.ts).
import type { Incident, IncidentState, Priority } from "./model";

export interface Filters {
  states: IncidentState[];
  priorities: Priority[];
  assignee: string;
  assignmentGroup: string;
  sort: SortKey;
}

export type SortKey = "priority" | "newest" | "oldest" | "updated";

// The states an agent works: the default queue.
export const OPEN_STATES: IncidentState[] = [
  "INCIDENT_STATE_NEW",
  "INCIDENT_STATE_ASSIGNED",
  "INCIDENT_STATE_IN_PROGRESS",
  "INCIDENT_STATE_ON_HOLD",
];

export const DEFAULT_FILTERS: Filters = { states: OPEN_STATES, priorities: [], assignee: "", assignmentGroup: "", sort: "priority" };

const ORDER: Record<SortKey, string> = {
  priority: "INCIDENT_ORDER_PRIORITY",
  newest: "INCIDENT_ORDER_CREATE_TIME_DESC",
  oldest: "INCIDENT_ORDER_CREATE_TIME_ASC",
  updated: "INCIDENT_ORDER_UPDATE_TIME_DESC",
};

// GET /v1/incidents's query for the filters (ListIncidentsRequest, repeated fields repeated).
export function listQuery(filters: Filters, pageSize = 500, pageToken = ""): string {
  const q = new URLSearchParams();
  for (const s of filters.states) q.append("states", s);
  for (const p of filters.priorities) q.append("priorities", p);
  if (filters.assignee.trim()) q.set("assignee", filters.assignee.trim());
  if (filters.assignmentGroup.trim()) q.set("assignment_group", filters.assignmentGroup.trim());
  q.set("order_by", ORDER[filters.sort]);
  q.set("page.page_size", String(pageSize));
  if (pageToken) q.set("page.page_token", pageToken);
  return q.toString();
}

// Whether a record belongs in the queue the filters describe (an event may move it in or out).
export function matches(incident: Incident, filters: Filters): boolean {
  if (filters.states.length > 0 && !filters.states.includes(incident.state as IncidentState)) return false;
  if (filters.priorities.length > 0 && !filters.priorities.includes(incident.priority as Priority)) return false;
  if (filters.assignee.trim() && incident.assignee !== filters.assignee.trim()) return false;
  if (filters.assignmentGroup.trim() && incident.assignmentGroup !== filters.assignmentGroup.trim()) return false;
  return true;
}

const versionOf = (i: Incident) => Number(i.version ?? 0);

// The records by id after `incoming`: kept only when newer than what is there (an event that
// arrives before the list read, or a read that returns an older copy, changes nothing).
export function upsert(records: Map<string, Incident>, incoming: Incident): Map<string, Incident> {
  const existing = records.get(incoming.id);
  if (existing && versionOf(existing) >= versionOf(incoming)) return records;
  const next = new Map(records);
  next.set(incoming.id, incoming);
  return next;
}

const timeOf = (t: string | undefined) => (t ? Date.parse(t) : 0);
const priorityRank = (i: Incident) => (i.priority ? Number(i.priority.slice(-1)) : 9);

// The rows to show: matching records in the chosen order (the server's orderings, done here too
// because events add records to a list already read).
export function visible(records: Map<string, Incident>, filters: Filters): Incident[] {
  const rows = [...records.values()].filter((i) => matches(i, filters));
  const byCreate = (a: Incident, b: Incident) => timeOf(a.createTime) - timeOf(b.createTime);
  const compare: Record<SortKey, (a: Incident, b: Incident) => number> = {
    priority: (a, b) => priorityRank(a) - priorityRank(b) || byCreate(a, b),
    newest: (a, b) => byCreate(b, a),
    oldest: byCreate,
    updated: (a, b) => timeOf(b.updateTime) - timeOf(a.updateTime),
  };
  return rows.sort((a, b) => compare[filters.sort](a, b) || a.id.localeCompare(b.id));
}

// The incident an event carries (every incident event carries the full record:
// proto/itsm/incident/v1/events.proto), or null for other events.
export function incidentOfEvent(data: string): Incident | null {
  try {
    const event = JSON.parse(data) as { type?: string; data?: { incident?: Incident } };
    if (!event.type?.startsWith("itsm.incident.v1.Incident")) return null;
    return event.data?.incident?.id ? event.data.incident : null;
  } catch {
    return null;
  }
}
