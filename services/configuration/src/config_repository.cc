#include "services/configuration/src/config_repository.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/json_util.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/outbox/outbox.h"
#include "itsm/records/enum_set.h"
#include "itsm/records/idempotency.h"
#include "itsm/records/page_cursor.h"
#include "itsm/records/page_start.h"
#include "itsm/storage/counter.h"
#include "itsm/storage/like.h"
#include "services/configuration/src/class_catalog.h"

namespace itsm::config {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

}  // namespace

absl::StatusOr<int> PageSize(const common::v1::PageRequest& page) {
  if (page.page_size() < 0 || page.page_size() > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page.page_size: must be 0..", kMaxPageSize, ", got ", page.page_size()));
  }
  return page.page_size() == 0 ? kDefaultPageSize : page.page_size();
}

absl::Status BadToken() {
  return absl::InvalidArgumentError("page.page_token: not a token this service issued");
}

namespace {

template <typename M>
absl::StatusOr<M> Decode(const storage::Value& data, const char* what) {
  M m;
  if (!m.ParseFromString(data.AsString())) {
    return absl::DataLossError(absl::StrCat("stored ", what, " does not parse"));
  }
  return m;
}

absl::StatusOr<v1::CiClass> ClassFromJson(const std::string& json) {
  v1::CiClass c;
  if (!google::protobuf::util::JsonStringToMessage(json, &c).ok()) {
    return absl::DataLossError("stored class does not parse");
  }
  return c;
}

std::string ClassToJson(v1::CiClass c) {
  c.clear_effective_attributes();
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(c, &json);
  return json;
}

std::string DefaultClassesSql() {
  // Frozen once released: the defaults change through a new migration, never by editing this
  // one (databases that already ran it would not see the edit).
  std::string sql;
  for (const auto& c : DefaultClasses()) {
    absl::StrAppend(&sql, "INSERT INTO ci_classes(name, data, create_time_us) VALUES ('", c.name(),
                    "', '", absl::StrReplaceAll(ClassToJson(c), {{"'", "''"}}), "', 0);\n");
  }
  return sql;
}

constexpr char kSchemaSqlite[] = R"sql(
CREATE TABLE ci_classes (
  name TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  create_time_us BIGINT NOT NULL
);
CREATE TABLE config_graph_head (name TEXT PRIMARY KEY, seq BIGINT NOT NULL);
INSERT INTO config_graph_head(name, seq) VALUES ('graph', 0);
CREATE TABLE config_items (
  id TEXT PRIMARY KEY,
  class_name TEXT NOT NULL,
  name TEXT NOT NULL,
  name_lower TEXT NOT NULL,
  status INTEGER NOT NULL,
  owner_group TEXT NOT NULL,
  criticality INTEGER NOT NULL,
  version BIGINT NOT NULL,
  graph_seq BIGINT NOT NULL,
  data BLOB NOT NULL,
  UNIQUE (class_name, name)
);
CREATE INDEX config_items_name ON config_items(name, id);
CREATE INDEX config_items_graph ON config_items(graph_seq);
CREATE INDEX config_items_group ON config_items(owner_group, name);
CREATE TABLE config_relationships (
  id TEXT PRIMARY KEY,
  type INTEGER NOT NULL,
  source_id TEXT NOT NULL,
  target_id TEXT NOT NULL,
  deleted INTEGER NOT NULL,
  graph_seq BIGINT NOT NULL,
  data BLOB NOT NULL
);
CREATE UNIQUE INDEX config_relationships_current ON config_relationships(source_id, target_id, type)
  WHERE deleted = 0;
CREATE INDEX config_relationships_source ON config_relationships(source_id);
CREATE INDEX config_relationships_target ON config_relationships(target_id);
CREATE INDEX config_relationships_graph ON config_relationships(graph_seq);
CREATE TABLE config_history (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  subject_id TEXT NOT NULL,
  ci_a TEXT NOT NULL,
  ci_b TEXT NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX config_history_subject ON config_history(subject_id, seq);
CREATE INDEX config_history_ci_a ON config_history(ci_a, seq);
CREATE INDEX config_history_ci_b ON config_history(ci_b, seq);
CREATE TABLE config_idempotency (
  idempotency_key TEXT PRIMARY KEY,
  ci_id TEXT NOT NULL,
  request_fingerprint TEXT NOT NULL,
  created_at_us BIGINT NOT NULL
);
CREATE TABLE config_baselines (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  data BLOB NOT NULL
);
CREATE TABLE config_baseline_items (
  baseline_id TEXT NOT NULL,
  ci_id TEXT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (baseline_id, ci_id)
);
CREATE TABLE config_baseline_relationships (
  baseline_id TEXT NOT NULL,
  relationship_id TEXT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (baseline_id, relationship_id)
);
)sql";

}  // namespace

