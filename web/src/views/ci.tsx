// One configuration item: its facts and attributes, its relationships both ways, the impact
// graph around it (upstream or downstream, to a chosen depth), and its history with that of
// its relationships; for the roles that may, its edit, relationships added and deleted and a
// baseline of it (ci_forms.tsx).
import { useState } from "preact/hooks";
import { may } from "../access";
import type { Api } from "../api";
import { ciKey, impactGraph, type AttributeDefinition, type CiHistoryEntry, type ConfigurationItem, type Direction, type ImpactAnalysis, type Relationship } from "../cmdb";
import { enumLabel, query } from "../labels";
import { formatTime } from "../time";
import { useCaller } from "./caller";
import { BaselineCreate, CiEdit, RelationshipAdd, RelationshipDelete } from "./ci_forms";
import { HistoryTable } from "./history_table";
import { useKeepFocus } from "./keep_focus";
import { ImpactGraph } from "./impact_graph";
import { ErrorText, useRead } from "./read";
import { readWholeList } from "../paging";

// Relationships are read for at most this many CIs of an impact graph (one call each), to draw
// the second ways between them; a bigger graph shows its shortest paths only.
const MAX_RELATIONSHIP_READS = 40;

export function CiView({ api, id }: { api: Api; id: string }) {
  const path = `/v1/configurationItems/${encodeURIComponent(id)}`;
  const item = useRead(() => api.get<{ configurationItem: ConfigurationItem }>(path).then((r) => r.configurationItem), [id]);
  const relationships = useRead(async () => {
    const r = await api.get<{ outgoing?: Relationship[]; incoming?: Relationship[]; truncated?: boolean }>(`${path}/relationships`);
    const others = [...new Set([...(r.outgoing ?? []).map((x) => x.targetId!), ...(r.incoming ?? []).map((x) => x.sourceId!)])];
    const names = new Map<string, string>();
    await Promise.all(
      others.map((o) =>
        api.get<{ configurationItem: ConfigurationItem }>(`/v1/configurationItems/${encodeURIComponent(o)}`).then(
          (x) => names.set(o, ciKey(x.configurationItem)),
          () => names.set(o, o),
        ),
      ),
    );
    return { outgoing: r.outgoing ?? [], incoming: r.incoming ?? [], truncated: r.truncated ?? false, names };
  }, [id]);
  // The class's schema: every attribute it defines (inherited first), set or not.
  const schema = useRead(
    () =>
      item.data?.className
        ? api.get<{ ciClass?: { effectiveAttributes?: AttributeDefinition[] } }>(`/v1/classes/${encodeURIComponent(item.data.className)}`).then((r) => r.ciClass?.effectiveAttributes ?? [])
        : Promise.resolve([] as AttributeDefinition[]),
    [item.data?.className],
  );
  const history = useRead(() => readWholeList<CiHistoryEntry>((p) => api.get(p), `${path}/history?include_relationships=true`, "entries"), [id]);
  const caller = useCaller(api);
  // After a write: the CI, its relationships, its history and the graph as they now are.
  const done = () => {
    item.reload();
    relationships.reload();
    history.reload();
    impact.reload();
  };
  const [direction, setDirection] = useState<Direction>("IMPACT_DIRECTION_DOWNSTREAM");
  const [depth, setDepth] = useState(3);
  const impact = useRead(async () => {
    const analysis = await api.get<ImpactAnalysis>(`${path}:analyzeImpact?${query([["direction", direction], ["max_depth", depth], ["max_results", 200]])}`);
    const shown = [analysis.origin?.id, ...(analysis.items ?? []).map((i) => i.ci?.id)].filter((x): x is string => !!x);
    const more: Relationship[] = [];
    if (shown.length <= MAX_RELATIONSHIP_READS) {
      const all = await Promise.all(
        shown.map((s) =>
          api.get<{ outgoing?: Relationship[] }>(`/v1/configurationItems/${encodeURIComponent(s)}/relationships`).then(
            (r) => r.outgoing ?? [],
            () => [],
          ),
        ),
      );
      more.push(...all.flat());
    }
    return { analysis, graph: impactGraph(analysis, more) };
  }, [id, direction, depth]);

  useKeepFocus(item.data?.version, ["ci-title"]);
  const related = relationships.data;
  useKeepFocus(related ? [...related.outgoing, ...related.incoming].map((r) => r.id).join() : undefined, ["relationships-title"]);
  const ci = item.data;
  if (!ci) {
    return (
      <section aria-labelledby="ci-title">
        <p class="help">
          <a href="#/cmdb">← Configuration items</a>
        </p>
        <h1 id="ci-title" tabIndex={-1}>
          Configuration item
        </h1>
        {item.loading ? <p>Loading…</p> : <ErrorText error={item.error} />}
      </section>
    );
  }
  // The schema's attributes in its order, then any value the schema no longer names.
  const values = ci.attributes ?? {};
  const defined = schema.data ?? [];
  const attributes: Array<{ name: string; value?: string; def?: AttributeDefinition }> = [
    ...defined.map((def) => ({ name: def.name, value: values[def.name], def })),
    ...Object.keys(values)
      .filter((k) => !defined.some((d) => d.name === k))
      .sort()
      .map((name) => ({ name, value: values[name] })),
  ];
  const names = relationships.data?.names ?? new Map<string, string>();
  const relationRows = [
    ...(relationships.data?.outgoing ?? []).map((r) => ({ r, other: r.targetId!, reads: `${enumLabel(r.type, "RELATIONSHIP_TYPE").toLowerCase()} →` })),
    ...(relationships.data?.incoming ?? []).map((r) => ({ r, other: r.sourceId!, reads: `← ${enumLabel(r.type, "RELATIONSHIP_TYPE").toLowerCase()}` })),
  ];
  const entries = history.data?.items ?? [];
  const downstream = direction === "IMPACT_DIRECTION_DOWNSTREAM";
  return (
    <section aria-labelledby="ci-title">
      <p class="help">
        <a href="#/cmdb">← Configuration items</a>
      </p>
      <h1 id="ci-title" tabIndex={-1}>
        {ci.className}/{ci.name}
      </h1>
      <dl class="facts">
        <dt>Class</dt>
        <dd>{ci.className}</dd>
        <dt>Status</dt>
        <dd data-testid="ci-status">{enumLabel(ci.status, "LIFECYCLE_STATUS")}</dd>
        <dt>Criticality</dt>
        <dd>{enumLabel(ci.businessCriticality, "BUSINESS_CRITICALITY")}</dd>
        <dt>Owner group</dt>
        <dd>{ci.ownerGroup || "—"}</dd>
        <dt>Created</dt>
        <dd>
          {formatTime(ci.createTime)} by {ci.createdBy}
        </dd>
        <dt>Updated</dt>
        <dd>{formatTime(ci.updateTime)}</dd>
        {ci.description && (
          <>
            <dt>Description</dt>
            <dd class="value">{ci.description}</dd>
          </>
        )}
      </dl>
      {ci.status !== "LIFECYCLE_STATUS_RETIRED" && may(caller, "ci.update") && <CiEdit key={`${ci.version}/${defined.length}`} api={api} ci={ci} defs={defined} done={done} />}
      {may(caller, "baseline.create") && <BaselineCreate api={api} ci={ci} />}

      <h2 id="attributes-title">Attributes</h2>
      {attributes.length === 0 ? (
        <p class="help">The class {ci.className} defines no attributes.</p>
      ) : (
        <table aria-labelledby="attributes-title" id="attributes">
          <thead>
            <tr>
              <th scope="col">Attribute</th>
              <th scope="col">Value</th>
              <th scope="col">Type</th>
            </tr>
          </thead>
          <tbody>
            {attributes.map((a) => (
              <tr key={a.name}>
                <th scope="row">
                  {a.name}
                  {a.def?.required ? " (required)" : ""}
                </th>
                <td class="value">{a.value ?? "—"}</td>
                <td>
                  {a.def ? enumLabel(a.def.type, "ATTRIBUTE_TYPE").toLowerCase() : "not in the class"}
                  {a.def?.referenceClass ? ` to ${a.def.referenceClass}` : ""}
                  {a.def?.description ? ` — ${a.def.description}` : ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2 id="relationships-title" tabIndex={-1}>
        Relationships
      </h2>
      <ErrorText error={relationships.error} />
      {relationships.data?.truncated && (
        <p class="help" id="relationships-truncated">
          The first 1,000 each way are shown: this CI has more. The impact analysis below reads them all.
        </p>
      )}
      <table aria-labelledby="relationships-title" id="relationships">
        <thead>
          <tr>
            <th scope="col">This CI</th>
            <th scope="col">Other CI</th>
            <th scope="col">Since</th>
            {may(caller, "relationship.delete") && <th scope="col">Remove</th>}
          </tr>
        </thead>
        <tbody>
          {relationRows.map(({ r, other, reads }) => (
            <tr key={r.id}>
              <td>{reads}</td>
              <td>
                <a href={`#/cis/${encodeURIComponent(other)}`}>{names.get(other) ?? other}</a>
              </td>
              <td>{formatTime(r.createTime)}</td>
              {may(caller, "relationship.delete") && (
                <td>
                  <RelationshipDelete api={api} relationship={r} label={`${ci.name} ${reads} ${names.get(other) ?? other}`} done={done} />
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {ci.status !== "LIFECYCLE_STATUS_RETIRED" && may(caller, "relationship.create") && <RelationshipAdd api={api} ci={ci} done={done} />}

      <h2 id="impact-title">Impact</h2>
      <form class="filters" aria-label="Impact analysis" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="impact-direction">Direction</label>
          <select id="impact-direction" value={direction} onChange={(e) => setDirection((e.target as HTMLSelectElement).value as Direction)}>
            <option value="IMPACT_DIRECTION_DOWNSTREAM">Downstream: what its failure impacts</option>
            <option value="IMPACT_DIRECTION_UPSTREAM">Upstream: what it depends on</option>
          </select>
        </div>
        <div class="field">
          <label for="impact-depth">Depth</label>
          <select id="impact-depth" value={String(depth)} onChange={(e) => setDepth(Number((e.target as HTMLSelectElement).value))}>
            {Array.from({ length: 12 }, (_, i) => i + 1).map((d) => (
              <option key={d} value={String(d)}>
                {d} relationship{d === 1 ? "" : "s"}
              </option>
            ))}
          </select>
        </div>
      </form>
      <ErrorText error={impact.error} />
      {impact.data && (
        <>
          <p class="count" aria-live="polite">
            {impact.data.analysis.items?.length ?? 0} CI{impact.data.analysis.items?.length === 1 ? "" : "s"}{" "}
            {downstream ? "impacted by its failure" : "it depends on"}
            {impact.data.analysis.truncated ? " (more exist: the first 200 are shown)" : ""}. Arrows point away from{" "}
            {ci.name}; each names the relationship followed. A red border marks a CI of high or critical
            business criticality.
          </p>
          {(impact.data.analysis.items?.length ?? 0) > 0 && (
            <div class="graph-box">
              <ImpactGraph
                nodes={impact.data.graph.nodes}
                edges={impact.data.graph.edges}
                label={`Impact graph of ${ci.className}/${ci.name}, ${downstream ? "downstream" : "upstream"}, ${depth} deep`}
              />
            </div>
          )}
          <table id="impact-table" aria-labelledby="impact-title">
            <thead>
              <tr>
                <th scope="col">Depth</th>
                <th scope="col">CI</th>
                <th scope="col">Criticality</th>
                <th scope="col">Path</th>
              </tr>
            </thead>
            <tbody>
              {(impact.data.analysis.items ?? []).map((i) => (
                <tr key={i.ci?.id}>
                  <td>{i.depth}</td>
                  <td>
                    <a href={`#/cis/${encodeURIComponent(i.ci?.id ?? "")}`}>{ciKey(i.ci)}</a>
                  </td>
                  <td>{enumLabel(i.ci?.businessCriticality, "BUSINESS_CRITICALITY")}</td>
                  <td>
                    {[ci.name, ...(i.path ?? []).map((s) => `(${enumLabel(s.relationshipType, "RELATIONSHIP_TYPE").toLowerCase()}) ${s.ci?.name}`)].join(" → ")}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      <ErrorText error={history.error} />
      <HistoryTable
        id="history"
        title="History"
        entries={entries.map((e) => e.entry ?? {})}
        more={history.data?.more}
        subject={(n) => (entries[n].subjectType === "SUBJECT_TYPE_RELATIONSHIP" ? "relationship" : "this CI")}
      />
    </section>
  );
}
