// The queue's logic, apart from the view: the list query from the filters, the records kept
// current by events (a newer version wins, whatever order reads and events arrive in), and
// sorting. Pure, so `node --test` checks it (tests/unit/queue.test.ts).
import { KINDS } from "./kinds";
import type { Priority, RecordKind, WorkRecord } from "./model";

export interface Filters {
  kind: RecordKind;
  // States of `kind` ("INCIDENT_STATE_NEW", "PROBLEM_STATE_KNOWN_ERROR"…); empty: any.
  states: string[];
  priorities: Priority[];
  assignee: string;
  assignmentGroup: string;
  sort: SortKey;
  // Whose records: everyone's, the caller's (assignee = their subject), or their groups'.
  scope: Scope;
  // Set by `effective` for the scope "groups": the assignment groups to match.
  groups?: string[];
}

export type Scope = "all" | "mine" | "groups";

// Who is asking: the verified subject (GET /v1/session) and the groups they work in.
export interface Me {
  subject: string;
  groups: string[];
}

export type SortKey = "priority" | "newest" | "oldest" | "updated";

// The states an agent works: the default queue.
export const OPEN_STATES: string[] = KINDS.incident.openStates;

export const DEFAULT_FILTERS: Filters = {
  kind: "incident",
  states: OPEN_STATES,
  priorities: [],
  assignee: "",
  assignmentGroup: "",
  sort: "priority",
  scope: "all",
};

// The filters with the scope applied: "mine" is the assignee filter set to the caller's
// subject; "groups" matches any of their groups (nothing, when they named none).
export function effective(filters: Filters, me: Me | null): Filters {
  if (filters.scope === "mine") return { ...filters, assignee: me?.subject ? me.subject : "\u0000no subject" };
  if (filters.scope === "groups") return { ...filters, groups: me?.groups.length ? me.groups : ["\u0000no group"] };
  return filters;
}

// The default filters of a kind: its open states.
export function filtersForKind(kind: RecordKind, from: Filters = DEFAULT_FILTERS): Filters {
  return { ...from, kind, states: KINDS[kind].openStates };
}

const ORDER: Record<SortKey, string> = {
  priority: "INCIDENT_ORDER_PRIORITY",
  newest: "INCIDENT_ORDER_CREATE_TIME_DESC",
  oldest: "INCIDENT_ORDER_CREATE_TIME_ASC",
  updated: "INCIDENT_ORDER_UPDATE_TIME_DESC",
};

// The list call for the filters: GET /v1/<collection>?… with what that list filters on the
// server (ListIncidentsRequest takes them all; service requests and problems fewer), repeated
// fields repeated.
export function listQuery(filters: Filters, pageSize = 500, pageToken = ""): string {
  const server = KINDS[filters.kind].server;
  const q = new URLSearchParams();
  for (const s of filters.states) q.append("states", s);
  if (server.priorities) for (const p of filters.priorities) q.append("priorities", p);
  // (A scope without a known subject or groups matches nothing: see `effective`.)
  if (server.assignee && filters.assignee.trim() && !filters.assignee.startsWith("\u0000")) q.set("assignee", filters.assignee.trim());
  if (server.assignmentGroup && filters.assignmentGroup.trim()) q.set("assignment_group", filters.assignmentGroup.trim());
  else if (server.assignmentGroup && filters.groups?.length === 1 && !filters.groups[0].startsWith("\u0000")) q.set("assignment_group", filters.groups[0]);
  if (server.order) q.set("order_by", ORDER[filters.sort]);
  q.set("page.page_size", String(pageSize));
  if (pageToken) q.set("page.page_token", pageToken);
  return q.toString();
}

export function listPath(filters: Filters, pageToken = ""): string {
  return `/v1/${KINDS[filters.kind].collection}?${listQuery(filters, 500, pageToken)}`;
}

// Margin for the browser's clock against the servers' (update times are theirs).
export const CLOCK_MARGIN_MS = 30_000;

// Every incident changed since `since` (ms, the browser's clock, less a margin), whatever its
// state: the re-read after the stream is positioned anew (views/queue.tsx).
export function changedSincePath(since: number, pageToken = ""): string {
  const q = new URLSearchParams();
  q.set("updated_after", new Date(since - CLOCK_MARGIN_MS).toISOString());
  q.set("order_by", "INCIDENT_ORDER_UPDATE_TIME_ASC");
  q.set("page.page_size", "500");
  if (pageToken) q.set("page.page_token", pageToken);
  return `/v1/incidents?${q}`;
}