std::vector<storage::SchemaComponent> ConfigRepository::Schema() {
  return {{"outbox", outbox::Outbox::Migrations()},
          {records::IdempotencyStore::kComponent, records::IdempotencyStore::Migrations()},
          {"configuration", Migrations()}};
}

const std::vector<storage::Migration>& ConfigRepository::Migrations() {
  static const std::vector<storage::Migration> kMigrations = {
      {1, "create cmdb tables", kSchemaSqlite, ""},
      {2, "default CI classes", DefaultClassesSql(), ""},
      // Keys move to the record toolkit's table (component "records", applied before this one).
      {3, "idempotency keys in the shared table",
       R"sql(
INSERT INTO idempotency_keys(method, idempotency_key, record_id, request_fingerprint,
                             create_time_us)
SELECT 'itsm.config.v1.ConfigurationService/CreateConfigurationItem', idempotency_key, ci_id,
       request_fingerprint, created_at_us
FROM config_idempotency;
DROP TABLE config_idempotency;
)sql"},
      // A baseline's CI list (up to 10,000 ids) moves out of `data`, so that listing baselines
      // reads only what a list shows. Rows written before keep it in `data` (scope NULL).
      {4, "baselines keep their CI list apart",
       "ALTER TABLE config_baselines ADD COLUMN scope BLOB;"},
      // A CI given by its name alone is looked up by the whole name, in any case.
      {5, "CIs by lower-case name",
       "CREATE INDEX config_items_name_lower ON config_items(name_lower);"},
  };
  return kMigrations;
}

absl::StatusOr<std::vector<v1::CiClass>> ConfigRepository::LoadClasses(storage::Transaction& txn) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT data FROM ci_classes ORDER BY name"));
  std::vector<v1::CiClass> out;
  for (const auto& row : rows.rows()) {
    ITSM_ASSIGN_OR_RETURN(v1::CiClass c, ClassFromJson(row[0].AsString()));
    out.push_back(std::move(c));
  }
  return out;
}

absl::Status ConfigRepository::InsertClass(storage::Transaction& txn, const v1::CiClass& c) {
  absl::Status s =
      txn.Execute("INSERT INTO ci_classes(name, data, create_time_us) VALUES ($1, $2, $3)",
                  {c.name(), ClassToJson(c),
                   absl::ToUnixMicros(base::FromProtoTimestamp(c.create_time()))})
          .status();
  if (s.code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError(absl::StrCat("ci_class.name: class \"", c.name(), "\" exists"));
  }
  return s;
}

absl::StatusOr<int64_t> ConfigRepository::NextGraphSeq(storage::Transaction& txn) {
  return storage::IncrementCounter(txn, "config_graph_head", "seq", "graph");
}

absl::StatusOr<int64_t> ConfigRepository::GraphHead(storage::Transaction& txn) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT seq FROM config_graph_head WHERE name = 'graph'"));
  return rows.row(0)[0].AsInt();
}

