// The CMDB in the service's own database. Rows keep the columns that filters, uniqueness and
// ordering need plus the whole record as a serialised message, so records can grow fields
// without a migration each. Every method works inside the caller's transaction.
//
// The graph sequence: every write that changes a CI or a relationship first takes the next value
// of config_graph_head (an UPDATE, so it holds the row lock until commit) and stamps the rows it
// writes with it. Because the next value can only be taken after the previous holder committed,
// "every row stamped <= head" is complete in any snapshot that sees head; GraphIndex catches up
// on exactly that range, on every replica.
#ifndef ITSM_SERVICES_CONFIGURATION_CONFIG_REPOSITORY_H_
#define ITSM_SERVICES_CONFIGURATION_CONFIG_REPOSITORY_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "itsm/config/v1/config.pb.h"
#include "itsm/storage/database.h"
#include "itsm/storage/migrations.h"
#include "services/configuration/src/impact_graph.h"

namespace itsm::config {

// The page size a list request asks for, checked: 1..500, and 0 for the default of 50.
absl::StatusOr<int> PageSize(const common::v1::PageRequest& page);
// INVALID_ARGUMENT on page.page_token: a token that decoded but holds no position of this list.
absl::Status BadToken();

struct CiPage {
  std::vector<v1::ConfigurationItem> items;
  std::string next_page_token;  // empty on the last page
};

struct HistoryPage {
  std::vector<v1::HistoryEntry> entries;
  std::string next_page_token;
};

struct StoredRelationship {
  v1::Relationship relationship;
  bool deleted = false;
};

// What the impact graph needs of a relationship row (ScanGraph): no message per row, which at
// start-up on a large CMDB was most of the load's time and memory.
struct GraphEdgeRow {
  std::string id;
  v1::RelationshipType type = v1::RELATIONSHIP_TYPE_UNSPECIFIED;
  std::string source_id;
  std::string target_id;
  bool deleted = false;
};

// Rows of the graph as ScanGraph reads them.
struct GraphPage {
  std::vector<GraphNode> nodes;
  std::vector<GraphEdgeRow> relations;
};
inline constexpr int kGraphScanPage = 20000;

class ConfigRepository {
 public:
  static const std::vector<storage::Migration>& Migrations();
  // The service database's whole schema: the outbox, the record toolkit, then these tables.
  static std::vector<storage::SchemaComponent> Schema();

  // Classes.
  static absl::StatusOr<std::vector<v1::CiClass>> LoadClasses(storage::Transaction& txn);
  static absl::Status InsertClass(storage::Transaction& txn, const v1::CiClass& c);

  // The next graph sequence value; holds the head row's lock until the transaction ends.
  static absl::StatusOr<int64_t> NextGraphSeq(storage::Transaction& txn);
  static absl::StatusOr<int64_t> GraphHead(storage::Transaction& txn);
  // Calls `page` with the CIs and relationships stamped in (after, upto], CIs first, a page of
  // at most kGraphScanPage rows at a time (so a start-up load of a large CMDB never holds all
  // rows at once). A page holds CIs or relationships, never both. `page` may keep the page's
  // rows by swapping it with another page, whose rows' strings are then written over (their
  // memory reused rather than freed and allocated again).
  static absl::Status ScanGraph(storage::Transaction& txn, int64_t after, int64_t upto,
                                const std::function<void(GraphPage&)>& page);

  // CIs. ALREADY_EXISTS names the field when (class_name, name) is taken.
  static absl::Status InsertCi(storage::Transaction& txn, const v1::ConfigurationItem& ci,
                               int64_t graph_seq);
  // Writes `ci` (whose version is already the new one) if the stored version is still
  // expected_version; ABORTED otherwise.
  static absl::Status UpdateCi(storage::Transaction& txn, const v1::ConfigurationItem& ci,
                               int64_t expected_version, int64_t graph_seq);
  // By id or "class_name/name".
  static absl::StatusOr<std::optional<v1::ConfigurationItem>> FindCi(storage::Transaction& txn,
                                                                     const std::string& id_or_key);
  static absl::StatusOr<std::optional<v1::ConfigurationItem>> FindCiByName(
      storage::Transaction& txn, const std::string& class_name, const std::string& name);
  // Sorted by name, keyset-paginated on (name, id). `classes` is the expanded class filter.
  static absl::StatusOr<CiPage> ListCis(storage::Transaction& txn,
                                        const v1::ListConfigurationItemsRequest& request,
                                        const std::vector<std::string>& classes);

  // Relationships. ALREADY_EXISTS when the same (source, target, type) is current.
  static absl::Status InsertRelationship(storage::Transaction& txn, const v1::Relationship& r,
                                         int64_t graph_seq);
  static absl::StatusOr<std::optional<StoredRelationship>> FindRelationship(
      storage::Transaction& txn, const std::string& id);
  static absl::StatusOr<std::optional<v1::Relationship>> FindCurrentRelationship(
      storage::Transaction& txn, const std::string& source_id, const std::string& target_id,
      v1::RelationshipType type);
  // NOT_FOUND-free: returns false when it was already deleted.
  static absl::StatusOr<bool> MarkRelationshipDeleted(storage::Transaction& txn,
                                                      const std::string& id, int64_t graph_seq);
  // The current relationships where `ci_id` is the source (`outgoing`) or the target, the
  // oldest first, at most `limit`.
  static absl::StatusOr<std::vector<v1::Relationship>> RelationshipsOneWay(
      storage::Transaction& txn, const std::string& ci_id, bool outgoing, int64_t limit);
  // Current relationships with the CI at either end.
  static absl::StatusOr<std::vector<v1::Relationship>> RelationshipsOf(storage::Transaction& txn,
                                                                       const std::string& ci_id);

  // History, oldest first, keyset-paginated on its sequence.
  static absl::Status AppendHistory(storage::Transaction& txn, const v1::HistoryEntry& entry,
                                    const std::string& ci_a, const std::string& ci_b);
  static absl::StatusOr<HistoryPage> ListHistory(storage::Transaction& txn,
                                                 const std::string& subject_id,
                                                 bool include_relationships,
                                                 const common::v1::PageRequest& page);

  // Baselines: the record and the snapshot of its CIs and relationships.
  static absl::Status InsertBaseline(storage::Transaction& txn, const v1::Baseline& baseline,
                                     const std::vector<v1::ConfigurationItem>& cis,
                                     const std::vector<v1::Relationship>& relationships);
  // By id or name.
  static absl::StatusOr<std::optional<v1::Baseline>> FindBaseline(storage::Transaction& txn,
                                                                  const std::string& id_or_name);
  // By name, those after `after_name` (every one when empty), at most `limit`; their CI lists
  // are not read (a baseline stored before migration 4 may still carry its own).
  static absl::StatusOr<std::vector<v1::Baseline>> ListBaselines(storage::Transaction& txn,
                                                                 const std::string& after_name,
                                                                 int limit);
  static absl::StatusOr<std::vector<v1::ConfigurationItem>> BaselineItems(
      storage::Transaction& txn, const std::string& baseline_id);
  static absl::StatusOr<std::vector<v1::Relationship>> BaselineRelationships(
      storage::Transaction& txn, const std::string& baseline_id);
};

}  // namespace itsm::config

#endif  // ITSM_SERVICES_CONFIGURATION_CONFIG_REPOSITORY_H_