// Whether a record belongs in the queue the filters describe (an event may move it in or out).
export function matches(record: WorkRecord, filters: Filters): boolean {
  if ((record.kind ?? "incident") !== filters.kind) return false;
  if (filters.states.length > 0 && !filters.states.includes(record.state ?? "")) return false;
  if (filters.priorities.length > 0 && !filters.priorities.includes(record.priority as Priority)) return false;
  if (filters.assignee.trim() && record.assignee !== filters.assignee.trim()) return false;
  if (filters.assignmentGroup.trim() && record.assignmentGroup !== filters.assignmentGroup.trim()) return false;
  if (filters.groups && !filters.groups.includes(record.assignmentGroup ?? "")) return false;
  return true;
}

const versionOf = (r: WorkRecord) => Number(r.version ?? 0);

// The records by id after `incoming`: kept only when newer than what is there (an event that
// arrives before the list read, or a read that returns an older copy, changes nothing).
export function upsert<T extends WorkRecord>(records: Map<string, T>, incoming: T): Map<string, T> {
  const existing = records.get(incoming.id);
  if (existing && versionOf(existing) >= versionOf(incoming)) return records;
  const next = new Map(records);
  next.set(incoming.id, incoming);
  return next;
}

// upsert of many at once: one copy of the map per page of 500, not one per record (10,000
// records would otherwise copy the map 10,000 times).
export function upsertAll<T extends WorkRecord>(records: Map<string, T>, incoming: T[]): Map<string, T> {
  let next: Map<string, T> | null = null;
  for (const record of incoming) {
    const existing = (next ?? records).get(record.id);
    if (existing && versionOf(existing) >= versionOf(record)) continue;
    next ??= new Map(records);
    next.set(record.id, record);
  }
  return next ?? records;
}

const timeOf = (t: string | undefined) => (t ? Date.parse(t) : 0);
const priorityRank = (r: WorkRecord) => (r.priority && r.priority !== ("PRIORITY_UNSPECIFIED" as string) ? Number(r.priority.slice(-1)) : 9);

// The rows to show: matching records in the chosen order (the server's orderings, done here too
// because events add records to a list already read). The keys are computed once per record,
// not in the comparison: parsing times inside the sort of 10,000 records cost most of a page's
// time in the browser.
export function visible<T extends WorkRecord>(records: Map<string, T>, filters: Filters): T[] {
  const rows: Array<{ r: T; rank: number; created: number; updated: number }> = [];
  for (const r of records.values()) {
    if (matches(r, filters)) rows.push({ r, rank: priorityRank(r), created: timeOf(r.createTime), updated: timeOf(r.updateTime) });
  }
  type Row = (typeof rows)[number];
  const compare: Record<SortKey, (a: Row, b: Row) => number> = {
    priority: (a, b) => a.rank - b.rank || a.created - b.created,
    newest: (a, b) => b.created - a.created,
    oldest: (a, b) => a.created - b.created,
    updated: (a, b) => b.updated - a.updated,
  };
  const byKey = compare[filters.sort];
  rows.sort((a, b) => byKey(a, b) || (a.r.id < b.r.id ? -1 : a.r.id > b.r.id ? 1 : 0));
  return rows.map((row) => row.r);
}

// The record an event of the incident service's topic carries (every one carries the full
// record: proto/itsm/incident/v1/events.proto), tagged with its kind; null for other events
// (notes carry the incident too; SLA, change… events carry none).
export function recordOfEvent(data: string): WorkRecord | null {
  try {
    const event = JSON.parse(data) as { type?: string; data?: { incident?: WorkRecord; serviceRequest?: WorkRecord; problem?: WorkRecord } };
    if (!event.type?.startsWith("itsm.incident.v1.")) return null;
    const d = event.data ?? {};
    if (d.incident?.id) return { ...d.incident, kind: "incident" };
    if (d.serviceRequest?.id) return { ...d.serviceRequest, kind: "serviceRequest" };
    if (d.problem?.id) return { ...d.problem, kind: "problem" };
    return null;
  } catch {
    return null;
  }
}
