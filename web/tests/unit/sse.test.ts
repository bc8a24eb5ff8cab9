import assert from "node:assert/strict";
import { test } from "node:test";
import { reconnectDelay, SseParser } from "../../src/sse";

test("messages are dispatched at blank lines, with the last id", () => {
  const p = new SseParser();
  const got = p.feed(": itsm event stream\nretry: 3000\nid: A\n\nid: B.1\ndata: {\"a\":1}\n\n");
  assert.deepEqual(got, [{ event: "message", data: '{"a":1}', id: "B.1" }]);
  assert.equal(p.retryMs, 3000);
});

test("a heartbeat's id moves the position without a message", () => {
  const p = new SseParser();
  assert.deepEqual(p.feed("id: POS2\n\n: keep-alive\n\n"), []);
  assert.equal(p.lastEventId, "POS2");
});

test("chunks split anywhere, CRLF split across chunks included", () => {
  const p = new SseParser();
  const text = "id: X\r\ndata: line1\r\ndata: line2\r\n\r\n";
  const out = [];
  for (const c of text) out.push(...p.feed(c));
  assert.deepEqual(out, [{ event: "message", data: "line1\nline2", id: "X" }]);
});

test("event: close is named", () => {
  const p = new SseParser();
  assert.deepEqual(p.feed('event: close\ndata: {"reason":"shutdown"}\n\n'), [{ event: "close", data: '{"reason":"shutdown"}', id: "" }]);
});

test("reconnecting backs off while attempts fail, up to a minute", () => {
  assert.equal(reconnectDelay(3000, 0), 3000, "after a stream that was live");
  assert.equal(reconnectDelay(3000, 1), 3000);
  assert.equal(reconnectDelay(3000, 2), 6000);
  assert.equal(reconnectDelay(3000, 5), 48000);
  assert.equal(reconnectDelay(3000, 9), 60000);
  assert.equal(reconnectDelay(90000, 3), 90000, "a server asking for longer is obeyed");
});
