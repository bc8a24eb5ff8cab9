import assert from "node:assert/strict";
import { test } from "node:test";
import { impactGraph, type ImpactAnalysis } from "../../src/cmdb";
import { crossings, layoutLayers } from "../../src/graph";

const ci = (name: string, className = "application") => ({ id: name, name, className });

test("each node sits in the column of its layer, boxes of a column do not overlap", () => {
  const layout = layoutLayers(
    [{ id: "o", layer: 0 }, { id: "a", layer: 1 }, { id: "b", layer: 1 }, { id: "c", layer: 2 }],
    [{ from: "o", to: "a" }, { from: "o", to: "b" }, { from: "a", to: "c" }],
    { nodeWidth: 100, nodeHeight: 40, layerGap: 50, nodeGap: 10 },
  );
  const at = new Map(layout.nodes.map((n) => [n.id, n]));
  assert.equal(at.get("o")!.x, 0);
  assert.equal(at.get("a")!.x, 150);
  assert.equal(at.get("c")!.x, 300);
  assert.equal(layout.width, 400);
  assert.equal(layout.height, 90);
  const [a, b] = [at.get("a")!, at.get("b")!].sort((p, q) => p.y - q.y);
  assert.ok(a.y + a.height + 10 <= b.y, "no overlap, the gap kept");
  // Every edge starts on the right side of its source and ends on the left side of its target.
  for (const e of layout.edges) {
    assert.equal(e.points[0][0], at.get(e.from)!.x + 100);
    assert.equal(e.points[3][0], at.get(e.to)!.x);
  }
});

test("the barycentre sweeps untangle crossed edges", () => {
  const nodes = [
    { id: "a1", layer: 0 }, { id: "a2", layer: 0 }, { id: "a3", layer: 0 },
    { id: "b3", layer: 1 }, { id: "b1", layer: 1 }, { id: "b2", layer: 1 },
  ];
  const edges = [{ from: "a1", to: "b1" }, { from: "a2", to: "b2" }, { from: "a3", to: "b3" }];
  const untangled = layoutLayers(nodes, edges);
  assert.equal(crossings(untangled), 0);
  const unswept = layoutLayers(nodes, edges, { sweeps: 0 });
  assert.ok(crossings(unswept) > 0, "the input order crosses: the test can fail");
});

test("the layout is deterministic and ignores loops, duplicates and unknown ends", () => {
  const nodes = [{ id: "x", layer: 0 }, { id: "y", layer: 1 }];
  const edges = [{ from: "x", to: "y" }, { from: "x", to: "y" }, { from: "x", to: "x" }, { from: "x", to: "ghost" }];
  const one = layoutLayers(nodes, edges);
  assert.deepEqual(one, layoutLayers(nodes, edges));
  assert.equal(one.edges.length, 1);
  assert.deepEqual(layoutLayers([], []), { nodes: [], edges: [], width: 0, height: 0 });
});

test("an edge back to an earlier column leaves from the left and arrives on the right", () => {
  const layout = layoutLayers([{ id: "p", layer: 0 }, { id: "q", layer: 1 }], [{ from: "q", to: "p" }], { nodeWidth: 100, layerGap: 50 });
  assert.deepEqual([layout.edges[0].points[0][0], layout.edges[0].points[3][0]], [150, 100]);
});

test("the impact graph: layers by depth, path edges away from the origin, shared CIs reached twice", () => {
  const analysis: ImpactAnalysis = {
    origin: ci("db", "database"),
    items: [
      { ci: ci("web"), depth: 1, path: [{ ci: ci("web"), relationshipId: "r1", relationshipType: "RELATIONSHIP_TYPE_DEPENDS_ON" }] },
      { ci: ci("api"), depth: 1, path: [{ ci: ci("api"), relationshipId: "r2", relationshipType: "RELATIONSHIP_TYPE_DEPENDS_ON" }] },
      {
        ci: ci("shop", "business_service"),
        depth: 2,
        path: [
          { ci: ci("web"), relationshipId: "r1", relationshipType: "RELATIONSHIP_TYPE_DEPENDS_ON" },
          { ci: ci("shop", "business_service"), relationshipId: "r3", relationshipType: "RELATIONSHIP_TYPE_DEPENDS_ON" },
        ],
      },
    ],
  };
  const g = impactGraph(analysis, [
    // shop depends on api: its second way to db, not on a shortest path.
    { id: "r4", type: "RELATIONSHIP_TYPE_DEPENDS_ON", sourceId: "shop", targetId: "api" },
    // A relationship to a CI not shown is left out.
    { id: "r5", type: "RELATIONSHIP_TYPE_RUNS_ON", sourceId: "db", targetId: "elsewhere" },
  ]);
  assert.deepEqual(g.nodes.map((n) => [n.id, n.layer]), [["db", 0], ["web", 1], ["api", 1], ["shop", 2]]);
  assert.deepEqual(
    g.edges.map((e) => `${e.from}>${e.to}:${e.id}`),
    ["db>web:r1", "db>api:r2", "web>shop:r3", "api>shop:r4"],
  );
  assert.deepEqual(impactGraph({}), { nodes: [], edges: [] });
});
