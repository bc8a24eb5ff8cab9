// The virtualised list's arithmetic, apart from the view: which rows of a long list are on
// screen (fixed row height, so a row's place is its index times the height — no measuring), and
// where the keyboard's row keys lead. Pure, so `node --test` checks it (tests/unit/virtual.test.ts).

export interface RowWindow {
  // Rows [first, last) are rendered; the rest are spacers of the same total height.
  first: number;
  last: number;
}

// The rows to render for a viewport of `viewport` px scrolled to `scrollTop` px over `count`
// rows of `rowHeight` px, with `overscan` rows either side so a fast scroll shows no gap before
// the next frame renders.
export function rowWindow(scrollTop: number, viewport: number, rowHeight: number, count: number, overscan = 10): RowWindow {
  if (count <= 0) return { first: 0, last: 0 };
  const top = Math.max(0, Math.floor(scrollTop / rowHeight));
  const shown = Math.ceil(Math.max(viewport, rowHeight) / rowHeight) + 1;
  const first = Math.min(Math.max(0, top - overscan), Math.max(0, count - 1));
  const last = Math.min(count, top + shown + overscan);
  return { first, last: Math.max(last, first + 1) };
}

// The row a key moves to from row `at` (-1: none focused yet), or null for another key.
export function rowAfterKey(key: string, at: number, count: number, pageRows: number): number | null {
  if (count === 0) return null;
  const clamp = (n: number) => Math.min(count - 1, Math.max(0, n));
  switch (key) {
    case "ArrowDown":
      return clamp(at + 1);
    case "ArrowUp":
      return clamp(at - 1);
    case "PageDown":
      return clamp(at + Math.max(1, pageRows));
    case "PageUp":
      return clamp(at - Math.max(1, pageRows));
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return null;
  }
}

// The scroll position that brings row `index` fully into a viewport of `viewport` px (below a
// sticky header of `header` px), moving as little as possible; `scrollTop` when it is in view.
export function scrollToShow(index: number, scrollTop: number, viewport: number, rowHeight: number, header = 0): number {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewport - header) return bottom - viewport + header;
  return scrollTop;
}
