// A record's links to other records, each a link to its own view: an incident's parent, problem, the
// configuration items it concerns and the changes linked to it (problem_id,
// configuration_item_ids, change_ids); a problem's CIs and the incidents linked to it; a change's
// problems and incidents (problem_ids, incident_ids) and those it possibly caused. Records are
// named as people know them (INC0000042 and its title, database/orders), read once per link; a
// link whose record cannot be read (another service down, no access) shows its id.
import { useEffect, useState } from "preact/hooks";
import type { Api } from "../api";
import { ciKey, type ConfigurationItem } from "../cmdb";

export interface Links {
  parentIncidentId?: string;
  childIncidentIds?: string[];
  problemId?: string;
  problemIds?: string[];
  configurationItemIds?: string[];
  changeIds?: string[];
  incidentIds?: string[];
  // A change's possibly caused incidents (caused_incidents), each with why it was linked.
  causedIncidents?: Array<{ incidentId?: string; reason?: string }>;
}

interface Linked {
  href: string;
  label: string;
  note?: string;
}

type Kind = "parent" | "child" | "problem" | "ci" | "change" | "incident" | "caused";

const COLLECTION: Record<Kind, string> = {
  parent: "incidents",
  child: "incidents",
  problem: "problems",
  ci: "cis",
  change: "changes",
  incident: "incidents",
  caused: "incidents",
};

async function nameOf(api: Api, kind: Kind, id: string): Promise<string> {
  const e = encodeURIComponent(id);
  try {
    if (kind === "ci") {
      return ciKey((await api.get<{ configurationItem: ConfigurationItem }>(`/v1/configurationItems/${e}`)).configurationItem);
    }
    const path = kind === "problem" ? `/v1/problems/${e}` : kind === "change" ? `/v1/changes/${e}` : `/v1/incidents/${e}`;
    const answer = await api.get<Record<string, { number?: string; title?: string } | undefined>>(path);
    const record = answer[kind === "problem" || kind === "change" ? kind : "incident"];
    return record?.number ? `${record.number} · ${record.title ?? ""}` : id;
  } catch {
    return id;
  }
}

const MAX_NAMED = 50;

export function LinkedRecords({ api, links }: { api: Api; links: Links }) {
  const wanted: Array<[Kind, string]> = [
    ...(links.parentIncidentId ? [["parent", links.parentIncidentId] as [Kind, string]] : []),
    ...(links.childIncidentIds ?? []).map((id) => ["child", id] as [Kind, string]),
    ...(links.problemId ? [["problem", links.problemId] as [Kind, string]] : []),
    ...(links.problemIds ?? []).map((id) => ["problem", id] as [Kind, string]),
    ...(links.configurationItemIds ?? []).map((id) => ["ci", id] as [Kind, string]),
    ...(links.changeIds ?? []).map((id) => ["change", id] as [Kind, string]),
    ...(links.incidentIds ?? []).map((id) => ["incident", id] as [Kind, string]),
    ...(links.causedIncidents ?? []).filter((c) => c.incidentId).map((c) => ["caused", c.incidentId!] as [Kind, string]),
  ];
  const why = new Map((links.causedIncidents ?? []).map((c) => [c.incidentId ?? "", c.reason ?? ""]));
  const key = wanted.map(([k, id]) => `${k}:${id}`).join(",");
  const [names, setNames] = useState<Map<string, string>>(new Map());
  useEffect(() => {
    let live = true;
    // The first links by name; a problem with thousands of incidents lists the rest by id.
    void Promise.all(wanted.slice(0, MAX_NAMED).map(async ([kind, id]) => [`${kind}:${id}`, await nameOf(api, kind, id)] as const)).then(
      (pairs) => live && setNames(new Map(pairs)),
    );
    return () => {
      live = false;
    };
  }, [key]);
  if (wanted.length === 0) return <p class="help">No linked problem, change, incident or configuration item.</p>;
  const group = (kind: Kind): Linked[] =>
    wanted
      .filter(([k]) => k === kind)
      .map(([k, id]) => ({
        href: `#/${COLLECTION[k]}/${encodeURIComponent(id)}`,
        label: names.get(`${k}:${id}`) ?? id,
        note: k === "caused" ? why.get(id) : undefined,
      }));
  const rows: Array<[string, Linked[]]> = [
    ["Parent incident", group("parent")],
    ["Child incidents", group("child")],
    [links.problemIds ? "Problems" : "Problem", group("problem")],
    ["Configuration items", group("ci")],
    ["Changes", group("change")],
    ["Incidents", group("incident")],
    ["Incidents it possibly caused", group("caused")],
  ];
  return (
    <dl class="facts" id="linked-records">
      {rows
        .filter(([, items]) => items.length > 0)
        .map(([label, items]) => (
          <>
            <dt>{label}</dt>
            <dd>
              <ul class="links">
                {items.map((item) => (
                  <li key={item.href}>
                    <a href={item.href}>{item.label}</a>
                    {item.note && <span class="help"> — {item.note}</span>}
                  </li>
                ))}
              </ul>
            </dd>
          </>
        ))}
    </dl>
  );
}
