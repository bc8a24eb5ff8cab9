import assert from "node:assert/strict";
import { test } from "node:test";
import { basisPoints, durationText, moneyText, orderDeadlines, periodText, scorecardBars } from "../../src/supplier";

test("basis points, durations, periods", () => {
  assert.equal(basisPoints(-1), "—");
  assert.equal(basisPoints(10000), "100 %");
  assert.equal(basisPoints(1250), "12.5 %");
  assert.equal(basisPoints(1234), "12.34 %");
  assert.equal(durationText("0s"), "—");
  assert.equal(durationText("7500s"), "2h 05m");
  assert.equal(durationText("0.250s"), "< 1s");
  assert.equal(periodText({ months: 3 }), "3 months");
  assert.equal(periodText({ months: 1, days: 15 }), "1 month 15 days");
  assert.equal(periodText({}), "—");
});

test("money from minor units without floating point", () => {
  assert.equal(moneyText({ currency: "EUR", minorUnits: "1200000" }), "EUR 12,000.00");
  assert.equal(moneyText({ currency: "EUR", minorUnits: "5" }), "EUR 0.05");
  assert.equal(moneyText({ currency: "USD", minorUnits: "-12345" }), "−USD 123.45");
  // Beyond 2^53: exact.
  assert.equal(moneyText({ currency: "EUR", minorUnits: "900719925474099312" }), "EUR 9,007,199,254,740,993.12");
  // Each currency with its own digits (found from outside: a yen amount shown a hundred times
  // too small, CLF a hundred times too large).
  assert.equal(moneyText({ currency: "JPY", minorUnits: "900719925474099312" }), "JPY 900,719,925,474,099,312");
  assert.equal(moneyText({ currency: "KWD", minorUnits: "1001" }), "KWD 1.001");
  assert.equal(moneyText({ currency: "CLF", minorUnits: "12345" }), "CLF 1.2345");
  assert.equal(moneyText({ currency: "UYW", minorUnits: "-5" }), "−UYW 0.0005");
  assert.equal(moneyText(undefined), "—");
});

test("deadlines ahead first, soonest first; then those passed, latest first", () => {
  const now = Date.parse("2026-12-01T00:00:00Z");
  const d = (id: string, t: string) => ({ recordId: id, deadlineTime: t });
  const ordered = orderDeadlines([d("past-old", "2026-06-01T00:00:00Z"), d("far", "2027-02-20T00:00:00Z"), d("past-recent", "2026-09-30T22:00:00Z"), d("soon", "2026-12-31T23:00:00Z")], now);
  assert.deepEqual(ordered.map((x) => x.recordId), ["soon", "far", "past-recent", "past-old"]);
});

test("scorecard bars: counts per month and a round top of the scale", () => {
  const { bars, top } = scorecardBars([
    { month: "2026-11", incidents: "3", resolved: "2" },
    { month: "2026-12", incidents: "7" },
  ]);
  assert.deepEqual(bars, [
    { month: "2026-11", incidents: 3, resolved: 2 },
    { month: "2026-12", incidents: 7, resolved: 0 },
  ]);
  assert.equal(top, 10);
  assert.equal(scorecardBars([{ incidents: "0" }]).top, 1);
  assert.equal(scorecardBars([{ incidents: "2" }]).top, 2);
  assert.equal(scorecardBars([{ incidents: "120" }]).top, 200);
  assert.equal(scorecardBars([{ incidents: "500" }]).top, 500);
});