namespace {

// ScanGraph's condition on graph_seq ($1, $2). A catch-up reads few rows: through the graph_seq
// index. The first load reads them all: SQLite would still pick that index and sort every row
// by id for each page (a cold start of 100,000 CIs and 500,000 relationships took seconds); the
// unary plus keeps the index out, so pages are read in key order and stop at the limit.
std::string SeqRange(int64_t after) {
  return after == 0 ? "+graph_seq > $1 AND +graph_seq <= $2" : "graph_seq > $1 AND graph_seq <= $2";
}

// The order ScanGraph pages a table in, and the column that carries it (the last one selected).
// The first load on SQLite goes in rowid order: there a TEXT primary key is an index beside the
// table, and reading in id order cost a b-tree seek into the table for every row (a quarter of
// the reading thread's time on 500,000 relationships). Anywhere else in id order.
struct PageOrder {
  std::string column;
  storage::Value start;
};

PageOrder PageOrderFor(const storage::Transaction& txn, int64_t after) {
  if (after == 0 && txn.dialect() == storage::Dialect::kSqlite) return {"rowid", int64_t{0}};
  return {"id", std::string()};
}

// Reads `columns` of `table` page by page in `order`, handing each page's rows to `take`.
absl::Status ScanPages(storage::Transaction& txn, int64_t after, int64_t upto,
                       absl::string_view table, absl::string_view columns, const PageOrder& order,
                       const std::function<void(const storage::ResultSet&)>& take) {
  storage::Value last = order.start;
  for (;;) {
    ITSM_ASSIGN_OR_RETURN(
        storage::ResultSet rows,
        txn.Query(absl::StrCat("SELECT ", columns, ", ", order.column, " FROM ", table, " WHERE ",
                               SeqRange(after), " AND ", order.column, " > $3 ORDER BY ",
                               order.column, " LIMIT $4"),
                  {after, upto, last, kGraphScanPage}));
    if (rows.size() > 0) {
      take(rows);
      last = rows.rows().back().back();
    }
    if (rows.size() < static_cast<size_t>(kGraphScanPage)) return absl::OkStatus();
  }
}

}  // namespace

absl::Status ConfigRepository::ScanGraph(storage::Transaction& txn, int64_t after, int64_t upto,
                                         const std::function<void(GraphPage&)>& page) {
  const PageOrder order = PageOrderFor(txn, after);
  GraphPage out;
  ITSM_RETURN_IF_ERROR(
      ScanPages(txn, after, upto, "config_items", "id, class_name, name, status, criticality",
                order, [&](const storage::ResultSet& rows) {
                  out.relations.clear();
                  out.nodes.resize(rows.size());
                  for (size_t i = 0; i < rows.size(); ++i) {
                    const auto& row = rows.rows()[i];
                    GraphNode& n = out.nodes[i];
                    n.id = row[0].AsString();
                    n.class_name = row[1].AsString();
                    n.name = row[2].AsString();
                    n.status = static_cast<v1::LifecycleStatus>(row[3].AsInt());
                    n.criticality = static_cast<v1::BusinessCriticality>(row[4].AsInt());
                  }
                  page(out);
                }));
  return ScanPages(txn, after, upto, "config_relationships",
                   "id, type, source_id, target_id, deleted", order,
                   [&](const storage::ResultSet& rows) {
                     out.nodes.clear();
                     out.relations.resize(rows.size());
                     for (size_t i = 0; i < rows.size(); ++i) {
                       const auto& row = rows.rows()[i];
                       GraphEdgeRow& r = out.relations[i];
                       r.id = row[0].AsString();
                       r.type = static_cast<v1::RelationshipType>(row[1].AsInt());
                       r.source_id = row[2].AsString();
                       r.target_id = row[3].AsString();
                       r.deleted = row[4].AsInt() != 0;
                     }
                     page(out);
                   });
}

