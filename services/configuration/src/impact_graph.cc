#include "services/configuration/src/impact_graph.h"

#include <algorithm>
#include <optional>

namespace itsm::config {
namespace {

constexpr bool IsDash(size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

// A canonical UUID (lowercase hex, dashes at 8, 13, 18, 23) as 128 bits; nullopt for any other
// text, which must then be kept as it is (it would not come back the same).
std::optional<absl::uint128> PackUuid(absl::string_view id) {
  if (id.size() != 36) return std::nullopt;
  absl::uint128 packed = 0;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (IsDash(i)) {
      if (c != '-') return std::nullopt;
      continue;
    }
    int nibble;
    if (c >= '0' && c <= '9') {
      nibble = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      nibble = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    packed = (packed << 4) | nibble;
  }
  return packed;
}

std::string UnpackUuid(absl::uint128 packed) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  for (int i = 35, shift = 0; i >= 0; --i) {
    if (IsDash(static_cast<size_t>(i))) continue;
    out[i] = kHex[static_cast<int>((packed >> shift) & 0xf)];
    shift += 4;
  }
  return out;
}

}  // namespace

int32_t ImpactGraph::Find(const std::string& id) const {
  if (std::optional<absl::uint128> packed = PackUuid(id)) {
    auto it = packed_node_index_.find(*packed);
    return it == packed_node_index_.end() ? -1 : it->second;
  }
  auto it = text_node_index_.find(id);
  return it == text_node_index_.end() ? -1 : it->second;
}

int32_t ImpactGraph::NodeIndex(const std::string& id) {
  const auto next = static_cast<int32_t>(nodes_.size());
  const std::optional<absl::uint128> packed = PackUuid(id);
  const int32_t found = packed ? packed_node_index_.try_emplace(*packed, next).first->second
                               : text_node_index_.try_emplace(id, next).first->second;
  if (found == next) {
    nodes_.push_back(GraphNode{.id = id});
    dependents_.emplace_back();
    dependencies_.emplace_back();
  }
  return found;
}

void ImpactGraph::UpsertNode(GraphNode node) {
  const int32_t i = NodeIndex(node.id);
  nodes_[i] = std::move(node);
}

int32_t ImpactGraph::FindRelation(absl::string_view id) const {
  if (std::optional<absl::uint128> packed = PackUuid(id)) {
    auto it = relation_index_.find(*packed);
    return it == relation_index_.end() ? -1 : *it;
  }
  auto it = text_relation_index_.find(id);
  return it == text_relation_index_.end() ? -1 : it->second;
}

std::string ImpactGraph::RelationId(int32_t i) const {
  const GraphRelation& r = (*relations_)[i];
  return r.text_id >= 0 ? text_ids_[r.text_id] : UnpackUuid(r.packed_id);
}

void ImpactGraph::AddEdge(const std::string& id, v1::RelationshipType type,
                          const std::string& source_id, const std::string& target_id) {
  const std::optional<absl::uint128> packed = PackUuid(id);
  if (packed ? relation_index_.contains(*packed) : text_relation_index_.contains(id)) return;
  GraphRelation relation{
      .type = type, .source = NodeIndex(source_id), .target = NodeIndex(target_id)};
  if (packed) {
    relation.packed_id = *packed;
  } else {
    relation.text_id = static_cast<int32_t>(text_ids_.size());
    text_ids_.push_back(id);
  }
  int32_t slot;
  if (!free_relations_.empty()) {
    slot = free_relations_.back();
    free_relations_.pop_back();
    (*relations_)[slot] = relation;
  } else {
    slot = static_cast<int32_t>(relations_->size());
    relations_->push_back(relation);
  }
  if (packed) {
    relation_index_.insert(slot);  // after the slot holds its id, which the index hashes
  } else {
    text_relation_index_[id] = slot;
  }
  const int32_t source = relation.source;
  const int32_t target = relation.target;
  // The one place that knows which end of each type depends on the other.
  const bool member = type == v1::RELATIONSHIP_TYPE_MEMBER_OF;
  const int32_t dependent = member ? target : source;
  const int32_t dependency = member ? source : target;
  dependents_[dependency].push_back({dependent, slot});
  dependencies_[dependent].push_back({dependency, slot});
}

void ImpactGraph::RemoveEdge(const std::string& id) {
  const int32_t slot = FindRelation(id);
  if (slot < 0) return;
  auto drop = [slot](std::vector<Adjacent>& list) {
    auto pos = std::find_if(list.begin(), list.end(),
                            [slot](const Adjacent& a) { return a.relation == slot; });
    if (pos != list.end()) {
      *pos = list.back();
      list.pop_back();
    }
  };
  const GraphRelation& r = (*relations_)[slot];
  drop(dependents_[r.source]);
  drop(dependents_[r.target]);
  drop(dependencies_[r.source]);
  drop(dependencies_[r.target]);
  if (r.text_id >= 0) {
    text_relation_index_.erase(id);
    text_ids_[r.text_id].clear();  // its index is not reused: text ids are rare
  } else {
    relation_index_.erase(r.packed_id);  // before the slot forgets the id the index hashes
  }
  (*relations_)[slot] = GraphRelation{};
  free_relations_.push_back(slot);
}

ImpactResult ImpactGraph::Traverse(const ImpactQuery& query) const {
  ImpactResult result;
  result.origin = Find(query.origin);
  if (result.origin < 0) return result;
  const auto& adjacency = query.direction == Direction::kDownstream ? dependents_ : dependencies_;
  uint32_t type_mask = 0;
  for (auto t : query.types) type_mask |= 1u << static_cast<int>(t);

  std::unique_ptr<TraversalMarks> marks = marks_->Take();
  marks->Begin(nodes_.size());
  marks->Reach(result.origin, -1, -1);
  std::vector<int32_t> frontier = {result.origin}, next;
  std::vector<ImpactHit> level_hits;
  size_t reported = 0;
  // Whether the walk goes on to `a`: not reached yet, of a type followed, and live.
  const auto follows = [&](const Adjacent& a) {
    if (marks->Reached(a.node)) return false;
    if (type_mask != 0 && !(type_mask & (1u << static_cast<int>((*relations_)[a.relation].type))))
      return false;
    const GraphNode& n = nodes_[a.node];
    // Retired CIs run nothing: impact does not flow through them. A placeholder (a node whose
    // row has not arrived yet) has no status and is passed over the same way.
    return !((n.status == v1::LIFECYCLE_STATUS_RETIRED && !query.through_retired) ||
             n.status == v1::LIFECYCLE_STATUS_UNSPECIFIED);
  };
  int depth = 1;
  for (; depth <= query.max_depth && !frontier.empty(); ++depth) {
    next.clear();
    level_hits.clear();
    for (int32_t from : frontier) {
      for (const Adjacent& a : adjacency[from]) {
        if (!follows(a)) continue;
        const GraphNode& n = nodes_[a.node];
        marks->Reach(a.node, from, a.relation);
        next.push_back(a.node);
        ++result.visited;
        if (query.report_classes.empty() || query.report_classes.contains(n.class_name)) {
          level_hits.push_back({a.node, depth, {}});
        }
      }
    }
    std::sort(level_hits.begin(), level_hits.end(), [this](const ImpactHit& x, const ImpactHit& y) {
      const GraphNode& a = nodes_[x.node];
      const GraphNode& b = nodes_[y.node];
      if (a.class_name != b.class_name) return a.class_name < b.class_name;
      if (a.name != b.name) return a.name < b.name;
      return a.id < b.id;
    });
    for (auto& hit : level_hits) {
      if (reported == static_cast<size_t>(query.max_results)) {
        result.truncated = true;
        break;
      }
      ++reported;
      result.hits.push_back(std::move(hit));
    }
    if (result.truncated) break;
    frontier.swap(next);
  }
  // Stopped by the depth with more to reach: an answer that looks complete would understate a
  // long chain (found from outside).
  if (!result.truncated && depth > query.max_depth) {
    for (int32_t from : frontier) {
      for (const Adjacent& a : adjacency[from]) result.beyond_depth |= follows(a);
    }
  }
  for (ImpactHit& hit : result.hits) {
    hit.path.resize(hit.depth);
    int32_t at = hit.node;
    for (int i = hit.depth - 1; i >= 0; --i) {
      hit.path[i] = {at, marks->parent[at].relation};
      at = marks->parent[at].node;
    }
  }
  marks_->Give(std::move(marks));
  return result;
}

void ImpactGraph::TraversalMarks::Begin(size_t nodes) {
  if (reached_in.size() < nodes) {
    reached_in.resize(nodes, 0);
    parent.resize(nodes);
  }
  if (++traversal == 0) {  // wrapped: a mark of 4 billion traversals ago would look current
    std::fill(reached_in.begin(), reached_in.end(), 0);
    traversal = 1;
  }
}

std::unique_ptr<ImpactGraph::TraversalMarks> ImpactGraph::TraversalMarksPool::Take() {
  absl::MutexLock lock(&mu);
  if (free.empty()) return std::make_unique<TraversalMarks>();
  std::unique_ptr<TraversalMarks> marks = std::move(free.back());
  free.pop_back();
  return marks;
}

void ImpactGraph::TraversalMarksPool::Give(std::unique_ptr<TraversalMarks> marks) {
  absl::MutexLock lock(&mu);
  free.push_back(std::move(marks));
}

}  // namespace itsm::config
