import assert from "node:assert/strict";
import { test } from "node:test";
import { readAllPages } from "../../src/paging";
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
