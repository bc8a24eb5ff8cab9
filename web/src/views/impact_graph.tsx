// The impact graph drawn in SVG from the pure layout (graph.ts): the analysed CI on the left,
// each column one relationship further away, arrows pointing away from it, each arrow labelled
// with its relationship. Every box is a link to its CI (Tab reaches them, in column order);
// the table beside it (ci.tsx) says the same in text.
import type { GraphEdge, GraphNode } from "../cmdb";
import { layoutLayers } from "../graph";
import { enumLabel } from "../labels";

const PAD = 12;

function short(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function ImpactGraph({ nodes, edges, label }: { nodes: GraphNode[]; edges: GraphEdge[]; label: string }) {
  const layout = layoutLayers(nodes, edges);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const type = new Map(edges.map((e) => [`${e.from}>${e.to}`, e.type]));
  // Tab order follows the columns, then the rows, as a reader scans the drawing.
  const placed = [...layout.nodes].sort((a, b) => a.layer - b.layer || a.order - b.order);
  return (
    <svg
      class="graph"
      role="group"
      aria-label={label}
      width={layout.width + 2 * PAD}
      height={layout.height + 2 * PAD}
      viewBox={`${-PAD} ${-PAD} ${layout.width + 2 * PAD} ${layout.height + 2 * PAD}`}
    >
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head" />
        </marker>
      </defs>
      {layout.edges.map((e) => {
        const [[x0, y0], [x1, y1], [x2, y2], [x3, y3]] = e.points;
        const relation = enumLabel(type.get(`${e.from}>${e.to}`), "RELATIONSHIP_TYPE").toLowerCase();
        return (
          <g key={`${e.from}>${e.to}`} class="edge" aria-hidden="true">
            <path d={`M ${x0} ${y0} C ${x1} ${y1}, ${x2} ${y2}, ${x3} ${y3}`} marker-end="url(#arrow)" />
            <text x={(x0 + x3) / 2} y={(y0 + y3) / 2 - 4} text-anchor="middle">
              {relation}
            </text>
          </g>
        );
      })}
      {placed.map((p) => {
        const ci = byId.get(p.id)!.ci;
        const critical = ci.businessCriticality === "BUSINESS_CRITICALITY_CRITICAL" || ci.businessCriticality === "BUSINESS_CRITICALITY_HIGH";
        return (
          <a
            key={p.id}
            href={`#/cis/${encodeURIComponent(p.id)}`}
            class={`node${p.layer === 0 ? " origin" : ""}${critical ? " critical" : ""}`}
            data-ci={`${ci.className}/${ci.name}`}
          >
            {/* The link's accessible name (SVG: the title child), also the hover text: the
                full key, which a long name's box cuts, and where it stands. */}
            <title>{`${ci.className}/${ci.name}${p.layer === 0 ? ", the analysed CI" : `, ${p.layer} step${p.layer === 1 ? "" : "s"} away`}${critical ? `, criticality ${enumLabel(ci.businessCriticality, "BUSINESS_CRITICALITY").toLowerCase()}` : ""} (${enumLabel(ci.status, "LIFECYCLE_STATUS").toLowerCase()})`}</title>
            <rect x={p.x} y={p.y} width={p.width} height={p.height} rx="6" />
            <text x={p.x + 10} y={p.y + 18} class="name">
              {short(ci.name ?? p.id, 22)}
            </text>
            <text x={p.x + 10} y={p.y + 35} class="class">
              {short(ci.className ?? "", 26)}
            </text>
          </a>
        );
      })}
    </svg>
  );
}
