// The queue: the records matching the filters, every page of the list read progressively once
// per stream position and kept current by the event stream (main.tsx), never reloaded. The list
// is virtualised: rows have one fixed height, and only those on screen (and a few either side)
// are in the DOM, so 10,000 records scroll smoothly; the table keeps its semantics
// (aria-rowcount / aria-rowindex tell assistive technology where a row is in the whole list).
// Arrow keys, Page Up/Down, Home and End move between rows, Enter opens one.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import type { Api } from "../api";
import { KIND_LIST, KINDS, recordHref } from "../kinds";
import { PRIORITIES, priorityLabel, stateLabel, type Priority, type WorkRecord } from "../model";
import { readAllPages } from "../paging";
import { rowSla } from "../sla";
import type { SlaCache } from "../sla_cache";
import { changedSincePath, effective, filtersForKind, listPath, visible, type Filters, type Me, type SortKey } from "../queue";
import { loadFilters, saveFilters } from "../saved_views";
import { formatShort, formatTime } from "../time";
import { rowAfterKey, rowWindow, scrollToShow } from "../virtual";
import { DraftInput } from "./draft_input";
import { loadGroups, SavedViews, ScopeField } from "./saved_views";
import { useNow, useSlaCache } from "./sla_hooks";

interface Props {
  api: Api;
  records: Map<string, WorkRecord>;
  merge: (records: WorkRecord[]) => void;
  epoch: number;
  sla: SlaCache;
}

// One row's height in px, the same as `.queue-table tbody tr` in styles.css.
const ROW = 36;
// How long the visible rows must stay put before their SLA clocks are read: a fast scroll
// through 10,000 rows reads nothing until it stops.
const SLA_SETTLE_MS = 150;

function toggle<T>(list: T[], value: T): T[] {
  return list.includes(value) ? list.filter((v) => v !== value) : [...list, value];
}

