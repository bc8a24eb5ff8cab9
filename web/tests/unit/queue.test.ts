import assert from "node:assert/strict";
import { test } from "node:test";
import type { Incident } from "../../src/model";
import { DEFAULT_FILTERS, incidentOfEvent, listQuery, matches, upsert, visible } from "../../src/queue";

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

test("only incident events carry a queue record", () => {
  const created = JSON.stringify({ type: "itsm.incident.v1.IncidentCreated", data: { incident: inc("x") } });
  assert.equal(incidentOfEvent(created)?.id, "x");
  assert.equal(incidentOfEvent(JSON.stringify({ type: "itsm.incident.v1.ServiceRequestCreated", data: {} })), null);
  assert.equal(incidentOfEvent("not json"), null);
});
