// The CI dependency graph in memory, for impact analysis in microseconds rather than one SQL
// round trip per hop. Nodes are CIs (id, class, name, status, criticality); edges are the
// current relationships. Not thread-safe: GraphIndex guards it and keeps it in step with storage.
//
// Every relationship type is normalised to "dependent -> dependency" once, when it is added:
//   A depends_on B, A runs_on B, A connected_to B : A depends on B (B failing impacts A)
//   A member_of cluster C                         : C depends on A (a member failing impacts C)
// so a traversal never needs to know the types' directions.
//
//   ImpactGraph g;
//   g.UpsertNode({.id = server_id, .class_name = "server", .name = "srv-1", .status = LIVE});
//   g.AddEdge(rel_id, v1::RELATIONSHIP_TYPE_RUNS_ON, vm_id, server_id);
//   ImpactResult r = g.Traverse({.origin = server_id, .direction = kDownstream, .max_depth = 6});
#ifndef ITSM_SERVICES_CONFIGURATION_IMPACT_GRAPH_H_
#define ITSM_SERVICES_CONFIGURATION_IMPACT_GRAPH_H_

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "itsm/config/v1/config.pb.h"

namespace itsm::config {

struct GraphNode {
  std::string id = {};
  std::string class_name = {};
  std::string name = {};
  v1::LifecycleStatus status = v1::LIFECYCLE_STATUS_UNSPECIFIED;
  v1::BusinessCriticality criticality = v1::BUSINESS_CRITICALITY_UNSPECIFIED;
};

enum class Direction {
  kDownstream,  // who depends on the origin (what its failure impacts)
  kUpstream,    // what the origin depends on
};

struct ImpactQuery {
  std::string origin = {};
  Direction direction = Direction::kDownstream;
  int max_depth = 6;
  // Report only CIs of these classes (empty: all); every class is still traversed.
  std::set<std::string> report_classes = {};
  // Follow only these relationship types (empty: all).
  std::set<v1::RelationshipType> types = {};
  int max_results = 1000;
  // Go on through retired CIs and report them. Impact does not (a retired CI runs nothing); a
  // baseline's scope does, since it is the structure: retiring one application must not make
  // the servers behind it read as removed.
  bool through_retired = false;
};

struct ImpactHop {
  int32_t node;      // the CI reached
  int32_t relation;  // the relationship followed to reach it
};

struct ImpactHit {
  int32_t node;
  int depth;
  std::vector<ImpactHop> path;  // from the origin's first neighbour to `node`
};

struct ImpactResult {
  int32_t origin = -1;               // -1 when the origin is not in the graph
  std::vector<ImpactHit> hits = {};  // by depth, then class name, then name
  bool truncated = false;
  // More CIs lie past max_depth (whatever their class): the walk stopped at it.
  bool beyond_depth = false;
  int64_t visited = 0;  // CIs traversed (reported or not), for metrics
};

// A relationship in the graph. Its id is kept packed: the service mints canonical UUIDs (36
// characters on the heap as text, 16 bytes packed), which for 500,000 relationships is most of
// the graph's memory; an id of any other form is kept as text (`text_id`). ImpactGraph::
// RelationId gives it back as text.
struct GraphRelation {
  absl::uint128 packed_id = 0;
  int32_t text_id = -1;  // index into the graph's text ids, or -1 when packed
  v1::RelationshipType type = v1::RELATIONSHIP_TYPE_UNSPECIFIED;
  int32_t source = -1;
  int32_t target = -1;
};

class ImpactGraph {
 public:
  // Adds the CI or replaces its description (class, name, status, criticality).
  void UpsertNode(GraphNode node);
  // Adds a relationship; a repeated id is ignored. Unknown endpoints are added as placeholder
  // nodes, filled in by a later UpsertNode (the order storage returns rows in is not causal).
  void AddEdge(const std::string& id, v1::RelationshipType type, const std::string& source_id,
               const std::string& target_id);
  // Removes a relationship; an unknown id is ignored.
  void RemoveEdge(const std::string& id);

  // Breadth-first from the origin to max_depth: each CI once, at its shortest depth, with one
  // shortest path. Retired CIs are neither reported nor traversed. Safe on cycles.
  ImpactResult Traverse(const ImpactQuery& query) const;

