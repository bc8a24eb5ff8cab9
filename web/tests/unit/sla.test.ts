import assert from "node:assert/strict";
import { test } from "node:test";
import { clockCell, clockOfEvent, clockOfStatus, levelOf, mergeClocks, remainingAt, rowSla } from "../../src/sla";
import { SlaCache } from "../../src/sla_cache";

const T0 = Date.parse("2026-12-01T10:00:00Z");
const status = (over: Record<string, unknown> = {}) => ({
  clockId: "c1",
  incidentId: "i1",
  slaDefinitionName: "Gold",
  clockKind: "CLOCK_KIND_RESOLUTION",
  stage: "CLOCK_STAGE_RUNNING",
  breached: false,
  state: "running",
  target: "3600s",
  dueTime: "2026-12-01T10:30:00Z",
  remaining: "1800s",
  lastEventTime: "2026-12-01T09:30:00Z",
  ...over,
});

test("a running clock counts down to its due time, coloured by the share left", () => {
  const c = clockOfStatus(status(), T0);
  assert.equal(c.kind, "resolution");
  assert.deepEqual(clockCell(c, T0), { text: "30m 00s left · 50%", level: "warning", share: 0.5, clock: c });
  assert.equal(clockCell(c, T0 - 10 * 60_000).level, "ok", "earlier: more than half left");
  assert.equal(clockCell(c, T0 + 20 * 60_000).level, "critical", "a sixth left");
  assert.equal(Math.round(remainingAt(c, T0 + 15 * 60_000) / 1000), 900);
  const late = clockCell(c, T0 + 31 * 60_000);
  assert.equal(late.level, "breached");
  assert.equal(late.text, "1m 00s overdue");
});

test("on business hours the business time left shrinks towards the due instant", () => {
  // 30 min of business time left, due in 2 h (the office closes meanwhile): half way there, half left.
  const c = clockOfStatus(status({ dueTime: "2026-12-01T12:00:00Z" }), T0);
  assert.equal(remainingAt(c, T0 + 3600_000), 900_000);
  assert.equal(remainingAt(c, Date.parse("2026-12-01T12:00:00Z")), 0);
});

test("paused, met, breached and cancelled clocks", () => {
  assert.equal(clockCell(clockOfStatus(status({ stage: "CLOCK_STAGE_PAUSED", state: "paused" }), T0), T0 + 3600_000).text, "paused · 30m 00s left");
  assert.equal(clockCell(clockOfStatus(status({ stage: "CLOCK_STAGE_COMPLETED", state: "met" }), T0), T0).level, "met");
  assert.equal(clockCell(clockOfStatus(status({ stage: "CLOCK_STAGE_COMPLETED", state: "breached", breached: true }), T0), T0).text, "breached");
  assert.equal(levelOf(0), "breached");
  assert.equal(levelOf(0.51), "ok");
});

test("a row shows its open clock with the least share left, else the last to stop", () => {
  const response = clockOfStatus(status({ clockId: "r", clockKind: "CLOCK_KIND_RESPONSE", remaining: "120s", target: "600s", dueTime: "2026-12-01T10:02:00Z" }), T0);
  const resolution = clockOfStatus(status(), T0);
  assert.equal(rowSla([resolution, response], T0).clock?.clockId, "r");
  const met = clockOfStatus(status({ clockId: "r", stage: "CLOCK_STAGE_COMPLETED", state: "met", lastEventTime: "2026-12-01T09:40:00Z" }), T0);
  const cancelled = clockOfStatus(status({ clockId: "x", stage: "CLOCK_STAGE_CANCELLED", state: "cancelled", lastEventTime: "2026-12-01T09:50:00Z" }), T0);
  assert.equal(rowSla([met, cancelled], T0).text, "met");
  assert.equal(rowSla([], T0).text, "—");
  assert.equal(rowSla(undefined, T0).level, "none");
});

test("a clock event carries the whole clock; the later event wins over an older read", () => {
  const event = JSON.stringify({
    type: "itsm.sla.v1.SlaClockPaused",
    data: { clock: { clockId: "c1", incidentId: "i1", stage: "CLOCK_STAGE_PAUSED", target: "3600s", businessElapsed: "2000s", eventTime: "2026-12-01T09:50:00Z" } },
  });
  const paused = clockOfEvent(event)!;
  assert.equal(paused.state, "paused");
  assert.equal(paused.remainingMs, 1600_000);
  assert.equal(paused.dueTime, "");
  const read = clockOfStatus(status(), T0);
  assert.equal(mergeClocks([read], [paused])[0].state, "paused", "event after the read's last event");
  assert.equal(mergeClocks([paused], [read])[0].state, "paused", "a read older than the event changes nothing");
  assert.equal(clockOfEvent(JSON.stringify({ type: "itsm.incident.v1.IncidentCreated", data: { incident: {} } })), null);
  assert.equal(clockOfEvent(JSON.stringify({ type: "itsm.sla.v1.CalendarCreated", data: { calendar: {} } })), null);
});