absl::Status ConfigRepository::InsertCi(storage::Transaction& txn, const v1::ConfigurationItem& ci,
                                        int64_t graph_seq) {
  absl::Status s =
      txn.Execute(
             "INSERT INTO config_items(id, class_name, name, name_lower, status, owner_group,"
             " criticality, version, graph_seq, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
             "$10)",
             {ci.id(), ci.class_name(), ci.name(), absl::AsciiStrToLower(ci.name()),
              static_cast<int>(ci.status()), ci.owner_group(),
              static_cast<int>(ci.business_criticality()), ci.version(), graph_seq,
              storage::Bytes{ci.SerializeAsString()}})
          .status();
  if (s.code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError(
        absl::StrCat("name: a ", ci.class_name(), " named \"", ci.name(), "\" exists"));
  }
  return s;
}

absl::Status ConfigRepository::UpdateCi(storage::Transaction& txn, const v1::ConfigurationItem& ci,
                                        int64_t expected_version, int64_t graph_seq) {
  auto changed = txn.Execute(
      "UPDATE config_items SET name = $2, name_lower = $3, status = $4, owner_group = $5,"
      " criticality = $6, version = $7, graph_seq = $8, data = $9 WHERE id = $1 AND version = $10",
      {ci.id(), ci.name(), absl::AsciiStrToLower(ci.name()), static_cast<int>(ci.status()),
       ci.owner_group(), static_cast<int>(ci.business_criticality()), ci.version(), graph_seq,
       storage::Bytes{ci.SerializeAsString()}, expected_version});
  if (changed.status().code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError(absl::StrCat("configuration_item.name: a ", ci.class_name(),
                                                 " named \"", ci.name(), "\" exists"));
  }
  if (!changed.ok()) return changed.status();
  if (*changed == 0) {
    return absl::AbortedError(absl::StrCat("configuration_item.version: CI ", ci.id(),
                                           " changed since version ", expected_version,
                                           "; read it again and retry"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::ConfigurationItem>> ConfigRepository::FindCi(
    storage::Transaction& txn, const std::string& id_or_key) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT data FROM config_items WHERE id = $1", {id_or_key}));
  if (rows.empty()) {
    // "class_name/name": class names never hold '/', so the first one separates.
    const size_t slash = id_or_key.find('/');
    if (slash == std::string::npos) return std::nullopt;
    return FindCiByName(txn, id_or_key.substr(0, slash), id_or_key.substr(slash + 1));
  }
  ITSM_ASSIGN_OR_RETURN(auto ci, Decode<v1::ConfigurationItem>(rows.row(0)[0], "CI"));
  return ci;
}

absl::StatusOr<std::optional<v1::ConfigurationItem>> ConfigRepository::FindCiByName(
    storage::Transaction& txn, const std::string& class_name, const std::string& name) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT data FROM config_items WHERE class_name = $1 AND name = $2",
                {class_name, name}));
  if (rows.empty()) return std::nullopt;
  ITSM_ASSIGN_OR_RETURN(auto ci, Decode<v1::ConfigurationItem>(rows.row(0)[0], "CI"));
  return ci;
}

