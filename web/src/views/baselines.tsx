// Baselines: the baselines taken (ListBaselines, by name), a new one of a CI and everything it
// depends on (CreateBaseline), and what drifted since one (DiffBaseline, #/baselines/<name>):
// CIs added, removed or changed field by field, relationships added or removed.
import { useState } from "preact/hooks";
import { may } from "../access";
import type { Api } from "../api";
import { ciKey, type Baseline, type BaselineDiff, type ConfigurationItem } from "../cmdb";
import { enumLabel, query } from "../labels";
import { formatTime } from "../time";
import { useCaller } from "./caller";
import { Field } from "./field";
import { ErrorText, usePages, useRead } from "./read";

type Page = { baselines?: Baseline[]; nextPageToken?: string };

function TakenBaselines({ api }: { api: Api }) {
  const list = usePages(async (token) => {
    const page = await api.get<Page>(`/v1/baselines?${query([["page.page_size", 100], ["page.page_token", token]])}`);
    return { items: page.baselines ?? [], next: page.nextPageToken ?? "" };
  }, []);
  const rows = list.rows;
  return (
    <>
      <h2 id="baselines-list-title">Baselines taken</h2>
      <ErrorText error={list.error} />
      {list.loaded && rows.length === 0 && <p class="help">None yet.</p>}
      {rows.length > 0 && (
        <table aria-labelledby="baselines-list-title" id="baselines-list">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Scope</th>
              <th scope="col">Snapshot</th>
              <th scope="col">Taken</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((b) => (
              <tr key={b.id}>
                <td>
                  <a href={`#/baselines/${encodeURIComponent(b.name ?? b.id)}`}>{b.name ?? b.id}</a>
                </td>
                <td>{b.rootCiId ? `a CI and what it depends on, ${b.rootDepth} deep` : "a fixed list of CIs"}</td>
                <td>
                  {b.ciCount ?? 0} CIs, {b.relationshipCount ?? 0} relationships
                </td>
                <td>
                  {formatTime(b.createTime)} by {b.createdBy}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.hasMore && (
        <button type="button" disabled={list.busy} onClick={() => void list.more()}>
          Show more
        </button>
      )}
    </>
  );
}

export function Baselines({ api, name }: { api: Api; name?: string }) {
  const [open, setOpen] = useState(name ?? "");
  const [root, setRoot] = useState("");
  const [newName, setNewName] = useState("");
  const [depth, setDepth] = useState(6);
  const [createError, setCreateError] = useState("");
  const diff = useRead(async () => {
    if (!name) return null;
    const d = await api.get<BaselineDiff>(`/v1/baselines/${encodeURIComponent(name)}:diff`);
    // Relationships carry CI ids: their names, for people (a CI removed since may be gone).
    const ids = [...new Set((d.relationships ?? []).flatMap((r) => [r.relationship?.sourceId ?? "", r.relationship?.targetId ?? ""]))].slice(0, 100);
    const names = new Map<string, string>();
    await Promise.all(
      ids.map((id) =>
        api.get<{ configurationItem: ConfigurationItem }>(`/v1/configurationItems/${encodeURIComponent(id)}`).then(
          (r) => names.set(id, ciKey(r.configurationItem)),
          () => {},
        ),
      ),
    );
    return { ...d, names };
  }, [name]);
  const create = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await api.post<{ baseline: Baseline }>("/v1/baselines", { name: newName.trim(), rootCiId: root.trim(), rootDepth: depth });
      setCreateError("");
      location.hash = `#/baselines/${encodeURIComponent(r.baseline.name ?? r.baseline.id)}`;
    } catch (err) {
      setCreateError((err as Error).message);
    }
  };
  const d = diff.data;
  // Shown to the roles that may take one, as on a CI's page.
  const caller = useCaller(api);
  return (
    <section aria-labelledby="baselines-title">
      <p class="help">
        <a href="#/cmdb">← Configuration items</a>
      </p>
      <h1 id="baselines-title" tabIndex={-1}>
        {name ? `Baseline ${name}` : "Baselines"}
      </h1>
      <div class="filters">
        <form
          aria-label="Open a baseline"
          class="note-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (open.trim()) location.hash = `#/baselines/${encodeURIComponent(open.trim())}`;
          }}
        >
          <Field id="baseline-open" label="Baseline name or id">
            <input id="baseline-open" value={open} onInput={(e) => setOpen((e.target as HTMLInputElement).value)} />
          </Field>
          <button type="submit">Show drift</button>
        </form>
        {may(caller, "baseline.create") && (
          <form aria-label="New baseline" class="note-form" onSubmit={create}>
            <Field id="baseline-name" label="New baseline name">
              <input id="baseline-name" value={newName} onInput={(e) => setNewName((e.target as HTMLInputElement).value)} />
            </Field>
            <Field id="baseline-root" label="Root CI (id or class/name)">
              <input id="baseline-root" value={root} placeholder="business_service/online-shop" onInput={(e) => setRoot((e.target as HTMLInputElement).value)} />
            </Field>
            <Field id="baseline-depth" label="Depth of its dependencies">
              <select id="baseline-depth" value={String(depth)} onChange={(e) => setDepth(Number((e.target as HTMLSelectElement).value))}>
                {Array.from({ length: 12 }, (_, i) => i + 1).map((n) => (
                  <option key={n} value={String(n)}>
                    {n}
                  </option>
                ))}
              </select>
            </Field>
            <button type="submit">Take baseline</button>
            <ErrorText error={createError} />
          </form>
        )}
      </div>
      {!name && <TakenBaselines api={api} />}
      <ErrorText error={diff.error} />
      {name && diff.loading && <p>Loading…</p>}
      {d && (
        <>
          <dl class="facts">
            <dt>Taken</dt>
            <dd>
              {formatTime(d.baseline?.createTime)} by {d.baseline?.createdBy}
            </dd>
            <dt>Scope</dt>
            <dd>{d.baseline?.rootCiId ? `a CI and what it depends on, ${d.baseline.rootDepth} deep` : "a fixed list of CIs"}</dd>
            <dt>Snapshot</dt>
            <dd>
              {d.baseline?.ciCount} CIs, {d.baseline?.relationshipCount} relationships
            </dd>
          </dl>
          <h2 id="drift-cis-title">Configuration items that drifted</h2>
          {(d.configurationItems ?? []).length === 0 ? (
            <p class="help">None: every CI is as it was.</p>
          ) : (
            <table aria-labelledby="drift-cis-title" id="drift-cis">
              <thead>
                <tr>
                  <th scope="col">CI</th>
                  <th scope="col">Drift</th>
                  <th scope="col">Field</th>
                  <th scope="col">In the baseline</th>
                  <th scope="col">Now</th>
                </tr>
              </thead>
              <tbody>
                {(d.configurationItems ?? []).flatMap((c) =>
                  (c.changes?.length ? c.changes : [{}]).map((f, n) => (
                    <tr key={`${c.ci?.id}-${n}`} class={`drift-${(c.kind ?? "").replace("DRIFT_KIND_", "").toLowerCase()}`}>
                      <td>
                        <a href={`#/cis/${encodeURIComponent(c.ci?.id ?? "")}`}>{ciKey(c.ci)}</a>
                      </td>
                      <td>{enumLabel(c.kind, "DRIFT_KIND")}</td>
                      <td>{f.field ?? ""}</td>
                      <td class="value">{f.oldValue ?? ""}</td>
                      <td class="value">{f.newValue ?? ""}</td>
                    </tr>
                  )),
                )}
              </tbody>
            </table>
          )}
          <h2 id="drift-rels-title">Relationships that drifted</h2>
          {(d.relationships ?? []).length === 0 ? (
            <p class="help">None.</p>
          ) : (
            <table aria-labelledby="drift-rels-title" id="drift-relationships">
              <thead>
                <tr>
                  <th scope="col">Drift</th>
                  <th scope="col">Source</th>
                  <th scope="col">Relationship</th>
                  <th scope="col">Target</th>
                </tr>
              </thead>
              <tbody>
                {(d.relationships ?? []).map((r) => (
                  <tr key={r.relationship?.id}>
                    <td>{enumLabel(r.kind, "DRIFT_KIND")}</td>
                    <td>
                      <a href={`#/cis/${encodeURIComponent(r.relationship?.sourceId ?? "")}`}>{d.names.get(r.relationship?.sourceId ?? "") ?? r.relationship?.sourceId}</a>
                    </td>
                    <td>{enumLabel(r.relationship?.type, "RELATIONSHIP_TYPE").toLowerCase()}</td>
                    <td>
                      <a href={`#/cis/${encodeURIComponent(r.relationship?.targetId ?? "")}`}>{d.names.get(r.relationship?.targetId ?? "") ?? r.relationship?.targetId}</a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
