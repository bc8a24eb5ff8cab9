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

// A record's list that its page shows whole (history, notes): every page of it, in the API's
// order, up to `max` items (`more` then says the list goes on). A record's page must never show
// the first page of its trail as if it were all of it: the newest entries are on the last.
export interface WholeList<T> {
  items: T[];
  more: boolean;
}

export async function readWholeList<T>(
  get: (path: string) => Promise<Record<string, unknown>>,
  path: string,
  field: string,
  max = 20000,
): Promise<WholeList<T>> {
  const items: T[] = [];
  let token = "";
  await readAllPages<T>(
    async (pageToken) => {
      const query = `page.page_size=500${pageToken ? `&page.page_token=${encodeURIComponent(pageToken)}` : ""}`;
      const r = await get(`${path}${path.includes("?") ? "&" : "?"}${query}`);
      token = (r.nextPageToken as string | undefined) ?? "";
      return { items: (r[field] as T[] | undefined) ?? [], nextPageToken: token };
    },
    (page) => items.push(...page),
    () => false,
    max,
  );
  return { items, more: token !== "" };
}
