import assert from "node:assert/strict";
import { test } from "node:test";
import { viewRouteOf } from "../../src/views/routes";

test("the views' hash routes", () => {
  assert.deepEqual(viewRouteOf("#/cmdb"), { view: "cmdb" });
  assert.deepEqual(viewRouteOf("#/cis/server%2Fdb-node-1"), { view: "ci", id: "server/db-node-1" });
  assert.deepEqual(viewRouteOf("#/baselines"), { view: "baselines", name: undefined });
  assert.deepEqual(viewRouteOf("#/baselines/before%20patch"), { view: "baselines", name: "before patch" });
  assert.deepEqual(viewRouteOf("#/calendar"), { view: "calendar", mode: "month", date: undefined });
  assert.deepEqual(viewRouteOf("#/calendar/week/2026-12-05"), { view: "calendar", mode: "week", date: "2026-12-05" });
  assert.deepEqual(viewRouteOf("#/calendar/month/2026-12"), { view: "calendar", mode: "month", date: "2026-12" });
  assert.deepEqual(viewRouteOf("#/changes/CHG0000001"), { view: "change", id: "CHG0000001" });
  assert.deepEqual(viewRouteOf("#/new/change"), { view: "newChange" });
  assert.deepEqual(viewRouteOf("#/new/ci"), { view: "newCi" });
  assert.deepEqual(viewRouteOf("#/service-levels"), { view: "serviceLevels" });
  assert.deepEqual(viewRouteOf("#/suppliers"), { view: "suppliers" });
  assert.deepEqual(viewRouteOf("#/suppliers/SUP0000001"), { view: "supplier", id: "SUP0000001" });
  // The queue's and records' routes stay main.tsx's.
  for (const hash of ["", "#/queue", "#/new", "#/new/problem", "#/incidents/x", "#/calendar/day/2026-12-05"]) assert.equal(viewRouteOf(hash), null, hash);
});
