import assert from "node:assert/strict";
import { test } from "node:test";
import { calendarItems } from "../../src/change";
import { itemsByDay, localDateOf, localMidnight, monthWeeks, placeInDay, rangeOf, shift, weekOf } from "../../src/calendar";

const at = (iso: string) => Date.parse(iso);

test("local midnight in a zone, across the daylight-saving switch", () => {
  assert.equal(new Date(localMidnight(2026, 12, 5, "Europe/Berlin")).toISOString(), "2026-12-04T23:00:00.000Z");
  assert.equal(new Date(localMidnight(2026, 7, 5, "Europe/Berlin")).toISOString(), "2026-07-04T22:00:00.000Z");
  assert.equal(new Date(localMidnight(2026, 12, 5, "America/New_York")).toISOString(), "2026-12-05T05:00:00.000Z");
  // 29 March 2026: Berlin springs forward, the day is 23 hours long.
  const [d] = weekOf(2026, 3, 29, "Europe/Berlin").filter((x) => x.date === "2026-03-29");
  assert.equal((d.end - d.start) / 3_600_000, 23);
  assert.deepEqual(localDateOf(at("2026-12-05T23:30:00Z"), "Europe/Berlin"), { y: 2026, m: 12, d: 6 });
});

test("a month's weeks start on Monday and cover the month", () => {
  const weeks = monthWeeks(2026, 12, "UTC");
  assert.equal(weeks.length, 5);
  assert.equal(weeks[0][0].date, "2026-11-30");
  assert.equal(weeks[0][0].inMonth, false);
  assert.equal(weeks[0][1].date, "2026-12-01");
  assert.equal(weeks[4][3].date, "2026-12-31");
  assert.ok(weeks.every((w) => w.length === 7 && w[0].weekday === 1 && w[6].weekday === 7));
  // February 2027 starts on a Monday and has exactly four weeks.
  assert.equal(monthWeeks(2027, 2, "UTC").length, 4);
  // March 2026 needs six rows.
  assert.equal(monthWeeks(2026, 3, "UTC").length, 6);
});

test("a change late on Saturday in UTC is on Sunday in Berlin", () => {
  const days = weekOf(2026, 12, 5, "Europe/Berlin");
  assert.deepEqual([days[0].date, days[6].date], ["2026-11-30", "2026-12-06"]);
  const change = { key: "c", start: at("2026-12-05T23:30:00Z"), end: at("2026-12-06T00:30:00Z") };
  const byDay = itemsByDay(days, [change]);
  assert.deepEqual(byDay.get("2026-12-05"), []);
  assert.deepEqual(byDay.get("2026-12-06"), [change]);
  assert.deepEqual(rangeOf(days), { start: "2026-11-29T23:00:00.000Z", end: "2026-12-06T23:00:00.000Z" });
});

test("the week view: position in the day, clipping, and overlapping items side by side", () => {
  const [day] = weekOf(2026, 12, 5, "UTC").filter((d) => d.date === "2026-12-05");
  const window = { key: "w", start: at("2026-12-05T21:00:00Z"), end: at("2026-12-06T01:00:00Z") };
  const a = { key: "a", start: at("2026-12-05T21:30:00Z"), end: at("2026-12-05T23:00:00Z") };
  const b = { key: "b", start: at("2026-12-05T22:00:00Z"), end: at("2026-12-05T22:30:00Z") };
  const morning = { key: "m", start: at("2026-12-05T06:00:00Z"), end: at("2026-12-05T12:00:00Z") };
  const placed = placeInDay(day, [window, a, b, morning], "UTC");
  const of = (k: string) => placed.find((p) => p.item.key === k)!;
  assert.equal(of("m").top, 25);
  assert.equal(of("m").height, 25);
  assert.equal(of("m").lanes, 1);
  assert.equal(of("w").continuesAfter, true);
  assert.equal(of("w").height, 12.5);
  assert.deepEqual([of("w").lane, of("a").lane, of("b").lane], [0, 1, 2]);
  assert.ok([of("w"), of("a"), of("b")].every((p) => p.lanes === 3));
});

