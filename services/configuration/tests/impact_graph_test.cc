#include "services/configuration/src/impact_graph.h"

#include <map>
#include <random>
#include <set>

#include "gtest/gtest.h"

namespace itsm::config {
namespace {

using v1::RELATIONSHIP_TYPE_CONNECTED_TO;
using v1::RELATIONSHIP_TYPE_DEPENDS_ON;
using v1::RELATIONSHIP_TYPE_MEMBER_OF;
using v1::RELATIONSHIP_TYPE_RUNS_ON;

void Node(ImpactGraph& g, const std::string& id, const std::string& cls = "application",
          v1::LifecycleStatus status = v1::LIFECYCLE_STATUS_LIVE) {
  g.UpsertNode({.id = id, .class_name = cls, .name = id, .status = status});
}

// CI name -> depth of every hit.
std::map<std::string, int> Depths(const ImpactGraph& g, const ImpactResult& r) {
  std::map<std::string, int> out;
  for (const auto& h : r.hits) out[g.node(h.node).id] = h.depth;
  return out;
}

std::vector<std::string> PathNames(const ImpactGraph& g, const ImpactHit& hit) {
  std::vector<std::string> out;
  for (const auto& hop : hit.path) out.push_back(g.node(hop.node).id);
  return out;
}

// The newcomer's topology: a business service on two applications on a clustered database on
// three servers.
ImpactGraph Shop() {
  ImpactGraph g;
  Node(g, "shop", "business_service");
  Node(g, "web", "application");
  Node(g, "api", "application");
  Node(g, "db", "database");
  Node(g, "dbc", "cluster");
  for (const char* s : {"s1", "s2", "s3"}) Node(g, s, "server");
  g.AddEdge("r1", RELATIONSHIP_TYPE_DEPENDS_ON, "shop", "web");
  g.AddEdge("r2", RELATIONSHIP_TYPE_DEPENDS_ON, "shop", "api");
  g.AddEdge("r3", RELATIONSHIP_TYPE_DEPENDS_ON, "web", "db");
  g.AddEdge("r4", RELATIONSHIP_TYPE_DEPENDS_ON, "api", "db");
  g.AddEdge("r5", RELATIONSHIP_TYPE_RUNS_ON, "db", "dbc");
  g.AddEdge("r6", RELATIONSHIP_TYPE_MEMBER_OF, "s1", "dbc");
  g.AddEdge("r7", RELATIONSHIP_TYPE_MEMBER_OF, "s2", "dbc");
  g.AddEdge("r8", RELATIONSHIP_TYPE_MEMBER_OF, "s3", "dbc");
  return g;
}

// Found from outside: a chain longer than max_depth answered as if complete. The answer says
// when CIs lie beyond the depth, and not when the chain ends within it.
TEST(ImpactGraph, SaysWhenTheDepthStoppedTheWalk) {
  ImpactGraph g = Shop();
  auto r = g.Traverse({.origin = "s2", .max_depth = 3});  // shop is at depth 4
  EXPECT_EQ(r.hits.size(), 4u);
  EXPECT_TRUE(r.beyond_depth);
  EXPECT_FALSE(r.truncated);
  r = g.Traverse({.origin = "s2", .max_depth = 4});
  EXPECT_EQ(r.hits.size(), 5u);
  EXPECT_FALSE(r.beyond_depth);
  // Only what the walk would follow counts: not a type it was told to skip.
  r = g.Traverse({.origin = "db", .max_depth = 1, .types = {RELATIONSHIP_TYPE_DEPENDS_ON}});
  EXPECT_TRUE(r.beyond_depth);  // web and api, then shop
  r = g.Traverse({.origin = "dbc", .max_depth = 1, .types = {RELATIONSHIP_TYPE_RUNS_ON}});
  EXPECT_FALSE(r.beyond_depth);  // db, whose dependents are reached by depends_on only
}

TEST(ImpactGraph, ServerFailureReachesTheBusinessServiceThroughTheDiamond) {
  ImpactGraph g = Shop();
  auto r = g.Traverse({.origin = "s2"});
  EXPECT_EQ(Depths(g, r), (std::map<std::string, int>{
                              {"dbc", 1}, {"db", 2}, {"web", 3}, {"api", 3}, {"shop", 4}}));
  const ImpactHit& shop = r.hits.back();
  ASSERT_EQ(g.node(shop.node).id, "shop");
  auto path = PathNames(g, shop);
  ASSERT_EQ(path.size(), 4u);
  EXPECT_EQ(path[0], "dbc");
  EXPECT_EQ(path[1], "db");
  EXPECT_TRUE(path[2] == "web" || path[2] == "api");
  EXPECT_EQ(g.relation(shop.path[0].relation).type, RELATIONSHIP_TYPE_MEMBER_OF);
  // Ordered by depth, then class, then name.
  EXPECT_EQ(g.node(r.hits[2].node).id, "api");
  EXPECT_EQ(g.node(r.hits[3].node).id, "web");
}

// Canonical UUIDs are kept packed, any other id as text; both kinds meet in one graph, and an id
// that only looks like a UUID (upper case) is a different CI from its lower-case twin.
TEST(ImpactGraph, UuidAndTextIdsLiveSideBySide) {
  ImpactGraph g;
  const std::string uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";
  const std::string upper = "0F8FAD5B-D9CB-469F-A165-70867728950E";
  Node(g, uuid, "server");
  Node(g, upper, "server");
  Node(g, "app", "application");
  g.AddEdge("7c9e6679-7425-40de-944b-e07fc1f90ae7", RELATIONSHIP_TYPE_RUNS_ON, "app", uuid);
  g.AddEdge("rel-2", RELATIONSHIP_TYPE_RUNS_ON, "app", upper);
  EXPECT_EQ(g.node_count(), 3u);
  EXPECT_NE(g.Find(uuid), g.Find(upper));
  EXPECT_EQ(Depths(g, g.Traverse({.origin = uuid})), (std::map<std::string, int>{{"app", 1}}));
  EXPECT_EQ(Depths(g, g.Traverse({.origin = upper})), (std::map<std::string, int>{{"app", 1}}));
  auto up = g.Traverse({.origin = "app", .direction = Direction::kUpstream});
  ASSERT_EQ(up.hits.size(), 2u);
  std::set<std::string> relations;
  for (const auto& h : up.hits) relations.insert(g.RelationId(h.path[0].relation));
  EXPECT_EQ(relations, (std::set<std::string>{"7c9e6679-7425-40de-944b-e07fc1f90ae7", "rel-2"}));
  EXPECT_EQ(g.Find("0f8fad5b-d9cb-469f-a165-70867728950f"), -1);
}

// A traversal's marks are kept for the next one: what one reached must not count as reached for
// the next, also after the graph grew in between.
TEST(ImpactGraph, EachTraversalStartsUnmarked) {
  ImpactGraph g = Shop();
  const auto first = Depths(g, g.Traverse({.origin = "s2"}));
  EXPECT_EQ(Depths(g, g.Traverse({.origin = "s2"})), first);
  Node(g, "s4", "server");
  g.AddEdge("r9", RELATIONSHIP_TYPE_MEMBER_OF, "s4", "dbc");
  EXPECT_EQ(Depths(g, g.Traverse({.origin = "s4"})), first);
  EXPECT_EQ(Depths(g, g.Traverse({.origin = "shop", .direction = Direction::kUpstream})).size(),
            8u);
}

TEST(ImpactGraph, UpstreamIsWhatACiDependsOn) {
  ImpactGraph g = Shop();
  auto r = g.Traverse({.origin = "shop", .direction = Direction::kUpstream});
  EXPECT_EQ(Depths(g, r),
            (std::map<std::string, int>{
                {"web", 1}, {"api", 1}, {"db", 2}, {"dbc", 3}, {"s1", 4}, {"s2", 4}, {"s3", 4}}));
}

TEST(ImpactGraph, DepthFilterTypesAndTruncation) {
  ImpactGraph g = Shop();
  EXPECT_EQ(Depths(g, g.Traverse({.origin = "s1", .max_depth = 2})),
            (std::map<std::string, int>{{"dbc", 1}, {"db", 2}}));
  auto only_services = g.Traverse({.origin = "s1", .report_classes = {"business_service"}});
  EXPECT_EQ(Depths(g, only_services), (std::map<std::string, int>{{"shop", 4}}));
  EXPECT_EQ(only_services.hits[0].path.size(), 4u);  // the path still shows the way there
  auto no_member = g.Traverse({.origin = "s1", .types = {RELATIONSHIP_TYPE_DEPENDS_ON}});
  EXPECT_TRUE(no_member.hits.empty());
  auto capped = g.Traverse({.origin = "s1", .max_results = 3});
  EXPECT_EQ(capped.hits.size(), 3u);
  EXPECT_TRUE(capped.truncated);
  auto exact = g.Traverse({.origin = "s1", .max_results = 5});
  EXPECT_EQ(exact.hits.size(), 5u);
  EXPECT_FALSE(exact.truncated);
}

TEST(ImpactGraph, CyclesTerminateAndEachCiAppearsOnce) {
  ImpactGraph g;
  for (const char* n : {"a", "b", "c", "d"}) Node(g, n);
  g.AddEdge("ab", RELATIONSHIP_TYPE_DEPENDS_ON, "a", "b");
  g.AddEdge("bc", RELATIONSHIP_TYPE_DEPENDS_ON, "b", "c");
  g.AddEdge("ca", RELATIONSHIP_TYPE_DEPENDS_ON, "c", "a");
  g.AddEdge("dc", RELATIONSHIP_TYPE_CONNECTED_TO, "d", "c");
  auto r = g.Traverse({.origin = "a", .max_depth = 12});
  EXPECT_EQ(Depths(g, r), (std::map<std::string, int>{{"c", 1}, {"b", 2}, {"d", 2}}));
}

TEST(ImpactGraph, RetiredCisAreNeitherReportedNorCrossed) {
  ImpactGraph g = Shop();
  Node(g, "db", "database", v1::LIFECYCLE_STATUS_RETIRED);
  EXPECT_EQ(Depths(g, g.Traverse({.origin = "s1"})), (std::map<std::string, int>{{"dbc", 1}}));
}

TEST(ImpactGraph, RemovedEdgesAreForgottenAndSlotsReused) {
  ImpactGraph g = Shop();
  g.RemoveEdge("r5");
  g.RemoveEdge("r5");  // twice is harmless
  EXPECT_EQ(g.edge_count(), 7u);
  EXPECT_EQ(Depths(g, g.Traverse({.origin = "s1"})), (std::map<std::string, int>{{"dbc", 1}}));
  g.AddEdge("r9", RELATIONSHIP_TYPE_RUNS_ON, "db", "dbc");
  g.AddEdge("r9", RELATIONSHIP_TYPE_RUNS_ON, "db", "dbc");  // a repeated id is ignored
  EXPECT_EQ(g.edge_count(), 8u);
  EXPECT_EQ(Depths(g, g.Traverse({.origin = "s1"})).size(), 5u);
}

TEST(ImpactGraph, UnknownOriginFindsNothing) {
  ImpactGraph g = Shop();
  EXPECT_EQ(g.Traverse({.origin = "nope"}).origin, -1);
}

// The reference: distances by relaxing every edge until nothing changes (Bellman-Ford with unit
// weights) on the raw relationship list — no adjacency lists, no queue, no shared code.
struct Edge {
  int source, target;
  v1::RelationshipType type;
};

std::map<int, int> Reference(int n, const std::vector<Edge>& edges,
                             const std::vector<bool>& retired, int origin, Direction dir,
                             int max_depth) {
  constexpr int kInf = 1 << 20;
  std::vector<int> dist(n, kInf);
  dist[origin] = 0;
  for (bool changed = true; changed;) {
    changed = false;
    for (const Edge& e : edges) {
      // Impact flows from the dependency to the dependent.
      int dependent = e.source, dependency = e.target;
      if (e.type == RELATIONSHIP_TYPE_MEMBER_OF) std::swap(dependent, dependency);
      const int from = dir == Direction::kDownstream ? dependency : dependent;
      const int to = dir == Direction::kDownstream ? dependent : dependency;
      if (retired[to] || dist[from] == kInf || dist[from] + 1 > max_depth) continue;
      if (dist[from] + 1 < dist[to]) {
        dist[to] = dist[from] + 1;
        changed = true;
      }
    }
  }
  std::map<int, int> out;
  for (int i = 0; i < n; ++i) {
    if (i != origin && dist[i] != kInf) out[i] = dist[i];
  }
  return out;
}

TEST(ImpactGraph, MatchesAReferenceTraversalOnRandomGraphs) {
  std::mt19937 rng(20240601);  // fixed: a failure reproduces
  const v1::RelationshipType types[] = {RELATIONSHIP_TYPE_DEPENDS_ON, RELATIONSHIP_TYPE_RUNS_ON,
                                        RELATIONSHIP_TYPE_CONNECTED_TO,
                                        RELATIONSHIP_TYPE_MEMBER_OF};
  for (int round = 0; round < 200; ++round) {
    const int n = 2 + static_cast<int>(rng() % 60);
    const int m = static_cast<int>(rng() % (n * 4));
    std::vector<bool> retired(n);
    ImpactGraph g;
    for (int i = 0; i < n; ++i) {
      retired[i] = rng() % 10 == 0;
      Node(g, "n" + std::to_string(i), "c" + std::to_string(i % 3),
           retired[i] ? v1::LIFECYCLE_STATUS_RETIRED : v1::LIFECYCLE_STATUS_LIVE);
    }
    std::vector<Edge> edges;
    std::vector<std::string> ids;
    std::set<std::tuple<int, int, int>> seen;
    for (int j = 0; j < m; ++j) {
      Edge e{static_cast<int>(rng() % n), static_cast<int>(rng() % n), types[rng() % 4]};
      if (e.source == e.target || !seen.insert({e.source, e.target, e.type}).second) continue;
      ids.push_back("e" + std::to_string(j));
      g.AddEdge(ids.back(), e.type, "n" + std::to_string(e.source), "n" + std::to_string(e.target));
      edges.push_back(e);
    }
    // Remove some again, so that removal (and slot reuse, below) is checked too.
    for (size_t k = 0; k < edges.size() / 8; ++k) {
      const size_t victim = rng() % edges.size();
      g.RemoveEdge(ids[victim]);
      edges.erase(edges.begin() + static_cast<long>(victim));
      ids.erase(ids.begin() + static_cast<long>(victim));
    }
    for (int j = 0; j < 3 && n > 2; ++j) {
      Edge e{static_cast<int>(rng() % n), static_cast<int>(rng() % n), types[rng() % 4]};
      if (e.source == e.target || !seen.insert({e.source, e.target, e.type}).second) continue;
      ids.push_back("late" + std::to_string(j));
      g.AddEdge(ids.back(), e.type, "n" + std::to_string(e.source), "n" + std::to_string(e.target));
      edges.push_back(e);
    }
    const int origin = static_cast<int>(rng() % n);
    const Direction dir = rng() % 2 ? Direction::kDownstream : Direction::kUpstream;
    const int depth = 1 + static_cast<int>(rng() % 7);
    auto r = g.Traverse({.origin = "n" + std::to_string(origin),
                         .direction = dir,
                         .max_depth = depth,
                         .max_results = 100000});
    std::map<int, int> got;
    for (const auto& hit : r.hits) {
      const int id = std::stoi(g.node(hit.node).id.substr(1));
      got[id] = hit.depth;
      // The path is real: each hop follows an edge the right way, and it is as long as the depth.
      ASSERT_EQ(static_cast<int>(hit.path.size()), hit.depth);
      int32_t at = g.Find("n" + std::to_string(origin));
      for (const auto& hop : hit.path) {
        const GraphRelation& rel = g.relation(hop.relation);
        int32_t dependent = rel.source, dependency = rel.target;
        if (rel.type == RELATIONSHIP_TYPE_MEMBER_OF) std::swap(dependent, dependency);
        if (dir == Direction::kDownstream) {
          ASSERT_EQ(dependency, at);
          ASSERT_EQ(dependent, hop.node);
        } else {
          ASSERT_EQ(dependent, at);
          ASSERT_EQ(dependency, hop.node);
        }
        at = hop.node;
      }
      ASSERT_EQ(at, hit.node);
    }
    ASSERT_EQ(got, Reference(n, edges, retired, origin, dir, depth))
        << "round " << round << " origin n" << origin << " depth " << depth;
  }
}

// Relationship ids are kept packed when they are canonical UUIDs and as text otherwise; either
// way the id given back is the id given, and removing by it works.
TEST(ImpactGraphTest, RelationshipIdsComeBackExactlyPackedOrNot) {
  ImpactGraph g;
  Node(g, "a");
  Node(g, "b");
  Node(g, "c");
  Node(g, "d");
  const std::vector<std::string> ids = {
      "0190f3a2-7c4e-7abc-8def-0123456789ab",  // canonical (what the service mints)
      "0190F3A2-7C4E-7ABC-8DEF-0123456789AB",  // upper case: would not come back the same packed
      "imported:rel/42",                       // not a UUID at all
  };
  g.AddEdge(ids[0], RELATIONSHIP_TYPE_DEPENDS_ON, "a", "b");
  g.AddEdge(ids[1], RELATIONSHIP_TYPE_DEPENDS_ON, "b", "c");
  g.AddEdge(ids[2], RELATIONSHIP_TYPE_DEPENDS_ON, "c", "d");
  g.AddEdge(ids[0], RELATIONSHIP_TYPE_DEPENDS_ON, "a", "b");  // repeated: ignored
  EXPECT_EQ(g.edge_count(), 3u);

  ImpactResult r = g.Traverse({.origin = "d", .direction = Direction::kDownstream});
  ASSERT_EQ(r.hits.size(), 3u);
  const ImpactHit& deepest = r.hits.back();
  ASSERT_EQ(deepest.path.size(), 3u);
  EXPECT_EQ(g.RelationId(deepest.path[0].relation), ids[2]);
  EXPECT_EQ(g.RelationId(deepest.path[1].relation), ids[1]);
  EXPECT_EQ(g.RelationId(deepest.path[2].relation), ids[0]);

  for (const std::string& id : ids) g.RemoveEdge(id);
  EXPECT_EQ(g.edge_count(), 0u);
  EXPECT_TRUE(g.Traverse({.origin = "d", .direction = Direction::kDownstream}).hits.empty());
  // Freed slots are reused, and the ids of the new occupants are theirs.
  g.AddEdge("rel-new", RELATIONSHIP_TYPE_RUNS_ON, "a", "b");
  r = g.Traverse({.origin = "b", .direction = Direction::kDownstream});
  ASSERT_EQ(r.hits.size(), 1u);
  EXPECT_EQ(g.RelationId(r.hits[0].path[0].relation), "rel-new");
}

}  // namespace
}  // namespace itsm::config
