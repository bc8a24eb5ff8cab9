// CMDB search: configuration items by name, class (with its subclasses), status, owner group
// and criticality (ListConfigurationItems), sorted by name, a page at a time.
import { useState } from "preact/hooks";
import type { Api } from "../api";
import { LIFECYCLE_STATUSES, type ConfigurationItem } from "../cmdb";
import { enumLabel, query } from "../labels";
import { may } from "../access";
import { formatTime } from "../time";
import { useCaller } from "./caller";
import { ErrorText, usePages, useRead } from "./read";

interface Filters {
  name: string;
  className: string;
  statuses: string[];
  ownerGroup: string;
}
type Page = { configurationItems?: ConfigurationItem[]; nextPageToken?: string };

const PAGE = 100;

function searchPath(f: Filters, token: string): string {
  return `/v1/configurationItems?${query([
    ["page.page_size", PAGE],
    ["page.page_token", token],
    ["name_contains", f.name.trim()],
    ["class_names", f.className],
    ["owner_group", f.ownerGroup.trim()],
    ...f.statuses.map((s): [string, string] => ["statuses", s]),
  ])}`;
}

export function CmdbSearch({ api }: { api: Api }) {
  const caller = useCaller(api);
  const [draft, setDraft] = useState<Filters>({ name: "", className: "", statuses: [], ownerGroup: "" });
  const [filters, setFilters] = useState<Filters>(draft);
  const classes = useRead(() => api.get<{ classes?: Array<{ name: string; displayName?: string; abstract?: boolean }> }>("/v1/classes?page.page_size=500"), []);
  const list = usePages(async (token) => {
    const page = await api.get<Page>(searchPath(filters, token));
    return { items: page.configurationItems ?? [], next: page.nextPageToken ?? "" };
  }, [filters]);
  const rows = list.rows;
  const toggle = (s: string) => setDraft({ ...draft, statuses: draft.statuses.includes(s) ? draft.statuses.filter((x) => x !== s) : [...draft.statuses, s] });
  return (
    <section aria-labelledby="cmdb-title">
      <h1 id="cmdb-title" tabIndex={-1}>
        Configuration items
      </h1>
      <p class="help">
        <a href="#/baselines">Baselines and drift</a>
        {may(caller, "ci.create") && (
          <>
            {" · "}
            <a href="#/new/ci">New configuration item</a>
          </>
        )}
      </p>
      <form
        class="filters"
        aria-label="Search configuration items"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
        }}
      >
        <div class="field">
          <label for="ci-name">Name contains</label>
          <input id="ci-name" type="search" value={draft.name} onInput={(e) => setDraft({ ...draft, name: (e.target as HTMLInputElement).value })} />
        </div>
        <div class="field">
          <label for="ci-class">Class</label>
          <select id="ci-class" value={draft.className} onChange={(e) => setDraft({ ...draft, className: (e.target as HTMLSelectElement).value })}>
            <option value="">Any class</option>
            {(classes.data?.classes ?? []).map((c) => (
              <option key={c.name} value={c.name}>
                {c.displayName || c.name}
                {c.abstract ? " (and its subclasses)" : ""}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="ci-owner">Owner group</label>
          <input id="ci-owner" value={draft.ownerGroup} onInput={(e) => setDraft({ ...draft, ownerGroup: (e.target as HTMLInputElement).value })} />
        </div>
        <fieldset>
          <legend>Status</legend>
          {LIFECYCLE_STATUSES.map((s) => (
            <label key={s} class="check">
              <input type="checkbox" checked={draft.statuses.includes(s)} onChange={() => toggle(s)} />
              {enumLabel(s, "LIFECYCLE_STATUS")}
            </label>
          ))}
        </fieldset>
        <div class="field">
          <span aria-hidden="true">&nbsp;</span>
          <button type="submit">Search</button>
        </div>
      </form>
      <ErrorText error={list.error || classes.error} />
      <p class="count" aria-live="polite">
        {list.loading ? "Loading…" : `${rows.length}${list.hasMore ? "+" : ""} configuration item${rows.length === 1 ? "" : "s"}`}
      </p>
      <table id="ci-table">
        <caption class="visually-hidden">Configuration items matching the search</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Class</th>
            <th scope="col">Status</th>
            <th scope="col">Criticality</th>
            <th scope="col">Owner group</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((ci) => (
            <tr key={ci.id}>
              <td>
                <a href={`#/cis/${encodeURIComponent(ci.id)}`}>{ci.name}</a>
              </td>
              <td>{ci.className}</td>
              <td>{enumLabel(ci.status, "LIFECYCLE_STATUS")}</td>
              <td>{enumLabel(ci.businessCriticality, "BUSINESS_CRITICALITY")}</td>
              <td>{ci.ownerGroup || "—"}</td>
              <td>{formatTime(ci.updateTime)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.hasMore && (
        <button type="button" disabled={list.busy} onClick={() => void list.more()}>
          Show more
        </button>
      )}
    </section>
  );
}
