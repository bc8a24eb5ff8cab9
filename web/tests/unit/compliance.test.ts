import assert from "node:assert/strict";
import { test } from "node:test";
import { complianceByService, complianceLevel, percentText, periodBounds, presetDates } from "../../src/compliance";
import { localMidnight } from "../../src/calendar";

test("rows by service and priority, totals from counts, not from percentages", () => {
  const { services, priorities } = complianceByService([
    { service: "shop", priority: "PRIORITY_P3", met: "1", breached: "1", inProgress: "0" },
    { service: "shop", priority: "PRIORITY_P1", met: "99", breached: "0", inProgress: "2" },
    { service: "", priority: "PRIORITY_P2", met: "0", breached: "0", inProgress: "3" },
    { service: "mail", priority: "PRIORITY_P3", met: "3", breached: "1" },
  ]);
  assert.deepEqual(priorities, ["PRIORITY_P1", "PRIORITY_P2", "PRIORITY_P3"]);
  assert.deepEqual(services.map((s) => s.service), ["mail", "shop", ""]);
  const shop = services[1];
  assert.equal(shop.byPriority.get("PRIORITY_P3")!.percent, 50);
  assert.equal(shop.total.met, 100);
  assert.equal(shop.total.inProgress, 2);
  assert.equal(shop.total.percent, 100 / 101 * 100);
  assert.equal(services[2].total.percent, null, "nothing completed: no percentage");
});

test("percent text and level against the target", () => {
  assert.equal(percentText(null), "—");
  assert.equal(percentText(100), "100 %");
  assert.equal(percentText(97.54), "97.5 %");
  assert.equal(complianceLevel(96, 95), "ok");
  assert.equal(complianceLevel(92, 95), "warning");
  assert.equal(complianceLevel(80, 95), "breached");
  assert.equal(complianceLevel(null, 95), "done");
});

test("a period of local dates is read from local midnight to the midnight after its last day", () => {
  const b = periodBounds("2026-11-01", "2026-11-30", (y, m, d) => localMidnight(y, m, d, "Europe/Berlin"));
  assert.deepEqual(b, { start: "2026-10-31T23:00:00.000Z", end: "2026-11-30T23:00:00.000Z" });
});

test("preset periods as local dates", () => {
  assert.deepEqual(presetDates("this-month", 2026, 12, 9), { from: "2026-12-01", to: "2026-12-09" });
  assert.deepEqual(presetDates("last-month", 2026, 1, 15), { from: "2025-12-01", to: "2025-12-31" });
  assert.deepEqual(presetDates("last-month", 2026, 3, 1), { from: "2026-02-01", to: "2026-02-28" });
  assert.deepEqual(presetDates("last-7-days", 2026, 12, 3), { from: "2026-11-27", to: "2026-12-03" });
  assert.deepEqual(presetDates("last-30-days", 2026, 12, 30), { from: "2026-12-01", to: "2026-12-30" });
});
