// Reading every page of a list (page_token / next_page_token, docs/api.md) progressively: each
// page is handed over as it arrives, so the first screen shows after one round trip while the
// rest of a 10,000-record queue follows. Stops when cancelled (the filters changed) or at
// `maxRecords` (a bound on the browser's memory; decision in docs/decisions.md).

export interface Page<T> {
  items: T[];
  nextPageToken: string;
}

export async function readAllPages<T>(
  fetchPage: (pageToken: string) => Promise<Page<T>>,
  onPage: (items: T[], done: boolean, total: number) => void,
  cancelled: () => boolean,
  maxRecords = 50000,
): Promise<number> {
  let token = "";
  let total = 0;
  for (;;) {
    const page = await fetchPage(token);
    if (cancelled()) return total;
    total += page.items.length;
    const done = !page.nextPageToken || total >= maxRecords;
    onPage(page.items, done, total);
    if (done) return total;
    token = page.nextPageToken;
  }
}
