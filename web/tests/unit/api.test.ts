import assert from "node:assert/strict";
import { test } from "node:test";
import { errorFrom, violationFor } from "../../src/api";
import { clearKey, loadKey, saveKey } from "../../src/session";
import { countdown, currentZoneName, duration, durationMs, formatShort, formatTime, isoToLocalInput, localInputToIso, withLocalTimes } from "../../src/time";

test("field violations of a google.rpc.Status are keyed by field", () => {
  const body = JSON.stringify({
    code: 3,
    message: "title: required",
    details: [
      { "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: "incident.title", description: "required" }, { field: "resolution_code", description: "1..100 characters" }] },
      { "@type": "type.googleapis.com/google.rpc.RequestInfo", requestId: "r1" },
    ],
  });
  const e = errorFrom(400, body);
  assert.equal(e.message, "title: required");
  assert.equal(violationFor(e.violations, "title"), "required");
  assert.equal(violationFor(e.violations, "resolutionCode"), "1..100 characters");
});

test("403 says the key may not; a non-JSON body still gives a message", () => {
  assert.match(errorFrom(403, '{"message":"role viewer"}').message, /may not/);
  assert.equal(errorFrom(502, "<html>bad gateway</html>").message, "HTTP 502");
});

test("the key lives in the given store only, and sign-out removes it", () => {
  const data = new Map<string, string>();
  const store = { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v), removeItem: (k: string) => void data.delete(k) };
  assert.equal(loadKey(store), null);
  saveKey(store, " itsm_abc ");
  assert.equal(loadKey(store), "itsm_abc");
  clearKey(store);
  assert.equal(loadKey(store), null);
  assert.equal(data.size, 0);
});

test("times are shown in the zone asked for, named", () => {
  const t = formatTime("2026-07-01T12:00:00Z", "Europe/Berlin", "en-GB");
  assert.match(t, /14:00:00/);
  assert.match(t, /CEST|GMT\+2/);
  assert.equal(formatTime(undefined), "—");
});

test("a service's sentence reads its times in the zone asked for", () => {
  const text = withLocalTimes("CI database/orders-db is also changed by CHG0000002 (2026-12-10T16:00:00.000000Z..2026-12-10T18:00:00Z)", "America/New_York", "en-GB");
  assert.match(text, /^CI database\/orders-db is also changed by CHG0000002 \(10 Dec, 11:00 [^.]*\.\.10 Dec, 13:00 [^)]*\)$/);
  assert.ok(!/\d{4}-\d\d-\d\dT/.test(text), text);
  assert.equal(withLocalTimes(undefined), "");
});

test("a zone the browser names by its old name is named as IANA names it now, and formats alike", () => {
  assert.equal(currentZoneName("Asia/Calcutta"), "Asia/Kolkata");
  assert.equal(currentZoneName("Europe/Berlin"), "Europe/Berlin");
  assert.equal(formatTime("2026-07-01T12:00:00Z", currentZoneName("Asia/Calcutta"), "en-GB"), formatTime("2026-07-01T12:00:00Z", "Asia/Calcutta", "en-GB"));
});

test("countdowns: left, overdue, warning under a quarter of the target", () => {
  const now = Date.parse("2026-12-01T10:00:00Z");
  assert.deepEqual(countdown("2026-12-01T12:05:00Z", now), { text: "2h 05m left", level: "ok" });
  assert.deepEqual(countdown("2026-12-01T09:47:30Z", now), { text: "12m 30s overdue", level: "breached" });
  assert.equal(countdown("2026-12-01T10:10:00Z", now, 3600_000).level, "warning");
  assert.equal(duration(90061_000), "1d 1h");
  assert.equal(durationMs("-12.5s"), -12500);
  assert.equal(durationMs("bad"), undefined);
});

test("the queue's short times name the zone too", () => {
  assert.equal(formatShort("2026-12-01T13:05:09Z", "Europe/Berlin", "en-GB"), "1 Dec, 14:05 CET");
  assert.equal(formatShort(undefined), "—");
});

test("a list field's violations name its items", () => {
  const e = errorFrom(
    400,
    JSON.stringify({ code: 3, message: "x", details: [{ "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: "configuration_item_ids[1]", description: 'no CI "server/zzz"' }] }] }),
  );
  assert.equal(violationFor(e.violations, "configurationItemIds"), '[1] no CI "server/zzz"');
  assert.equal(violationFor(e.violations, "configurationItem"), undefined);
});

test("a datetime-local value is a wall-clock time in the user's zone", () => {
  assert.equal(localInputToIso("2026-12-05T22:00", "Europe/Berlin"), "2026-12-05T21:00:00.000Z");
  assert.equal(localInputToIso("2026-07-05T22:00", "Europe/Berlin"), "2026-07-05T20:00:00.000Z");
  assert.equal(localInputToIso("2026-12-05T22:00", "UTC"), "2026-12-05T22:00:00.000Z");
  // 02:30 does not exist on 29 March 2026 in Berlin: the switch, 03:00 CEST (as windows read it),
  // so that 02:30-03:30 is a slot of half an hour, not an empty one.
  assert.equal(localInputToIso("2026-03-29T02:30", "Europe/Berlin"), "2026-03-29T01:00:00.000Z");
  assert.equal(localInputToIso("2026-03-29T03:30", "Europe/Berlin"), "2026-03-29T01:30:00.000Z");
  // 02:30 happens twice on 25 October 2026: the first, CEST, as windows read it.
  assert.equal(localInputToIso("2026-10-25T02:30", "Europe/Berlin"), "2026-10-25T00:30:00.000Z");
  assert.equal(localInputToIso("2027-03-14T02:30", "America/New_York"), "2027-03-14T07:00:00.000Z");
  assert.equal(localInputToIso("", "UTC"), "");
  assert.equal(isoToLocalInput("2026-12-05T21:00:00Z", "Europe/Berlin"), "2026-12-05T22:00");
  assert.equal(isoToLocalInput("2026-07-05T20:00:00Z", "America/New_York"), "2026-07-05T16:00");
  assert.equal(isoToLocalInput(undefined, "UTC"), "");
});
