import assert from "node:assert/strict";
import { test } from "node:test";
import type { Incident } from "../../src/model";
import { changedSincePath, DEFAULT_FILTERS, filtersForKind, listPath, listQuery, matches, recordOfEvent, upsert, upsertAll, visible } from "../../src/queue";

const inc = (id: string, over: Partial<Incident> = {}): Incident => ({
  id,
  version: "1",
  state: "INCIDENT_STATE_NEW",
  priority: "PRIORITY_P3",
  createTime: "2026-12-01T10:00:00Z",
  updateTime: "2026-12-01T10:00:00Z",
  ...over,
});

test("the list query carries every filter and the order", () => {
  const q = new URLSearchParams(
    listQuery({ ...DEFAULT_FILTERS, states: ["INCIDENT_STATE_NEW"], priorities: ["PRIORITY_P1", "PRIORITY_P2"], assignee: " alice ", sort: "newest" }),
  );
  assert.deepEqual(q.getAll("states"), ["INCIDENT_STATE_NEW"]);
  assert.deepEqual(q.getAll("priorities"), ["PRIORITY_P1", "PRIORITY_P2"]);
  assert.equal(q.get("assignee"), "alice");
  assert.equal(q.get("order_by"), "INCIDENT_ORDER_CREATE_TIME_DESC");
  assert.equal(q.get("page.page_size"), "500");
  assert.equal(q.get("assignment_group"), null);
});

test("a newer version replaces, an older one is ignored", () => {
  let m = upsert(new Map(), inc("a", { version: "3", title: "three" }));
  m = upsert(m, inc("a", { version: "2", title: "two" }));
  assert.equal(m.get("a")?.title, "three");
  m = upsert(m, inc("a", { version: "10", title: "ten" }));
  assert.equal(m.get("a")?.title, "ten");
});

test("a resolved incident leaves the open queue", () => {
  const resolved = inc("a", { state: "INCIDENT_STATE_RESOLVED" });
  assert.equal(matches(resolved, DEFAULT_FILTERS), false);
  assert.equal(matches(resolved, { ...DEFAULT_FILTERS, states: [] }), true);
});

test("priority order, oldest first within a priority", () => {
  const m = [
    inc("late-p3", { createTime: "2026-12-01T12:00:00Z" }),
    inc("p1", { priority: "PRIORITY_P1", createTime: "2026-12-01T13:00:00Z" }),
    inc("early-p3", { createTime: "2026-12-01T09:00:00Z" }),
  ].reduce(upsert, new Map<string, Incident>());
  assert.deepEqual(
    visible(m, DEFAULT_FILTERS).map((i) => i.id),
    ["p1", "early-p3", "late-p3"],
  );
  assert.deepEqual(
    visible(m, { ...DEFAULT_FILTERS, sort: "newest" }).map((i) => i.id),
    ["p1", "late-p3", "early-p3"],
  );
});

test("events of the incident topic carry incidents, service requests and problems, tagged", () => {
  const created = JSON.stringify({ type: "itsm.incident.v1.IncidentCreated", data: { incident: inc("x") } });
  assert.equal(recordOfEvent(created)?.id, "x");
  assert.equal(recordOfEvent(created)?.kind, "incident");
  const request = JSON.stringify({ type: "itsm.incident.v1.ServiceRequestStateChanged", data: { serviceRequest: { id: "r", version: "2" } } });
  assert.equal(recordOfEvent(request)?.kind, "serviceRequest");
  const knownError = JSON.stringify({ type: "itsm.incident.v1.KnownErrorPublished", data: { problem: { id: "p" } } });
  assert.equal(recordOfEvent(knownError)?.kind, "problem");
  assert.equal(recordOfEvent(JSON.stringify({ type: "itsm.sla.v1.SlaBreached", data: { clock: {} } })), null);
  assert.equal(recordOfEvent("not json"), null);
});

test("upsertAll copies the map once and keeps newer versions", () => {
  const m = new Map([["a", inc("a", { version: "5" })]]);
  const same = upsertAll(m, [inc("a", { version: "4" })]);
  assert.equal(same, m, "nothing newer: the same map");
  const next = upsertAll(m, [inc("a", { version: "6", title: "six" }), inc("b"), inc("b", { version: "0" })]);
  assert.notEqual(next, m);
  assert.equal(next.get("a")?.title, "six");
  assert.equal(next.get("b")?.version, "1");
  assert.equal(m.get("a")?.version, "5", "the old map is unchanged");
});

test("each kind lists from its collection with what its list call filters", () => {
  const requests = filtersForKind("serviceRequest", { ...DEFAULT_FILTERS, priorities: ["PRIORITY_P1"], assignee: "bob", assignmentGroup: "desk" });
  const path = listPath(requests, "tok");
  assert.match(path, /^\/v1\/serviceRequests\?/);
  const q = new URLSearchParams(path.split("?")[1]);
  assert.deepEqual(q.getAll("states"), ["SERVICE_REQUEST_STATE_SUBMITTED", "SERVICE_REQUEST_STATE_APPROVED", "SERVICE_REQUEST_STATE_FULFILLING"]);
  assert.equal(q.get("assignment_group"), "desk");
  assert.equal(q.get("priorities"), null, "ListServiceRequests has no priority filter: filtered here");
  assert.equal(q.get("order_by"), null);
  assert.equal(q.get("page.page_token"), "tok");
  // The browser applies what the server could not.
  assert.equal(matches({ id: "r", kind: "serviceRequest", state: "SERVICE_REQUEST_STATE_SUBMITTED", priority: "PRIORITY_P3", assignee: "bob", assignmentGroup: "desk" }, requests), false);
  assert.equal(matches({ id: "r", kind: "serviceRequest", state: "SERVICE_REQUEST_STATE_SUBMITTED", priority: "PRIORITY_P1", assignee: "bob", assignmentGroup: "desk" }, requests), true);
  assert.equal(matches(inc("i", { priority: "PRIORITY_P1", assignee: "bob", assignmentGroup: "desk" }), requests), false, "an incident is not in the requests' queue");
});

test("the re-read after the stream is positioned asks for every incident changed since, any state", () => {
  const path = changedSincePath(Date.parse("2026-12-01T10:00:30Z"), "next");
  const q = new URLSearchParams(path.split("?")[1]);
  assert.ok(path.startsWith("/v1/incidents?"));
  assert.equal(q.get("updated_after"), "2026-12-01T10:00:00.000Z", "with a margin for the clocks");
  assert.equal(q.get("states"), null);
  assert.equal(q.get("order_by"), "INCIDENT_ORDER_UPDATE_TIME_ASC");
  assert.equal(q.get("page.page_token"), "next");
});
