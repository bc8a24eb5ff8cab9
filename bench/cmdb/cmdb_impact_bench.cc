// Impact analysis on a CMDB of realistic shape and size (default 100,000 CIs and 500,000
// relationships): business services on applications on databases and VMs, VMs on clusters of
// servers, everything connected to network devices. Reports p50/p99/max latency to depth 6:
//   1. the in-memory traversal alone (ImpactGraph::Traverse), and
//   2. the service's AnalyzeImpact (graph catch-up query, traversal, response with paths, up to
//      1,000 results) on a SQLite file loaded with the same graph, after a cold start (Cmdb::Load).
//
//   cmdb_impact_bench [--cis=100000] [--relationships=500000] [--depth=6] [--queries=2000]
//                     [--seed=1] [--skip-service]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bench/load/process_cpu.h"
#include "google/protobuf/arena.h"
#include "itsm/base/clock.h"
#include "itsm/base/ids.h"
#include "itsm/outbox/outbox.h"
#include "itsm/storage/migrations.h"
#include "itsm/testing/test_env.h"
#include "services/configuration/src/cmdb.h"
#include "services/configuration/src/config_repository.h"
#include "services/configuration/src/impact_graph.h"

namespace {

using namespace itsm;
using config::v1::RelationshipType;

struct Layer {
  std::string cls;
  int count;
};

struct Graph {
  std::vector<config::GraphNode> nodes;
  struct Rel {
    std::string id;
    RelationshipType type;
    int source, target;
  };
  std::vector<Rel> rels;
};

Graph Generate(int cis, int relationships, uint32_t seed) {
  std::mt19937 rng(seed);
  // Shares of the CIs per class, and the relationships each CI of a class starts.
  const std::vector<std::pair<std::string, double>> shares = {
      {"business_service", 0.01}, {"application", 0.09}, {"database", 0.05},
      {"virtual_machine", 0.50},  {"cluster", 0.02},     {"server", 0.28},
      {"network_device", 0.05}};
  Graph g;
  std::map<std::string, std::pair<int, int>> range;  // class -> [first, end)
  for (const auto& [cls, share] : shares) {
    const int first = static_cast<int>(g.nodes.size());
    const int n = std::max(1, static_cast<int>(cis * share));
    for (int i = 0; i < n; ++i) {
      g.nodes.push_back({.id = base::NewUuid(),
                         .class_name = cls,
                         .name = absl::StrCat(cls, "-", i),
                         .status = config::v1::LIFECYCLE_STATUS_LIVE});
    }
    range[cls] = {first, static_cast<int>(g.nodes.size())};
  }
  auto pick = [&](const std::string& cls) {
    auto [a, b] = range[cls];
    return a + static_cast<int>(rng() % static_cast<uint32_t>(b - a));
  };
  // (from class, type, to class, per source CI), in the proportions of a real estate.
  struct Rule {
    std::string from;
    RelationshipType type;
    std::string to;
    int per;
  };
  const std::vector<Rule> rules = {
      {"business_service", config::v1::RELATIONSHIP_TYPE_DEPENDS_ON, "application", 8},
      {"application", config::v1::RELATIONSHIP_TYPE_DEPENDS_ON, "application", 3},
      {"application", config::v1::RELATIONSHIP_TYPE_DEPENDS_ON, "database", 3},
      {"application", config::v1::RELATIONSHIP_TYPE_RUNS_ON, "virtual_machine", 8},
      {"database", config::v1::RELATIONSHIP_TYPE_RUNS_ON, "virtual_machine", 2},
      {"virtual_machine", config::v1::RELATIONSHIP_TYPE_RUNS_ON, "cluster", 1},
      {"server", config::v1::RELATIONSHIP_TYPE_MEMBER_OF, "cluster", 1},
      {"virtual_machine", config::v1::RELATIONSHIP_TYPE_CONNECTED_TO, "network_device", 3},
      {"server", config::v1::RELATIONSHIP_TYPE_CONNECTED_TO, "network_device", 4},
      {"network_device", config::v1::RELATIONSHIP_TYPE_CONNECTED_TO, "network_device", 4},
  };
  std::set<std::tuple<int, int, int>> seen;
  for (int round = 0; static_cast<int>(g.rels.size()) < relationships && round < 4; ++round) {
    for (const auto& rule : rules) {
      auto [a, b] = range[rule.from];
      for (int s = a; s < b; ++s) {
        for (int k = 0; k < rule.per && static_cast<int>(g.rels.size()) < relationships; ++k) {
          const int t = pick(rule.to);
          if (t == s || !seen.insert({s, t, rule.type}).second) continue;
          g.rels.push_back({base::NewUuid(), rule.type, s, t});
        }
      }
    }
  }
  return g;
}

long RssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

struct Stats {
  double p50, p99, max;
};

Stats Summarise(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  auto at = [&](double q) {
    return us[std::min(us.size() - 1, static_cast<size_t>(q * us.size()))];
  };
  return {at(0.50), at(0.99), us.back()};
}

double Micros(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - since)
      .count();
}