absl::StatusOr<CiPage> ConfigRepository::ListCis(storage::Transaction& txn,
                                                 const v1::ListConfigurationItemsRequest& request,
                                                 const std::vector<std::string>& classes) {
  ITSM_ASSIGN_OR_RETURN(int page_size, PageSize(request.page()));
  // A token holds the (name, id) of the last CI returned.
  const std::string scope =
      records::PageScope("itsm.config.v1.ConfigurationService/ListConfigurationItems", request);
  ITSM_ASSIGN_OR_RETURN(auto after, records::DecodePageCursor(scope, request.page().page_token()));
  if (!after.empty() && after.size() != 2) return BadToken();
  const bool has_cursor = !after.empty();
  const std::string after_name = has_cursor ? after[0] : "";
  const std::string after_id = has_cursor ? after[1] : "";
  ITSM_ASSIGN_OR_RETURN(
      const int64_t status_mask,
      records::EnumSetMask("statuses", *v1::LifecycleStatus_descriptor(), request.statuses()));
  // A configuration item nobody rated holds the zero, and a caller may look for those.
  ITSM_ASSIGN_OR_RETURN(
      const int64_t criticality_mask,
      records::EnumSetMask("business_criticalities", *v1::BusinessCriticality_descriptor(),
                           request.business_criticalities(), records::EnumZero::kAllowed));
  storage::Params params = {status_mask,
                            criticality_mask,
                            request.owner_group(),
                            request.name_contains().empty()
                                ? std::string()
                                : storage::ContainsPattern(request.name_contains()),
                            has_cursor ? 1 : 0,
                            after_name,
                            after_id,
                            page_size + 1,
                            absl::AsciiStrToLower(request.name())};
  std::string class_filter;
  if (!classes.empty()) {
    class_filter = " AND class_name IN (";
    for (size_t i = 0; i < classes.size(); ++i) {
      absl::StrAppend(&class_filter, i ? ", " : "", "$", params.size() + 1);
      params.emplace_back(absl::string_view(classes[i]));
    }
    class_filter += ")";
  }
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query(absl::StrCat("SELECT name, id, data FROM config_items"
                             " WHERE ($1 = 0 OR (($1 >> status) & 1) = 1)"
                             " AND ($2 = 0 OR (($2 >> criticality) & 1) = 1)"
                             " AND ($3 = '' OR owner_group = $3)"
                             " AND ($4 = '' OR name_lower LIKE $4 ESCAPE '\\')"
                             " AND ($9 = '' OR name_lower = $9)"
                             " AND ($5 = 0 OR name > $6 OR (name = $6 AND id > $7))",
                             class_filter, " ORDER BY name, id LIMIT $8"),
                params));
  CiPage page;
  const size_t shown = records::RowsOnPage(rows, 2, page_size);
  for (size_t i = 0; i < shown; ++i) {
    ITSM_ASSIGN_OR_RETURN(auto ci, Decode<v1::ConfigurationItem>(rows.row(i)[2], "CI"));
    page.items.push_back(std::move(ci));
  }
  if (rows.size() > shown) {
    page.next_page_token = records::EncodePageCursor(
        scope, {rows.row(shown - 1)[0].AsString(), rows.row(shown - 1)[1].AsString()});
  }
  return page;
}

absl::Status ConfigRepository::InsertRelationship(storage::Transaction& txn,
                                                  const v1::Relationship& r, int64_t graph_seq) {
  absl::Status s =
      txn.Execute(
             "INSERT INTO config_relationships(id, type, source_id, target_id, deleted,"
             " graph_seq, data) VALUES ($1, $2, $3, $4, 0, $5, $6)",
             {r.id(), static_cast<int>(r.type()), r.source_id(), r.target_id(), graph_seq,
              storage::Bytes{r.SerializeAsString()}})
          .status();
  if (s.code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError("type: this relationship exists");
  }
  return s;
}

absl::StatusOr<std::optional<StoredRelationship>> ConfigRepository::FindRelationship(
    storage::Transaction& txn, const std::string& id) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT data, deleted FROM config_relationships WHERE id = $1", {id}));
  if (rows.empty()) return std::nullopt;
  StoredRelationship out;
  ITSM_ASSIGN_OR_RETURN(out.relationship, Decode<v1::Relationship>(rows.row(0)[0], "relationship"));
  out.deleted = rows.row(0)[1].AsInt() != 0;
  return out;
}

absl::StatusOr<std::optional<v1::Relationship>> ConfigRepository::FindCurrentRelationship(
    storage::Transaction& txn, const std::string& source_id, const std::string& target_id,
    v1::RelationshipType type) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT data FROM config_relationships WHERE source_id = $1 AND target_id = $2"
                " AND type = $3 AND deleted = 0",
                {source_id, target_id, static_cast<int>(type)}));
  if (rows.empty()) return std::nullopt;
  ITSM_ASSIGN_OR_RETURN(auto r, Decode<v1::Relationship>(rows.row(0)[0], "relationship"));
  return r;
}