test("the week view places items at their local time of day on the daylight-saving days", () => {
  // Europe/Berlin: 2027-03-28 has 23 hours (02:00 -> 03:00), 2027-10-31 has 25 (03:00 -> 02:00).
  const [spring] = weekOf(2027, 3, 28, "Europe/Berlin").filter((d) => d.date === "2027-03-28");
  const [fall] = weekOf(2027, 10, 31, "Europe/Berlin").filter((d) => d.date === "2027-10-31");
  const noonSpring = { key: "s", start: at("2027-03-28T10:00:00Z"), end: at("2027-03-28T11:00:00Z") }; // 12:00-13:00 CEST
  const noonFall = { key: "f", start: at("2027-10-31T11:00:00Z"), end: at("2027-10-31T12:00:00Z") }; // 12:00-13:00 CET
  const window = { key: "w", start: at("2027-03-28T01:00:00Z"), end: at("2027-03-28T02:00:00Z") }; // 03:00-04:00 CEST
  const [s] = placeInDay(spring, [noonSpring], "Europe/Berlin");
  const [f] = placeInDay(fall, [noonFall], "Europe/Berlin");
  const [w] = placeInDay(spring, [window], "Europe/Berlin");
  assert.equal(s.top, 50);
  assert.equal(f.top, 50);
  assert.ok(Math.abs(s.height - 100 / 24) < 1e-9 && Math.abs(f.height - 100 / 24) < 1e-9);
  assert.equal(w.top, 12.5, "03:00 is in the 03:00 row, not the skipped 02:00 one");
  const [allDay] = placeInDay(fall, [{ key: "d", start: fall.start, end: fall.end }], "Europe/Berlin");
  assert.deepEqual([allDay.top, allDay.height], [0, 100]);
});

test("moving by a month or a week", () => {
  assert.deepEqual(shift("month", 2026, 12, 15, 1), { y: 2027, m: 1, d: 1 });
  assert.deepEqual(shift("month", 2026, 1, 31, -1), { y: 2025, m: 12, d: 1 });
  assert.deepEqual(shift("week", 2026, 12, 29, 1), { y: 2027, m: 1, d: 5 });
});

test("calendar items: changes with a slot, conflicts marked unless overridden, windows by kind", () => {
  const { changes, windows } = calendarItems({
    changes: [
      { id: "a", plannedStartTime: "2026-12-05T21:30:00Z", plannedEndTime: "2026-12-05T23:00:00Z", conflicts: [] },
      { id: "b", plannedStartTime: "2026-12-05T22:00:00Z", plannedEndTime: "2026-12-05T22:30:00Z", conflicts: [{ kind: "CONFLICT_KIND_SAME_CI" }] },
      { id: "c", plannedStartTime: "2026-12-05T22:00:00Z", plannedEndTime: "2026-12-05T22:30:00Z", conflicts: [{ kind: "CONFLICT_KIND_SAME_CI" }], conflictOverrideReason: "agreed with the DBA" },
      { id: "unscheduled" },
    ],
    windows: [
      { windowId: "w", kind: "WINDOW_KIND_BLACKOUT", startTime: "2026-12-20T00:00:00Z", endTime: "2026-12-23T00:00:00Z" },
      { windowId: "m", kind: "WINDOW_KIND_MAINTENANCE", startTime: "2026-12-05T21:00:00Z", endTime: "2026-12-06T01:00:00Z" },
    ],
  });
  assert.deepEqual(changes.map((c) => [c.key, c.conflicted]), [["a", false], ["b", true], ["c", false]]);
  assert.equal(changes[0].start, at("2026-12-05T21:30:00Z"));
  assert.deepEqual(windows.map((w) => [w.key, w.blackout]), [["w@2026-12-20T00:00:00Z", true], ["m@2026-12-05T21:00:00Z", false]]);
});