// This process's CPU seconds so far, every thread: unlike the wall times, it barely depends on
// what else the machine is running, so it compares two builds on a busy one.
double CpuSeconds() { return bench::ProcessCpuSeconds(getpid()); }

}  // namespace

int main(int argc, char** argv) {
  int cis = 100000, relationships = 500000, depth = 6, queries = 2000;
  uint32_t seed = 1;
  bool service = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name, auto* out) {
      const std::string prefix = std::string("--") + name + "=";
      if (a.rfind(prefix, 0) != 0) return false;
      if (!absl::SimpleAtoi(a.substr(prefix.size()), out)) {
        std::fprintf(stderr, "bad %s\n", a.c_str());
        std::exit(2);
      }
      return true;
    };
    if (value("cis", &cis) || value("relationships", &relationships) || value("depth", &depth) ||
        value("queries", &queries) || value("seed", &seed)) {
      continue;
    }
    if (a == "--skip-service") {
      service = false;
      continue;
    }
    std::fprintf(stderr, "unknown option %s\n", a.c_str());
    return 2;
  }

  auto t0 = std::chrono::steady_clock::now();
  Graph g = Generate(cis, relationships, seed);
  std::printf("graph: %zu CIs, %zu relationships (generated in %.1f s)\n", g.nodes.size(),
              g.rels.size(), Micros(t0) / 1e6);

  const long rss_before = RssKb();
  t0 = std::chrono::steady_clock::now();
  config::ImpactGraph graph;
  for (const auto& n : g.nodes) graph.UpsertNode(n);
  for (const auto& r : g.rels)
    graph.AddEdge(r.id, r.type, g.nodes[r.source].id, g.nodes[r.target].id);
  std::printf("in-memory index: built in %.0f ms, +%ld MiB RSS\n", Micros(t0) / 1e3,
              (RssKb() - rss_before) / 1024);

  std::mt19937 rng(seed + 1);
  std::vector<int> origins(queries);
  for (auto& o : origins) o = static_cast<int>(rng() % g.nodes.size());

  // Capped as the service caps by default (1,000 results), then uncapped: every CI in reach.
  for (int cap : {1000, 100000000})
    for (auto dir : {config::Direction::kDownstream, config::Direction::kUpstream}) {
      std::vector<double> us;
      double hits = 0, visited = 0;
      const double cpu_before = CpuSeconds();
      for (int o : origins) {
        auto start = std::chrono::steady_clock::now();
        auto r = graph.Traverse(
            {.origin = g.nodes[o].id, .direction = dir, .max_depth = depth, .max_results = cap});
        us.push_back(Micros(start));
        hits += r.hits.size();
        visited += r.visited;
      }
      Stats s = Summarise(us);
      std::printf(
          "traversal %-10s depth %d %s: p50 %.3f ms  p99 %.3f ms  max %.3f ms  CPU %.3f ms a "
          "query  (mean %.0f CIs reached, %.0f reported)\n",
          dir == config::Direction::kDownstream ? "downstream" : "upstream", depth,
          cap == 1000 ? "max 1000" : "uncapped", s.p50 / 1e3, s.p99 / 1e3, s.max / 1e3,
          (CpuSeconds() - cpu_before) * 1e3 / queries, visited / queries, hits / queries);
    }
  if (!service) return 0;

  // The same graph in a SQLite file, then the service's own code path from a cold start.
  auto db = testing::NewDatabase(testing::Backend::kSqlite);
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", db.status().ToString().c_str());
    return 1;
  }
  if (!storage::ApplySchema(**db, config::ConfigRepository::Schema()).ok()) {
    std::fprintf(stderr, "migration failed\n");
    return 1;
  }
  t0 = std::chrono::steady_clock::now();
  {
    auto txn = (*db)->Begin(storage::TransactionMode::kReadWrite);
    auto seq = config::ConfigRepository::NextGraphSeq(**txn);
    for (const auto& n : g.nodes) {
      config::v1::ConfigurationItem ci;
      ci.set_id(n.id);
      ci.set_class_name(n.class_name);
      ci.set_name(n.name);
      ci.set_status(n.status);
      ci.set_version(1);
      if (auto s = config::ConfigRepository::InsertCi(**txn, ci, *seq); !s.ok()) {
        std::fprintf(stderr, "%s\n", s.ToString().c_str());
        return 1;
      }
    }
    for (const auto& r : g.rels) {
      config::v1::Relationship rel;
      rel.set_id(r.id);
      rel.set_type(r.type);
      rel.set_source_id(g.nodes[r.source].id);
      rel.set_target_id(g.nodes[r.target].id);
      if (auto s = config::ConfigRepository::InsertRelationship(**txn, rel, *seq); !s.ok()) {
        std::fprintf(stderr, "%s\n", s.ToString().c_str());
        return 1;
      }
    }
    if (auto s = (*txn)->Commit(); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
  }
  std::printf("sqlite: loaded in %.1f s\n", Micros(t0) / 1e6);

  base::SystemClock& clock = base::SystemClock::Get();
  config::Cmdb cmdb(**db, clock);
  const long rss_cmdb = RssKb();
  const double load_cpu_before = CpuSeconds();
  t0 = std::chrono::steady_clock::now();
  if (auto s = cmdb.Load(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  std::printf(
      "service cold start (Cmdb::Load, %zu CIs / %zu relationships): %.2f s (CPU %.2f s), +%ld "
      "MiB RSS\n",
      cmdb.graph_nodes(), cmdb.graph_edges(), Micros(t0) / 1e6, CpuSeconds() - load_cpu_before,
      (RssKb() - rss_cmdb) / 1024);
  for (auto dir :
       {config::v1::IMPACT_DIRECTION_DOWNSTREAM, config::v1::IMPACT_DIRECTION_UPSTREAM}) {
    std::vector<double> us;
    double items = 0;
    const double cpu_before = CpuSeconds();
    for (int o : origins) {
      config::v1::AnalyzeImpactRequest request;
      request.set_ci_id(g.nodes[o].id);
      request.set_direction(dir);
      request.set_max_depth(depth);
      auto start = std::chrono::steady_clock::now();
      {
        // As the service answers it: on an arena of the call's own.
        google::protobuf::Arena arena;
        auto* response =
            google::protobuf::Arena::CreateMessage<config::v1::AnalyzeImpactResponse>(&arena);
        if (absl::Status s = cmdb.AnalyzeImpact(request, *response); !s.ok()) {
          std::fprintf(stderr, "%s\n", s.ToString().c_str());
          return 1;
        }
        items += response->items_size();
      }
      us.push_back(Micros(start));
    }
    Stats s = Summarise(us);
    std::printf(
        "AnalyzeImpact %-10s depth %d: p50 %.3f ms  p99 %.3f ms  max %.3f ms  CPU %.3f ms a "
        "query  (mean %.0f items, max_results 1000)\n",
        dir == config::v1::IMPACT_DIRECTION_DOWNSTREAM ? "downstream" : "upstream", depth,
        s.p50 / 1e3, s.p99 / 1e3, s.max / 1e3, (CpuSeconds() - cpu_before) * 1e3 / queries,
        items / queries);
  }
  return 0;
}
