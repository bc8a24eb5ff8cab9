import assert from "node:assert/strict";
import { test } from "node:test";
import { readAllPages, readWholeList } from "../../src/paging";
import { rowAfterKey, rowWindow, scrollToShow } from "../../src/virtual";

test("only the rows on screen and the overscan are rendered", () => {
  // 10,000 rows of 36 px, a 720 px viewport: 21 rows show, plus 10 either side.
  assert.deepEqual(rowWindow(0, 720, 36, 10000), { first: 0, last: 31 });
  assert.deepEqual(rowWindow(36 * 5000, 720, 36, 10000), { first: 4990, last: 5031 });
  assert.deepEqual(rowWindow(36 * 9990, 720, 36, 10000), { first: 9980, last: 10000 });
  // Scrolled past the end (the list shrank under it): still the last rows, never an empty window.
  assert.deepEqual(rowWindow(36 * 20000, 720, 36, 100), { first: 99, last: 100 });
  assert.deepEqual(rowWindow(0, 720, 36, 0), { first: 0, last: 0 });
});

test("row keys: arrows, pages, home and end, clamped", () => {
  assert.equal(rowAfterKey("ArrowDown", -1, 100, 20), 0);
  assert.equal(rowAfterKey("ArrowDown", 99, 100, 20), 99);
  assert.equal(rowAfterKey("ArrowUp", 0, 100, 20), 0);
  assert.equal(rowAfterKey("PageDown", 10, 100, 20), 30);
  assert.equal(rowAfterKey("PageUp", 10, 100, 20), 0);
  assert.equal(rowAfterKey("End", 10, 100, 20), 99);
  assert.equal(rowAfterKey("Home", 10, 100, 20), 0);
  assert.equal(rowAfterKey("Enter", 10, 100, 20), null);
  assert.equal(rowAfterKey("ArrowDown", 0, 0, 20), null);
});

test("scrolling to show a row moves as little as possible", () => {
  // Viewport 360 px under a 36 px header: rows 0..8 fully visible at 0.
  assert.equal(scrollToShow(3, 0, 360, 36, 36), 0);
  assert.equal(scrollToShow(9, 0, 360, 36, 36), 36);
  assert.equal(scrollToShow(2, 200, 360, 36, 36), 72);
});

test("every page is read in turn and handed over as it comes", async () => {
  const pages: Record<string, { items: number[]; nextPageToken: string }> = {
    "": { items: [1, 2], nextPageToken: "b" },
    b: { items: [3, 4], nextPageToken: "c" },
    c: { items: [5], nextPageToken: "" },
  };
  const seen: Array<[number[], boolean, number]> = [];
  const total = await readAllPages(async (t) => pages[t], (items, done, n) => seen.push([items, done, n]), () => false);
  assert.equal(total, 5);
  assert.deepEqual(seen, [
    [[1, 2], false, 2],
    [[3, 4], false, 4],
    [[5], true, 5],
  ]);
  // Cancelled after the first page (the filters changed): nothing more is handed over.
  let calls = 0;
  const after: number[][] = [];
  await readAllPages(async (t) => (++calls, pages[t]), (items) => after.push(items), () => calls > 1);
  assert.deepEqual(after, [[1, 2]]);
  // The bound stops the reading.
  assert.equal(await readAllPages(async (t) => pages[t], () => {}, () => false, 3), 4);
});

test("a record's list is read whole (history, notes), and a bound on it is said", async () => {
  // 1,201 notes in pages of 500, as the service pages them: the newest are on the last page.
  const notes = Array.from({ length: 1201 }, (_, i) => ({ text: `n${i}` }));
  const asked: string[] = [];
  const get = async (path: string) => {
    asked.push(path);
    const token = new URLSearchParams(path.slice(path.indexOf("?") + 1)).get("page.page_token") ?? "0";
    const from = Number(token);
    const next = from + 500 < notes.length ? String(from + 500) : "";
    return { notes: notes.slice(from, from + 500), nextPageToken: next };
  };
  const whole = await readWholeList<{ text: string }>(get, "/v1/incidents/INC1/notes", "notes");
  assert.equal(whole.items.length, 1201);
  assert.equal(whole.items[1200].text, "n1200");
  assert.equal(whole.more, false);
  assert.deepEqual(asked, [
    "/v1/incidents/INC1/notes?page.page_size=500",
    "/v1/incidents/INC1/notes?page.page_size=500&page.page_token=500",
    "/v1/incidents/INC1/notes?page.page_size=500&page.page_token=1000",
  ]);
  // A path with a query of its own keeps it; a bound reached with pages left says so.
  asked.length = 0;
  const bounded = await readWholeList<{ text: string }>(get, "/v1/x/history?include_relationships=true", "notes", 1000);
  assert.equal(bounded.items.length, 1000);
  assert.equal(bounded.more, true);
  assert.equal(asked[0], "/v1/x/history?include_relationships=true&page.page_size=500");
});