absl::StatusOr<bool> ConfigRepository::MarkRelationshipDeleted(storage::Transaction& txn,
                                                               const std::string& id,
                                                               int64_t graph_seq) {
  ITSM_ASSIGN_OR_RETURN(int64_t changed, txn.Execute("UPDATE config_relationships SET deleted = 1, "
                                                     "graph_seq = $2 WHERE id = $1 AND deleted = 0",
                                                     {id, graph_seq}));
  return changed > 0;
}

absl::StatusOr<std::vector<v1::Relationship>> ConfigRepository::RelationshipsOneWay(
    storage::Transaction& txn, const std::string& ci_id, bool outgoing, int64_t limit) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query(absl::StrCat("SELECT data FROM config_relationships WHERE ",
                             outgoing ? "source_id" : "target_id",
                             " = $1 AND deleted = 0 ORDER BY graph_seq, id LIMIT $2"),
                {ci_id, limit}));
  std::vector<v1::Relationship> out;
  for (const auto& row : rows.rows()) {
    ITSM_ASSIGN_OR_RETURN(auto r, Decode<v1::Relationship>(row[0], "relationship"));
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<std::vector<v1::Relationship>> ConfigRepository::RelationshipsOf(
    storage::Transaction& txn, const std::string& ci_id) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query(
          "SELECT data FROM config_relationships WHERE source_id = $1 AND deleted = 0"
          " UNION ALL SELECT data FROM config_relationships WHERE target_id = $1 AND deleted = 0",
          {ci_id}));
  std::vector<v1::Relationship> out;
  for (const auto& row : rows.rows()) {
    ITSM_ASSIGN_OR_RETURN(auto r, Decode<v1::Relationship>(row[0], "relationship"));
    out.push_back(std::move(r));
  }
  return out;
}

absl::Status ConfigRepository::AppendHistory(storage::Transaction& txn,
                                             const v1::HistoryEntry& entry, const std::string& ci_a,
                                             const std::string& ci_b) {
  return txn
      .Execute("INSERT INTO config_history(subject_id, ci_a, ci_b, data) VALUES ($1, $2, $3, $4)",
               {entry.subject_id(), ci_a, ci_b, storage::Bytes{entry.SerializeAsString()}})
      .status();
}

absl::StatusOr<HistoryPage> ConfigRepository::ListHistory(storage::Transaction& txn,
                                                          const std::string& subject_id,
                                                          bool include_relationships,
                                                          const common::v1::PageRequest& page) {
  ITSM_ASSIGN_OR_RETURN(int page_size, PageSize(page));
  // A token holds the sequence of the last entry returned, for this subject and scope only.
  const std::string scope = absl::StrCat("itsm.config.v1.ConfigurationService/ListHistory/",
                                         subject_id, "/", include_relationships);
  int64_t after = 0;
  ITSM_ASSIGN_OR_RETURN(auto position, records::DecodePageCursor(scope, page.page_token()));
  if (position.size() == 1) {
    ITSM_ASSIGN_OR_RETURN(after, records::CursorInt(position[0]));
  } else if (!position.empty()) {
    return BadToken();
  }
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT seq, data FROM config_history WHERE seq > $2 AND (subject_id = $1"
                " OR ($3 = 1 AND (ci_a = $1 OR ci_b = $1))) ORDER BY seq LIMIT $4",
                {subject_id, after, include_relationships ? 1 : 0, page_size + 1}));
  HistoryPage out;
  const size_t shown = records::RowsOnPage(rows, 1, page_size);
  for (size_t i = 0; i < shown; ++i) {
    ITSM_ASSIGN_OR_RETURN(auto e, Decode<v1::HistoryEntry>(rows.row(i)[1], "history entry"));
    out.entries.push_back(std::move(e));
  }
  if (rows.size() > shown) {
    out.next_page_token =
        records::EncodePageCursor(scope, {absl::StrCat(rows.row(shown - 1)[0].AsInt())});
  }
  return out;
}