export function Queue({ api, records, merge, epoch, sla }: Props) {
  // The filters last used, so coming back from a record finds the queue as it was left.
  const [filters, setFiltersNow] = useState<Filters>(() => loadFilters(localStorage));
  const setFilters = (f: Filters) => {
    saveFilters(localStorage, f);
    setFiltersNow(f);
  };
  const [error, setError] = useState("");
  const [loading, setLoading] = useState<{ done: boolean; read: number }>({ done: false, read: 0 });
  const info = KINDS[filters.kind];
  // Who is asking (GET /v1/session), for "assigned to me"; the groups they named.
  const [subject, setSubject] = useState<string | null>(null);
  const [groups, setGroups] = useState<string[]>(loadGroups);
  const me: Me = { subject: subject ?? "", groups };
  const query = useMemo(() => effective(filters, { subject: subject ?? "", groups }), [filters, subject, groups]);

  useEffect(() => {
    api.get<{ subject?: string }>("/v1/session").then(
      (r) => setSubject(r.subject ?? ""),
      () => setSubject(null),
    );
  }, []);

  // A read is cancelled when the filters change, not when the stream is positioned anew (epoch):
  // what it already brought is valid (a newer version always wins), so the first rows show
  // without waiting for the stream to open.
  const reading = useRef({ cancelled: false });
  // A read that failed (the service restarting) is tried again, backing off to 30 s: the stream
  // may be live meanwhile, and would otherwise show only what arrives after the failure.
  const [retry, setRetry] = useState(0);
  const failedReads = useRef(0);
  // When the last read of these filters started: a later epoch re-reads only what changed since.
  const readSince = useRef<number | null>(null);
  useEffect(() => {
    const token = { cancelled: false };
    reading.current = token;
    readSince.current = null;
    return () => {
      token.cancelled = true;
    };
  }, [query]);

  useEffect(() => {
    const token = reading.current;
    const kind = filters.kind;
    const since = readSince.current;
    readSince.current = Date.now();
    // The stream was positioned after a read: what changed in between is re-read. Incidents
    // can be asked for exactly that (updated_after, any state, so records that left the queue
    // are seen leaving); the other kinds' lists cannot, and are read again whole.
    const delta = since !== null && kind === "incident";
    if (!delta) setLoading({ done: false, read: 0 });
    readAllPages(
      async (page) => {
        const r = await api.get<Record<string, unknown>>(delta ? changedSincePath(since!, page) : listPath(query, page));
        return { items: (r[KINDS[kind].listKey] as WorkRecord[] | undefined) ?? [], nextPageToken: String(r.nextPageToken ?? "") };
      },
      (items, done, read) => {
        merge(items.map((i) => ({ ...i, kind })));
        if (!delta) setLoading({ done, read });
      },
      () => token.cancelled,
    )
      .then(() => {
        if (token.cancelled) return;
        failedReads.current = 0;
        setError("");
      })
      .catch((e: Error) => {
        if (token.cancelled) return;
        setError(e.message);
        setLoading((l) => ({ ...l, done: true }));
        readSince.current = since;  // the next try reads what this one was to read
        const wait = Math.min(30_000, 2_000 * 2 ** failedReads.current++);
        setTimeout(() => !token.cancelled && setRetry((r) => r + 1), wait);
      });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [query, epoch, retry]);

  const rows = useMemo(() => visible(records, query), [records, query]);
  const noun = rows.length === 1 ? info.singular.toLowerCase() : info.plural.toLowerCase();
  return (
    <section aria-labelledby="queue-title">
      <h1 id="queue-title" tabIndex={-1}>
        Queue
      </h1>
      <SavedViews filters={filters} apply={setFilters} />
      <FilterForm filters={filters} setFilters={setFilters} me={me} setGroups={setGroups} />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p class="count" aria-live="polite">
        {loading.done ? `${rows.length.toLocaleString("en")} ${noun}` : `Loading… ${loading.read.toLocaleString("en")} read`}
      </p>
      <VirtualTable rows={rows} caption={`${info.plural} matching the filters`} sla={info.hasSla ? sla : null} />
    </section>
  );
}

function FilterForm({ filters, setFilters, me, setGroups }: { filters: Filters; setFilters: (f: Filters) => void; me: Me; setGroups: (g: string[]) => void }) {
  const info = KINDS[filters.kind];
  return (
    <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
      <fieldset>
        <legend>Record type</legend>
        {KIND_LIST.map((k) => (
          <label key={k} class="check">
            <input type="radio" name="kind" checked={filters.kind === k} onChange={() => setFilters(filtersForKind(k, filters))} />
            {KINDS[k].plural}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>State</legend>
        {info.states.map((s) => (
          <label key={s} class="check">
            <input type="checkbox" checked={filters.states.includes(s)} onChange={() => setFilters({ ...filters, states: toggle(filters.states, s) })} />
            {stateLabel(s)}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Priority</legend>
        {PRIORITIES.map((p) => (
          <label key={p} class="check">
            <input type="checkbox" checked={filters.priorities.includes(p)} onChange={() => setFilters({ ...filters, priorities: toggle<Priority>(filters.priorities, p) })} />
            {priorityLabel(p)}
          </label>
        ))}
      </fieldset>
      <ScopeField filters={filters} setFilters={setFilters} me={me} setGroups={setGroups} />
      <div class="field">
        <label for="filter-assignee">Assignee</label>
        <DraftInput id="filter-assignee" value={filters.assignee} commit={(v) => setFilters({ ...filters, assignee: v })} />
      </div>
      <div class="field">
        <label for="filter-group">Assignment group</label>
        <DraftInput id="filter-group" value={filters.assignmentGroup} commit={(v) => setFilters({ ...filters, assignmentGroup: v })} />
      </div>
      <div class="field">
        <label for="sort">Sort by</label>
        <select id="sort" value={filters.sort} onChange={(e) => setFilters({ ...filters, sort: (e.target as HTMLSelectElement).value as SortKey })}>
          <option value="priority">Priority, then oldest</option>
          <option value="newest">Newest first</option>
          <option value="oldest">Oldest first</option>
          <option value="updated">Recently changed</option>
        </select>
      </div>
    </form>
  );
}

function VirtualTable({ rows, caption, sla }: { rows: WorkRecord[]; caption: string; sla: SlaCache | null }) {
  const scroller = useRef<HTMLDivElement>(null);
  const now = useNow();
  useSlaCache(sla);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(720);
  // The row to focus once it is rendered (keyboard moves may leave the rendered window).
  const pendingFocus = useRef<number | null>(null);

  useEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const measure = () => setViewport(element.clientHeight);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const { first, last } = rowWindow(scrollTop, viewport, ROW, rows.length);
  const columns = sla ? 8 : 7;

  // The SLA clocks of the rows actually on screen (no overscan), once the scrolling settles.
  const shown = rowWindow(Math.max(0, scrollTop - ROW), viewport, ROW, rows.length, 0);
  const shownIds = rows.slice(shown.first, shown.last).map((r) => r.id).join(" ");
  useEffect(() => {
    if (!sla) return;
    const timer = setTimeout(() => sla.want(shownIds ? shownIds.split(" ") : []), SLA_SETTLE_MS);
    return () => clearTimeout(timer);
  }, [sla, shownIds]);

  useLayoutEffect(() => {
    if (pendingFocus.current === null) return;
    const link = scroller.current?.querySelector<HTMLElement>(`tr[data-index="${pendingFocus.current}"] a`);
    if (link) {
      link.focus({ preventScroll: true });
      pendingFocus.current = null;
    }
  });

  const onKey = (e: KeyboardEvent) => {
    const row = (e.target as HTMLElement).closest<HTMLElement>("tr[data-index]");
    const at = row ? Number(row.dataset.index) : -1;
    const next = rowAfterKey(e.key, at, rows.length, Math.max(1, Math.floor(viewport / ROW) - 2));
    if (next === null || !scroller.current) return;
    e.preventDefault();
    const top = scrollToShow(next, scroller.current.scrollTop, viewport, ROW, ROW);
    scroller.current.scrollTop = top;
    setScrollTop(top);
    pendingFocus.current = next;
    // Already rendered: focus at once (the layout effect covers rows rendered by the scroll).
    const link = scroller.current.querySelector<HTMLElement>(`tr[data-index="${next}"] a`);
    if (link) {
      link.focus({ preventScroll: true });
      pendingFocus.current = null;
    }
  };

  return (
    <div class="queue-scroll" ref={scroller} onScroll={(e) => setScrollTop((e.currentTarget as HTMLDivElement).scrollTop)}>
      <table id="queue-table" class="queue-table" aria-rowcount={rows.length + 1} onKeyDown={onKey}>
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr aria-rowindex={1}>
            <th scope="col" class="c-number">Number</th>
            <th scope="col" class="c-title">Title</th>
            <th scope="col" class="c-prio">Priority</th>
            <th scope="col" class="c-state">State</th>
            {sla && (
              <th scope="col" class="c-sla">
                SLA
              </th>
            )}
            <th scope="col" class="c-who">Assignee</th>
            <th scope="col" class="c-who">Group</th>
            <th scope="col" class="c-time">Updated</th>
          </tr>
        </thead>
        <tbody>
          {first > 0 && (
            <tr class="spacer" aria-hidden="true" style={{ height: `${first * ROW}px` }}>
              <td colSpan={columns} />
            </tr>
          )}
          {rows.slice(first, last).map((r, n) => (
            <tr key={r.id} data-id={r.id} data-index={first + n} aria-rowindex={first + n + 2}>
              <td>
                <a href={recordHref(r.kind, r.id)}>{r.number ?? r.id}</a>
              </td>
              <td title={r.title}>{r.title}</td>
              <td>
                <span class={`prio prio-${priorityLabel(r.priority)}`}>{priorityLabel(r.priority)}</span>
              </td>
              <td>{stateLabel(r.state)}</td>
              {sla && <SlaCell sla={sla} id={r.id} now={now} />}
              <td>{r.assignee || "—"}</td>
              <td>{r.assignmentGroup || "—"}</td>
              <td title={`created ${formatTime(r.createTime)}, updated ${formatTime(r.updateTime)}`}>{formatShort(r.updateTime)}</td>
            </tr>
          ))}
          {last < rows.length && (
            <tr class="spacer" aria-hidden="true" style={{ height: `${(rows.length - last) * ROW}px` }}>
              <td colSpan={columns} />
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

// A row's SLA: the clock nearest its target, counting down, coloured by the share left.
function SlaCell({ sla, id, now }: { sla: SlaCache; id: string; now: number }) {
  const clocks = sla.clocksOf(id);
  if (!clocks && !sla.loaded(id)) return <td class="sla sla-none">…</td>;
  const cell = rowSla(clocks, now);
  const label = cell.clock ? `${cell.clock.name} ${cell.clock.kind}: ${cell.text}` : "no SLA clock";
  return (
    <td class={`sla sla-${cell.level}`} title={label} data-sla={cell.level}>
      {cell.text}
    </td>
  );
}