test("the cache reads only the records on screen, once, and again after their own event", async () => {
  const reads: string[] = [];
  const cache = new SlaCache(async (id) => {
    reads.push(id);
    return [status({ incidentId: id, clockId: `c-${id}` })];
  });
  const settled = () => new Promise((r) => setTimeout(r, 0));
  cache.want(["a", "b"]);
  await settled();
  cache.want(["a", "b", "c"]);
  await settled();
  assert.deepEqual(reads.sort(), ["a", "b", "c"]);
  assert.equal(cache.clocksOf("a")?.[0].clockId, "c-a");
  // A record event for a row on screen: read again; for one off screen: only marked.
  cache.want(["a"]);
  cache.onEvent(JSON.stringify({ type: "itsm.incident.v1.IncidentAssigned", data: {} }), "a");
  cache.onEvent(JSON.stringify({ type: "itsm.incident.v1.IncidentAssigned", data: {} }), "b");
  await settled();
  assert.deepEqual(reads.sort(), ["a", "a", "b", "c"]);
  // A clock event is applied without a read; one of a record never read causes no read.
  cache.onEvent(JSON.stringify({ type: "itsm.sla.v1.SlaMet", data: { clock: { clockId: "c-a", incidentId: "a", stage: "CLOCK_STAGE_COMPLETED", target: "3600s", businessElapsed: "10s", eventTime: "2026-12-01T11:00:00Z" } } }), null);
  assert.equal(cache.clocksOf("a")?.[0].state, "met");
  cache.onEvent(JSON.stringify({ type: "itsm.sla.v1.SlaMet", data: { clock: { clockId: "z", incidentId: "never", eventTime: "2026-12-01T11:00:00Z" } } }), null);
  assert.equal(cache.clocksOf("never"), undefined);
  assert.equal(reads.length, 4);
});

test("a clock's start that reaches the console before its record's first read is not lost to that read", async () => {
  // The SLA service has not applied the start yet: its answer has no clock.
  const cache = new SlaCache(async () => []);
  const settled = () => new Promise((r) => setTimeout(r, 0));
  const started = { type: "itsm.sla.v1.SlaClockStarted", data: { clock: { clockId: "c-new", incidentId: "new", stage: "CLOCK_STAGE_RUNNING", target: "3600s", businessElapsed: "0s", dueTime: "2026-12-01T11:00:00Z", eventTime: "2026-12-01T10:00:00Z" } } };
  cache.onEvent(JSON.stringify(started), null);
  assert.equal(cache.clocksOf("new"), undefined, "kept aside, not read for");
  cache.want(["new"]);
  await settled();
  assert.equal(cache.loaded("new"), true);
  assert.deepEqual(cache.clocksOf("new")?.map((c) => [c.clockId, c.state]), [["c-new", "running"]]);
});

test("a 401 stops the reading: the sign-in is over, more reads would only be refused", async () => {
  const reads: string[] = [];
  const cache = new SlaCache(async (id) => {
    reads.push(id);
    throw Object.assign(new Error("Not signed in"), { status: 401 });
  });
  cache.want(["a", "b", "c", "d", "e", "f"]);
  await new Promise((r) => setTimeout(r, 0));
  const first = reads.length;
  assert.ok(first >= 1 && first <= 4, `at most one round of reads: ${first}`);
  cache.onEvent(JSON.stringify({ type: "itsm.incident.v1.IncidentAssigned", data: {} }), "a");
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(reads.length, first, "nothing read again, not even later");
});

test("a 403 for the clocks is final: the cache stops reading (a requester's console)", async () => {
  const reads: string[] = [];
  const cache = new SlaCache(async (id) => {
    reads.push(id);
    throw Object.assign(new Error("Your key may not do this"), { status: 403 });
  });
  const settled = () => new Promise((r) => setTimeout(r, 0));
  cache.want(["a", "b", "c", "d", "e", "f"]);
  await settled();
  const first = reads.length;
  assert.ok(first >= 1 && first <= 4, `at most one round of reads: ${first}`);
  assert.equal(cache.isForbidden(), true);
  cache.want(["g", "h"]);
  cache.onEvent(JSON.stringify({ type: "itsm.incident.v1.IncidentAssigned", data: {} }), "a");
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(reads.length, first, "nothing read again");
});
