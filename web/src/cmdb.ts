// The CMDB's REST shapes (proto3 JSON of proto/itsm/config/v1/config.proto) and the impact graph
// built from an impact analysis (pure: unit-tested).
import type { AuditEntry, FieldChange } from "./model";

export interface CiSummary {
  id: string;
  className?: string;
  name?: string;
  status?: string;
  businessCriticality?: string;
}
export interface AttributeDefinition {
  name: string;
  type?: string;
  required?: boolean;
  enumValues?: string[];
  referenceClass?: string;
  description?: string;
}
export interface ConfigurationItem extends CiSummary {
  ownerGroup?: string;
  description?: string;
  attributes?: Record<string, string>;
  createdBy?: string;
  createTime?: string;
  updateTime?: string;
  version?: string;
}
export interface Relationship {
  id: string;
  type?: string;
  sourceId?: string;
  targetId?: string;
  description?: string;
  createTime?: string;
}
export interface PathStep {
  ci?: CiSummary;
  relationshipId?: string;
  relationshipType?: string;
}
export interface ImpactedItem {
  ci?: CiSummary;
  depth?: number;
  path?: PathStep[];
}
export interface ImpactAnalysis {
  origin?: CiSummary;
  items?: ImpactedItem[];
  truncated?: boolean;
}
export interface CiHistoryEntry {
  subjectId?: string;
  subjectType?: string;
  entry?: AuditEntry;
}
export interface Baseline {
  id: string;
  name?: string;
  description?: string;
  rootCiId?: string;
  rootDepth?: number;
  ciCount?: number;
  relationshipCount?: number;
  createdBy?: string;
  createTime?: string;
}
export interface BaselineDiff {
  baseline?: Baseline;
  configurationItems?: Array<{ ci?: CiSummary; kind?: string; changes?: FieldChange[] }>;
  relationships?: Array<{ relationship?: Relationship; kind?: string }>;
}

export const LIFECYCLE_STATUSES = ["LIFECYCLE_STATUS_PLANNED", "LIFECYCLE_STATUS_IN_BUILD", "LIFECYCLE_STATUS_LIVE", "LIFECYCLE_STATUS_RETIRED"];
export const RELATIONSHIP_TYPES = ["RELATIONSHIP_TYPE_DEPENDS_ON", "RELATIONSHIP_TYPE_RUNS_ON", "RELATIONSHIP_TYPE_CONNECTED_TO", "RELATIONSHIP_TYPE_MEMBER_OF"];
export type Direction = "IMPACT_DIRECTION_DOWNSTREAM" | "IMPACT_DIRECTION_UPSTREAM";

// "server/db-node-1": the key every CMDB call accepts, and what a person recognises.
export function ciKey(ci: CiSummary | undefined): string {
  if (!ci) return "—";
  return ci.className && ci.name ? `${ci.className}/${ci.name}` : ci.id;
}

export interface GraphNode {
  id: string;
  layer: number;
  ci: CiSummary;
}
export interface GraphEdge {
  from: string;
  to: string;
  // The relationship's id and type ("RELATIONSHIP_TYPE_RUNS_ON").
  id: string;
  type: string;
}

// The graph of an impact analysis: the analysed CI in layer 0 and every CI reached in the layer
// of its depth; edges are the relationships of the shortest paths, plus `more` (relationships
// read for the CIs shown) wherever both ends are shown — a CI reached two ways (a database two
// applications use) then shows both. Edges point away from the analysed CI (from the lower
// layer to the higher; within a layer, source to target), so the drawing reads left to right.
export function impactGraph(analysis: ImpactAnalysis, more: Relationship[] = []): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const origin = analysis.origin;
  if (!origin) return { nodes: [], edges: [] };
  const nodes = new Map<string, GraphNode>([[origin.id, { id: origin.id, layer: 0, ci: origin }]]);
  for (const item of analysis.items ?? []) {
    if (item.ci && !nodes.has(item.ci.id)) nodes.set(item.ci.id, { id: item.ci.id, layer: item.depth ?? 1, ci: item.ci });
  }
  const edges = new Map<string, GraphEdge>();
  const add = (a: string, b: string, id: string, type: string) => {
    if (!nodes.has(a) || !nodes.has(b) || a === b || edges.has(id)) return;
    const [la, lb] = [nodes.get(a)!.layer, nodes.get(b)!.layer];
    edges.set(id, la <= lb ? { from: a, to: b, id, type } : { from: b, to: a, id, type });
  };
  for (const item of analysis.items ?? []) {
    let previous = origin.id;
    for (const step of item.path ?? []) {
      if (!step.ci) break;
      add(previous, step.ci.id, step.relationshipId ?? `${previous}>${step.ci.id}`, step.relationshipType ?? "");
      previous = step.ci.id;
    }
  }
  for (const r of more) if (r.sourceId && r.targetId) add(r.sourceId, r.targetId, r.id, r.type ?? "");
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}
