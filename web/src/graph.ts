// A layered ("Sugiyama-style") layout for small directed graphs such as an impact analysis:
// each node sits in the layer it is given (its depth from the analysed CI), layers are columns
// from left to right, and within a column nodes are ordered by the mean position of their
// neighbours in the previous and next columns (barycentre sweeps) so edges cross less. Pure and
// deterministic (ties keep the input order), so it is unit-tested and a re-render never jumps.

export interface LayoutNode {
  id: string;
  layer: number;
}
export interface LayoutEdge {
  from: string;
  to: string;
}
export interface PlacedNode extends LayoutNode {
  // The node's box: top-left corner and size.
  x: number;
  y: number;
  width: number;
  height: number;
  // Its position within its layer, 0 at the top.
  order: number;
}
export interface PlacedEdge extends LayoutEdge {
  // A path from the right side of one box to the left side of the other (or the reverse when
  // the edge goes back a layer): start, two control points, end of a cubic Bézier.
  points: [number, number][];
}
export interface Layout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}
export interface LayoutOptions {
  nodeWidth: number;
  nodeHeight: number;
  // Horizontal gap between layers, vertical gap between nodes of a layer.
  layerGap: number;
  nodeGap: number;
  // Barycentre sweeps (down and up count as one each).
  sweeps: number;
}
export const DEFAULT_LAYOUT: LayoutOptions = { nodeWidth: 170, nodeHeight: 44, layerGap: 110, nodeGap: 18, sweeps: 4 };

export function layoutLayers(nodes: LayoutNode[], edges: LayoutEdge[], options: Partial<LayoutOptions> = {}): Layout {
  const o = { ...DEFAULT_LAYOUT, ...options };
  const byId = new Map(nodes.map((n) => [n.id, n]));
  // Edges with both ends known and not a loop; duplicates once.
  const seen = new Set<string>();
  const kept = edges.filter((e) => {
    const key = `${e.from}\u0000${e.to}`;
    if (e.from === e.to || !byId.has(e.from) || !byId.has(e.to) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const layerIds = [...new Set(nodes.map((n) => n.layer))].sort((a, b) => a - b);
  const layers: string[][] = layerIds.map((l) => nodes.filter((n) => n.layer === l).map((n) => n.id));
  const neighbours = new Map<string, string[]>();
  for (const n of nodes) neighbours.set(n.id, []);
  for (const e of kept) {
    neighbours.get(e.from)!.push(e.to);
    neighbours.get(e.to)!.push(e.from);
  }
  const position = new Map<string, number>();
  const index = () => layers.forEach((layer) => layer.forEach((id, i) => position.set(id, i)));
  index();
  // Order one layer by the barycentre of its neighbours in the adjacent layer `ref`.
  const reorder = (at: number, ref: number) => {
    const refSet = new Set(layers[ref]);
    const keyed = layers[at].map((id, i) => {
      const ns = neighbours.get(id)!.filter((n) => refSet.has(n));
      const bary = ns.length ? ns.reduce((s, n) => s + position.get(n)!, 0) / ns.length : position.get(id)!;
      return { id, bary, i };
    });
    keyed.sort((a, b) => a.bary - b.bary || a.i - b.i);
    layers[at] = keyed.map((k) => k.id);
    layers[at].forEach((id, i) => position.set(id, i));
  };
  for (let s = 0; s < o.sweeps; ++s) {
    if (s % 2 === 0) for (let l = 1; l < layers.length; ++l) reorder(l, l - 1);
    else for (let l = layers.length - 2; l >= 0; --l) reorder(l, l + 1);
  }
  const tallest = Math.max(0, ...layers.map((l) => l.length));
  const height = tallest === 0 ? 0 : tallest * o.nodeHeight + (tallest - 1) * o.nodeGap;
  const placed = new Map<string, PlacedNode>();
  layers.forEach((layer, column) => {
    const own = layer.length * o.nodeHeight + (layer.length - 1) * o.nodeGap;
    // Shorter columns are centred against the tallest one.
    const top = (height - own) / 2;
    layer.forEach((id, order) => {
      placed.set(id, {
        ...byId.get(id)!,
        x: column * (o.nodeWidth + o.layerGap),
        y: top + order * (o.nodeHeight + o.nodeGap),
        width: o.nodeWidth,
        height: o.nodeHeight,
        order,
      });
    });
  });
  const placedEdges = kept.map((e): PlacedEdge => {
    const a = placed.get(e.from)!;
    const b = placed.get(e.to)!;
    const forward = a.x <= b.x;
    const ax = forward ? a.x + a.width : a.x;
    const bx = forward ? b.x : b.x + b.width;
    const ay = a.y + a.height / 2;
    const by = b.y + b.height / 2;
    // Same column: bow out to the right so the edge does not run through the boxes between.
    const bend = a.x === b.x ? o.layerGap / 2 : (bx - ax) / 2;
    const [sx, ex] = a.x === b.x ? [a.x + a.width, b.x + b.width] : [ax, bx];
    return { ...e, points: [[sx, ay], [sx + bend, ay], [ex - (a.x === b.x ? -bend : bend), by], [ex, by]] };
  });
  const width = layers.length === 0 ? 0 : layers.length * o.nodeWidth + (layers.length - 1) * o.layerGap;
  return { nodes: nodes.map((n) => placed.get(n.id)!), edges: placedEdges, width, height };
}

// How many pairs of edges between the same two adjacent layers cross: what the ordering lowers.
export function crossings(layout: Layout): number {
  const at = new Map(layout.nodes.map((n) => [n.id, n]));
  const spans = layout.edges
    .map((e) => [at.get(e.from)!, at.get(e.to)!])
    .filter(([a, b]) => Math.abs(a.layer - b.layer) === 1)
    .map(([a, b]) => (a.layer < b.layer ? [a, b] : [b, a]));
  let count = 0;
  for (let i = 0; i < spans.length; ++i)
    for (let j = i + 1; j < spans.length; ++j) {
      const [a1, b1] = spans[i];
      const [a2, b2] = spans[j];
      if (a1.layer !== a2.layer) continue;
      if ((a1.order - a2.order) * (b1.order - b2.order) < 0) count++;
    }
  return count;
}