absl::Status ConfigRepository::InsertBaseline(storage::Transaction& txn,
                                              const v1::Baseline& baseline,
                                              const std::vector<v1::ConfigurationItem>& cis,
                                              const std::vector<v1::Relationship>& relationships) {
  v1::Baseline scope;  // only the CI list, merged back by FindBaseline
  *scope.mutable_ci_ids() = baseline.ci_ids();
  v1::Baseline rest = baseline;
  rest.clear_ci_ids();
  absl::Status s =
      txn.Execute("INSERT INTO config_baselines(id, name, data, scope) VALUES ($1, $2, $3, $4)",
                  {baseline.id(), baseline.name(), storage::Bytes{rest.SerializeAsString()},
                   storage::Bytes{scope.SerializeAsString()}})
          .status();
  if (s.code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError(
        absl::StrCat("name: a baseline \"", baseline.name(), "\" exists"));
  }
  ITSM_RETURN_IF_ERROR(s);
  for (const auto& ci : cis) {
    ITSM_RETURN_IF_ERROR(
        txn.Execute(
               "INSERT INTO config_baseline_items(baseline_id, ci_id, data) VALUES ($1, $2, $3)",
               {baseline.id(), ci.id(), storage::Bytes{ci.SerializeAsString()}})
            .status());
  }
  for (const auto& r : relationships) {
    ITSM_RETURN_IF_ERROR(
        txn.Execute("INSERT INTO config_baseline_relationships(baseline_id, relationship_id, data)"
                    " VALUES ($1, $2, $3)",
                    {baseline.id(), r.id(), storage::Bytes{r.SerializeAsString()}})
            .status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::Baseline>> ConfigRepository::FindBaseline(
    storage::Transaction& txn, const std::string& id_or_name) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT data, scope FROM config_baselines WHERE id = $1 OR name = $1",
                {id_or_name}));
  if (rows.empty()) return std::nullopt;
  ITSM_ASSIGN_OR_RETURN(auto b, Decode<v1::Baseline>(rows.row(0)[0], "baseline"));
  if (!rows.row(0)[1].is_null()) {
    ITSM_ASSIGN_OR_RETURN(auto scope, Decode<v1::Baseline>(rows.row(0)[1], "baseline scope"));
    *b.mutable_ci_ids() = std::move(*scope.mutable_ci_ids());
  }
  return b;
}

absl::StatusOr<std::vector<v1::Baseline>> ConfigRepository::ListBaselines(
    storage::Transaction& txn, const std::string& after_name, int limit) {
  // Without `scope`: the CI lists stay unread (only rows older than migration 4 carry theirs).
  // Names are never empty: "" comes before every one.
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT data FROM config_baselines WHERE name > $1 ORDER BY name LIMIT $2",
                {after_name, limit}));
  std::vector<v1::Baseline> out;
  for (const auto& row : rows.rows()) {
    ITSM_ASSIGN_OR_RETURN(auto b, Decode<v1::Baseline>(row[0], "baseline"));
    out.push_back(std::move(b));
  }
  return out;
}

absl::StatusOr<std::vector<v1::ConfigurationItem>> ConfigRepository::BaselineItems(
    storage::Transaction& txn, const std::string& baseline_id) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT data FROM config_baseline_items WHERE baseline_id = $1 ORDER BY ci_id",
                {baseline_id}));
  std::vector<v1::ConfigurationItem> out;
  for (const auto& row : rows.rows()) {
    ITSM_ASSIGN_OR_RETURN(auto ci, Decode<v1::ConfigurationItem>(row[0], "baseline CI"));
    out.push_back(std::move(ci));
  }
  return out;
}

absl::StatusOr<std::vector<v1::Relationship>> ConfigRepository::BaselineRelationships(
    storage::Transaction& txn, const std::string& baseline_id) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT data FROM config_baseline_relationships WHERE baseline_id = $1"
                " ORDER BY relationship_id",
                {baseline_id}));
  std::vector<v1::Relationship> out;
  for (const auto& row : rows.rows()) {
    ITSM_ASSIGN_OR_RETURN(auto r, Decode<v1::Relationship>(row[0], "baseline relationship"));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace itsm::config
