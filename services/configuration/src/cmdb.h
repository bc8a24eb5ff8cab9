// The configuration service's operations, apart from gRPC: each write runs inside the caller's
// transaction (the group committer's unit) and writes the record, its history entry and its
// outbox event together; reads open their own snapshot. The impact graph and the class catalog
// are in-memory views of storage, caught up from it before use (see ConfigRepository on the
// graph sequence), so several replicas sharing one PostgreSQL stay correct.
//
//   Cmdb cmdb(db, clock);
//   ITSM_RETURN_IF_ERROR(cmdb.Load());
//   committer.Run([&](Transaction& txn) { return cmdb.CreateCi(txn, caller, request, ci); });
#ifndef ITSM_SERVICES_CONFIGURATION_CMDB_H_
#define ITSM_SERVICES_CONFIGURATION_CMDB_H_

#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "itsm/base/caller.h"
#include "itsm/base/clock.h"
#include "itsm/config/v1/config.pb.h"
#include "itsm/storage/database.h"
#include "services/configuration/src/class_catalog.h"
#include "services/configuration/src/impact_graph.h"

namespace itsm::config {

inline constexpr char kConfigTopic[] = "itsm.config.v1";
inline constexpr char kEventSource[] = "itsm/configuration";
inline constexpr int kMaxImportItems = 5000;
inline constexpr int kMaxImportRelationships = 20000;

// A feed whose rows over a field limit (a description of 20,001 characters) are answered as
// their own rejections, as any other bad row is, rather than refusing the whole call (found from
// outside: one long description threw a 5,000-row feed away). The rows are taken out before the
// call is admitted: `request` holds an empty row in their place, and the refusals by index.
struct ImportRows {
  v1::ImportConfigurationItemsRequest request;
  std::map<int, absl::Status> refused_items = {};
  std::map<int, absl::Status> refused_relationships = {};
};
ImportRows SeparateOverLimitRows(const v1::ImportConfigurationItemsRequest& request);
inline constexpr int kMaxBaselineCis = 10000;
inline constexpr int kMaxDepth = 12;
inline constexpr int kDefaultDepth = 6;
inline constexpr int kMaxImpactResults = 10000;

class Cmdb {
 public:
  // The most bytes of records one ListClasses or ListBaselines page carries, whatever page_size
  // asks: a class may take 256 KiB (more with its inherited attributes), a baseline's
  // description 16 KB, and a page must stay well below gRPC's 4 MiB message limit, which 500 of
  // either could pass.
  static constexpr size_t kMaxPageBytes = 2 * 1024 * 1024;

  Cmdb(storage::Database& db, const base::Clock& clock) : db_(db), clock_(clock) {}

  // Loads the classes and the whole graph (at start; later calls catch up).
  absl::Status Load();

  // Classes.
  absl::Status CreateClass(storage::Transaction& txn, const base::Caller& caller, v1::CiClass& c);
  absl::StatusOr<v1::CiClass> GetClass(const std::string& name);
  // One page, sorted by name, keyset-paginated on the name; a page stops at page_size classes
  // or before kMaxPageBytes, whichever comes first (never empty while classes remain).
  absl::StatusOr<v1::ListClassesResponse> ListClasses(const v1::ListClassesRequest& request);
  // Re-reads the classes (after a class was created here or on another replica).
  absl::Status ReloadClasses();

  // CIs.
  absl::Status CreateCi(storage::Transaction& txn, const base::Caller& caller,
                        const v1::CreateConfigurationItemRequest& request,
                        v1::ConfigurationItem& out);
  absl::Status UpdateCi(storage::Transaction& txn, const base::Caller& caller,
                        const v1::UpdateConfigurationItemRequest& request,
                        v1::ConfigurationItem& out);
  absl::StatusOr<v1::ConfigurationItem> GetCi(const std::string& id_or_key);
  absl::StatusOr<v1::ListConfigurationItemsResponse> ListCis(
      const v1::ListConfigurationItemsRequest& request);