  const GraphNode& node(int32_t i) const { return nodes_[i]; }
  const GraphRelation& relation(int32_t i) const { return (*relations_)[i]; }
  std::string RelationId(int32_t i) const;
  // -1 when unknown.
  int32_t Find(const std::string& id) const;
  size_t node_count() const { return nodes_.size(); }
  size_t edge_count() const { return relation_index_.size() + text_relation_index_.size(); }

 private:
  struct Adjacent {
    int32_t node;
    int32_t relation;
  };
  // What a traversal notes for each node it reaches, kept from one traversal to the next:
  // allocating and zeroing it for every query (900 KB for 100,000 CIs) took about a quarter of an
  // impact analysis, in page faults and in the consolidation that so large an allocation sets off
  // in malloc. A node is marked for the traversal whose number it holds.
  struct TraversalMarks {
    void Begin(size_t nodes);
    bool Reached(int32_t i) const { return reached_in[i] == traversal; }
    void Reach(int32_t i, int32_t from, int32_t relation) {
      reached_in[i] = traversal;
      parent[i] = {from, relation};
    }
    std::vector<uint32_t> reached_in;
    std::vector<Adjacent> parent;  // the node and relationship i was first reached through
    uint32_t traversal = 0;
  };
  // Marks for concurrent traversals (readers share the graph), each used by one at a time.
  struct TraversalMarksPool {
    std::unique_ptr<TraversalMarks> Take();
    void Give(std::unique_ptr<TraversalMarks> marks);
    absl::Mutex mu;
    std::vector<std::unique_ptr<TraversalMarks>> free ABSL_GUARDED_BY(mu);
  };
  int32_t NodeIndex(const std::string& id);
  // The slot of relationship `id`, or -1.
  int32_t FindRelation(absl::string_view id) const;

  std::vector<GraphNode> nodes_;
  // Node by id, packed like the relations' ids where it is a canonical UUID: the key is then in
  // the table itself, where a text key is a pointer to chase for every comparison (a cache miss
  // for each endpoint of each relationship loaded: close to half of a cold start's graph work).
  absl::flat_hash_map<absl::uint128, int32_t> packed_node_index_;
  absl::flat_hash_map<std::string, int32_t> text_node_index_;  // the others
  std::vector<std::vector<Adjacent>> dependents_;              // who depends on node i
  std::vector<std::vector<Adjacent>> dependencies_;            // what node i depends on
  // Slots; freed ones are reused. On the heap, so that the index's functions, which look into
  // it, stay right when the graph is moved.
  std::unique_ptr<std::vector<GraphRelation>> relations_ =
      std::make_unique<std::vector<GraphRelation>>();
  std::vector<int32_t> free_relations_;
  // The slots of packed relations, found by the id they hold: 4 bytes an entry rather than a
  // 16-byte key beside its value (a map's entry is 32 bytes, aligned), for 500,000 of them.
  struct PackedSlotHash {
    using is_transparent = void;
    const std::vector<GraphRelation>* relations;
    size_t operator()(absl::uint128 id) const { return absl::Hash<absl::uint128>()(id); }
    size_t operator()(int32_t slot) const { return (*this)((*relations)[slot].packed_id); }
  };
  struct PackedSlotEq {
    using is_transparent = void;
    const std::vector<GraphRelation>* relations;
    bool operator()(int32_t a, int32_t b) const { return a == b; }
    bool operator()(int32_t slot, absl::uint128 id) const {
      return (*relations)[slot].packed_id == id;
    }
    bool operator()(absl::uint128 id, int32_t slot) const { return (*this)(slot, id); }
  };
  absl::flat_hash_set<int32_t, PackedSlotHash, PackedSlotEq> relation_index_{
      0, PackedSlotHash{relations_.get()}, PackedSlotEq{relations_.get()}};
  absl::flat_hash_map<std::string, int32_t> text_relation_index_;  // the others
  std::vector<std::string> text_ids_;  // by GraphRelation::text_id; freed ones are emptied
  // On the heap, so that the graph stays movable.
  std::unique_ptr<TraversalMarksPool> marks_ = std::make_unique<TraversalMarksPool>();
};

}  // namespace itsm::config

#endif  // ITSM_SERVICES_CONFIGURATION_IMPACT_GRAPH_H_
