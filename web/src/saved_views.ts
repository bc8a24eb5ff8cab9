// The queue's filters kept in the browser: the ones last used (so the queue is as it was left
// when someone comes back from a record) and named saved views. localStorage, not
// sessionStorage: they are preferences, not secrets, and should outlive the tab (decision in
// docs/decisions.md). What is read back is checked, field by field, against what the console
// knows — an old or edited entry yields the defaults, never a broken queue. Pure over a
// Storage-like store, so `node --test` checks it (tests/unit/saved_views.test.ts).
import { KIND_LIST, KINDS } from "./kinds";
import { PRIORITIES, type Priority, type RecordKind } from "./model";
import { DEFAULT_FILTERS, filtersForKind, type Filters, type Scope, type SortKey } from "./queue";

export interface Store {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface SavedView {
  name: string;
  filters: Filters;
}

const CURRENT = "itsm.console.queue.filters";
const VIEWS = "itsm.console.queue.views";
const SORTS: SortKey[] = ["priority", "newest", "oldest", "updated"];
const SCOPES: Scope[] = ["all", "mine", "groups"];

// Filters from untrusted JSON: each field kept only if valid, else its default.
export function sanitize(value: unknown): Filters {
  const v = (value ?? {}) as Partial<Record<keyof Filters, unknown>>;
  const kind: RecordKind = KIND_LIST.includes(v.kind as RecordKind) ? (v.kind as RecordKind) : "incident";
  const base = filtersForKind(kind);
  const text = (x: unknown) => (typeof x === "string" ? x.slice(0, 200) : "");
  return {
    kind,
    states: Array.isArray(v.states) ? v.states.filter((s): s is string => KINDS[kind].states.includes(s as string)) : base.states,
    priorities: Array.isArray(v.priorities) ? v.priorities.filter((p): p is Priority => PRIORITIES.includes(p as Priority)) : [],
    assignee: text(v.assignee),
    assignmentGroup: text(v.assignmentGroup),
    sort: SORTS.includes(v.sort as SortKey) ? (v.sort as SortKey) : DEFAULT_FILTERS.sort,
    scope: SCOPES.includes(v.scope as Scope) ? (v.scope as Scope) : "all",
  };
}

function read(store: Store, key: string): unknown {
  try {
    return JSON.parse(store.getItem(key) ?? "null");
  } catch {
    return null;
  }
}

export function loadFilters(store: Store): Filters {
  const value = read(store, CURRENT);
  return value ? sanitize(value) : DEFAULT_FILTERS;
}
export function saveFilters(store: Store, filters: Filters): void {
  store.setItem(CURRENT, JSON.stringify(filters));
}

export function loadViews(store: Store): SavedView[] {
  const value = read(store, VIEWS);
  if (!Array.isArray(value)) return [];
  return value
    .filter((v): v is { name: string; filters: unknown } => typeof v?.name === "string" && v.name.trim() !== "")
    .map((v) => ({ name: v.name.trim().slice(0, 80), filters: sanitize(v.filters) }));
}

// Saves `filters` under `name` (replacing a view of that name); the views, by name.
export function saveView(store: Store, name: string, filters: Filters): SavedView[] {
  const trimmed = name.trim().slice(0, 80);
  if (!trimmed) return loadViews(store);
  const views = [...loadViews(store).filter((v) => v.name !== trimmed), { name: trimmed, filters }].sort((a, b) => a.name.localeCompare(b.name));
  store.setItem(VIEWS, JSON.stringify(views));
  return views;
}

export function deleteView(store: Store, name: string): SavedView[] {
  const views = loadViews(store).filter((v) => v.name !== name);
  store.setItem(VIEWS, JSON.stringify(views));
  return views;
}
