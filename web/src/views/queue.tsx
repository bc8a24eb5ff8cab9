// The queue: incidents matching the filters, read once per stream position and kept current by
// the event stream (main.tsx), never reloaded. Arrow keys move between rows, Enter opens one.
import { useEffect, useState } from "preact/hooks";
import type { Api } from "../api";
import { PRIORITIES, STATES, priorityLabel, stateLabel, type Incident, type IncidentState, type Priority } from "../model";
import { DEFAULT_FILTERS, listQuery, visible, type Filters, type SortKey } from "../queue";
import { formatTime } from "../time";

interface Props {
  api: Api;
  records: Map<string, Incident>;
  merge: (incidents: Incident[]) => void;
  epoch: number;
}

function toggle<T>(list: T[], value: T): T[] {
  return list.includes(value) ? list.filter((v) => v !== value) : [...list, value];
}

export function Queue({ api, records, merge, epoch }: Props) {
  const [filters, setFilters] = useState<Filters>(DEFAULT_FILTERS);
  const [error, setError] = useState("");
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    api
      .get<{ incidents?: Incident[] }>(`/v1/incidents?${listQuery(filters)}`)
      .then((r) => {
        if (!cancelled) {
          merge(r.incidents ?? []);
          setError("");
        }
      })
      .catch((e: Error) => !cancelled && setError(e.message))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [filters, epoch]);

  const rows = visible(records, filters);
  const onKey = (e: KeyboardEvent) => {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    const links = [...document.querySelectorAll<HTMLElement>("#queue-table tbody a")];
    const at = links.indexOf(document.activeElement as HTMLElement);
    const next = e.key === "ArrowDown" ? Math.min(at + 1, links.length - 1) : Math.max(at - 1, 0);
    links[next]?.focus();
    e.preventDefault();
  };
  return (
    <section aria-labelledby="queue-title">
      <h1 id="queue-title" tabIndex={-1}>
        Queue
      </h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <fieldset>
          <legend>State</legend>
          {STATES.map((s) => (
            <label key={s} class="check">
              <input
                type="checkbox"
                checked={filters.states.includes(s)}
                onChange={() => setFilters({ ...filters, states: toggle<IncidentState>(filters.states, s) })}
              />
              {stateLabel(s)}
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Priority</legend>
          {PRIORITIES.map((p) => (
            <label key={p} class="check">
              <input
                type="checkbox"
                checked={filters.priorities.includes(p)}
                onChange={() => setFilters({ ...filters, priorities: toggle<Priority>(filters.priorities, p) })}
              />
              {priorityLabel(p)}
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label for="filter-assignee">Assignee</label>
          <input
            id="filter-assignee"
            value={filters.assignee}
            onChange={(e) => setFilters({ ...filters, assignee: (e.target as HTMLInputElement).value })}
          />
        </div>
        <div class="field">
          <label for="filter-group">Assignment group</label>
          <input
            id="filter-group"
            value={filters.assignmentGroup}
            onChange={(e) => setFilters({ ...filters, assignmentGroup: (e.target as HTMLInputElement).value })}
          />
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
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p class="count" aria-live="polite">
        {loading ? "Loading…" : `${rows.length} incident${rows.length === 1 ? "" : "s"}`}
      </p>
      <table id="queue-table" onKeyDown={onKey}>
        <caption class="visually-hidden">Incidents matching the filters</caption>
        <thead>
          <tr>
            <th scope="col">Number</th>
            <th scope="col">Title</th>
            <th scope="col">Priority</th>
            <th scope="col">State</th>
            <th scope="col">Assignee</th>
            <th scope="col">Group</th>
            <th scope="col">Created</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((i) => (
            <tr key={i.id} data-id={i.id}>
              <td>
                <a href={`#/incidents/${encodeURIComponent(i.id)}`}>{i.number ?? i.id}</a>
              </td>
              <td>{i.title}</td>
              <td>
                <span class={`prio prio-${priorityLabel(i.priority)}`}>{priorityLabel(i.priority)}</span>
              </td>
              <td>{stateLabel(i.state)}</td>
              <td>{i.assignee || "—"}</td>
              <td>{i.assignmentGroup || "—"}</td>
              <td>{formatTime(i.createTime)}</td>
              <td>{formatTime(i.updateTime)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