  // Relationships.
  absl::Status CreateRelationship(storage::Transaction& txn, const base::Caller& caller,
                                  const v1::CreateRelationshipRequest& request,
                                  v1::Relationship& out);
  absl::Status DeleteRelationship(storage::Transaction& txn, const base::Caller& caller,
                                  const std::string& id, v1::Relationship& out);
  absl::StatusOr<v1::ListRelationshipsResponse> ListRelationships(const std::string& ci_id);

  // Into `out`, which the gRPC handler keeps on the call's arena.
  absl::Status AnalyzeImpact(const v1::AnalyzeImpactRequest& request,
                             v1::AnalyzeImpactResponse& out);
  absl::StatusOr<v1::ListHistoryResponse> ListHistory(const v1::ListHistoryRequest& request);

  absl::Status CreateBaseline(storage::Transaction& txn, const base::Caller& caller,
                              const v1::CreateBaselineRequest& request, v1::Baseline& out);
  // By id or name.
  absl::StatusOr<v1::Baseline> GetBaseline(const v1::GetBaselineRequest& request);
  // One page, sorted by name, keyset-paginated on the name, without the baselines' CI lists; a
  // page stops at page_size baselines or before kMaxPageBytes.
  absl::StatusOr<v1::ListBaselinesResponse> ListBaselines(const v1::ListBaselinesRequest& request);
  absl::StatusOr<v1::DiffBaselineResponse> DiffBaseline(const v1::DiffBaselineRequest& request);

  absl::Status Import(storage::Transaction& txn, const base::Caller& caller, const ImportRows& rows,
                      v1::ImportConfigurationItemsResponse& out);

  // Brings the in-memory graph up to the database's graph head.
  absl::Status RefreshGraph();
  size_t graph_nodes() const;
  size_t graph_edges() const;

 private:
  // By id or name (`baseline`, the request's field); NOT_FOUND naming it.
  static absl::StatusOr<v1::Baseline> FindBaseline(storage::Transaction& txn,
                                                   const std::string& baseline);
  std::shared_ptr<const ClassCatalog> catalog() const;
  // The classes a request's `class_names` filter names, each with its subclasses. An entry that
  // names no class is the caller's mistake in that entry (`class_names[2]: no class "x"`), not a
  // missing resource.
  absl::StatusOr<std::set<std::string>> ClassFilter(
      const google::protobuf::RepeatedPtrField<std::string>& class_names);
  // The catalog, re-read from `txn` when it lacks `class_name` (created on another replica).
  absl::StatusOr<std::shared_ptr<const ClassCatalog>> CatalogFor(storage::Transaction& txn,
                                                                 const std::string& class_name);
  absl::StatusOr<v1::ConfigurationItem> WriteNewCi(storage::Transaction& txn,
                                                   const base::Caller& caller,
                                                   v1::ConfigurationItem ci, int64_t graph_seq);
  absl::Status WriteCiUpdate(storage::Transaction& txn, const base::Caller& caller,
                             const v1::ConfigurationItem& before, v1::ConfigurationItem& next,
                             int64_t graph_seq);
  absl::StatusOr<v1::Relationship> WriteNewRelationship(
      storage::Transaction& txn, const base::Caller& caller, const v1::ConfigurationItem& source,
      const v1::ConfigurationItem& target, v1::RelationshipType type,
      const std::string& description, int64_t graph_seq);
  // The CIs a root-scoped baseline covers now: the root and what it depends on.
  absl::StatusOr<std::vector<std::string>> RootScope(const std::string& root_id, int depth);

  storage::Database& db_;
  const base::Clock& clock_;
  mutable absl::Mutex catalog_mu_;
  std::shared_ptr<const ClassCatalog> catalog_ ABSL_GUARDED_BY(catalog_mu_);
  absl::Mutex refresh_mu_;  // one catch-up at a time
  mutable absl::Mutex graph_mu_;
  ImpactGraph graph_ ABSL_GUARDED_BY(graph_mu_);
  int64_t graph_seq_ ABSL_GUARDED_BY(graph_mu_) = 0;
};

}  // namespace itsm::config

#endif  // ITSM_SERVICES_CONFIGURATION_CMDB_H_
