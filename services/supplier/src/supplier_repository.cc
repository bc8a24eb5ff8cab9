#include "services/supplier/src/supplier_repository.h"

#include <algorithm>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/outbox/outbox.h"
#include "itsm/records/audit_trail.h"
#include "itsm/records/enum_set.h"
#include "itsm/records/idempotency.h"
#include "itsm/records/page_start.h"
#include "itsm/records/record_change.h"
#include "itsm/storage/counter.h"
#include "itsm/storage/like.h"

namespace itsm::supplier {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;
constexpr int kMaxReviews = 500;

// Suppliers and contracts, their list columns, the deadline schedule, reviews, budgets, and the
// scorecard projection of incident and SLA events (scorecard_projection.h).
constexpr char kTables[] = R"sql(
CREATE TABLE suppliers (
  id TEXT PRIMARY KEY,
  seq BIGINT NOT NULL UNIQUE,
  number TEXT NOT NULL UNIQUE,
  name_lower TEXT NOT NULL,
  status INTEGER NOT NULL,
  category TEXT NOT NULL,
  risk_rating INTEGER NOT NULL,
  version BIGINT NOT NULL,
  data BLOB NOT NULL
);
CREATE TABLE supplier_groups (
  supplier_id TEXT NOT NULL,
  group_name TEXT NOT NULL,
  PRIMARY KEY (supplier_id, group_name)
);
CREATE INDEX supplier_groups_group ON supplier_groups(group_name);
CREATE TABLE supplier_cis (
  supplier_id TEXT NOT NULL,
  ci_id TEXT NOT NULL,
  PRIMARY KEY (supplier_id, ci_id)
);
CREATE INDEX supplier_cis_ci ON supplier_cis(ci_id);
CREATE TABLE supplier_reviews (
  id TEXT PRIMARY KEY,
  supplier_id TEXT NOT NULL,
  create_time_us BIGINT NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX supplier_reviews_supplier ON supplier_reviews(supplier_id, create_time_us);
CREATE TABLE contracts (
  id TEXT PRIMARY KEY,
  seq BIGINT NOT NULL UNIQUE,
  number TEXT NOT NULL UNIQUE,
  supplier_id TEXT NOT NULL,
  state INTEGER NOT NULL,
  type INTEGER NOT NULL,
  end_date TEXT NOT NULL,
  version BIGINT NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX contracts_supplier ON contracts(supplier_id, seq);
CREATE TABLE contract_services (
  contract_id TEXT NOT NULL,
  service TEXT NOT NULL,
  PRIMARY KEY (contract_id, service)
);
CREATE INDEX contract_services_service ON contract_services(service);
CREATE TABLE contract_uc_definitions (
  contract_id TEXT NOT NULL,
  definition_id TEXT NOT NULL,
  supplier_id TEXT NOT NULL,
  PRIMARY KEY (contract_id, definition_id)
);
CREATE INDEX contract_uc_definitions_definition ON contract_uc_definitions(definition_id);
CREATE TABLE deadlines (
  record_id TEXT NOT NULL,
  supplier_id TEXT NOT NULL,
  kind INTEGER NOT NULL,
  lead_days INTEGER NOT NULL,
  deadline_us BIGINT NOT NULL,
  due_us BIGINT NOT NULL,
  fired INTEGER NOT NULL,
  PRIMARY KEY (record_id, kind, lead_days, deadline_us)
);
CREATE INDEX deadlines_due ON deadlines(fired, due_us);
CREATE TABLE service_budgets (
  service TEXT NOT NULL,
  month TEXT NOT NULL,
  currency TEXT NOT NULL,
  minor_units BIGINT NOT NULL,
  PRIMARY KEY (service, month)
);
CREATE TABLE scorecard_events (
  ce_id TEXT PRIMARY KEY,
  applied_us BIGINT NOT NULL
);
CREATE INDEX scorecard_events_applied ON scorecard_events(applied_us);
CREATE TABLE scorecard_incidents (
  incident_id TEXT PRIMARY KEY,
  create_us BIGINT NOT NULL,
  response_us BIGINT NOT NULL,
  resolve_us BIGINT NOT NULL,
  reopen_count INTEGER NOT NULL,
  update_us BIGINT NOT NULL
);
CREATE INDEX scorecard_incidents_create ON scorecard_incidents(create_us);
CREATE INDEX scorecard_incidents_resolve ON scorecard_incidents(resolve_us);
CREATE TABLE scorecard_incident_groups (
  incident_id TEXT NOT NULL,
  group_name TEXT NOT NULL,
  PRIMARY KEY (incident_id, group_name)
);
CREATE INDEX scorecard_incident_groups_group ON scorecard_incident_groups(group_name);
CREATE TABLE scorecard_incident_cis (
  incident_id TEXT NOT NULL,
  ci_id TEXT NOT NULL,
  PRIMARY KEY (incident_id, ci_id)
);
CREATE INDEX scorecard_incident_cis_ci ON scorecard_incident_cis(ci_id);
CREATE TABLE scorecard_uc_clocks (
  clock_id TEXT PRIMARY KEY,
  definition_id TEXT NOT NULL,
  incident_id TEXT NOT NULL,
  completed INTEGER NOT NULL,
  breached INTEGER NOT NULL,
  stop_us BIGINT NOT NULL,
  event_us BIGINT NOT NULL
);
CREATE INDEX scorecard_uc_clocks_definition ON scorecard_uc_clocks(definition_id, stop_us);
)sql";

// Scorecard roll-ups (scorecard_rollups.h, decision 108). An incident's signature is the set of
// every group and CI it ever had; the facts stored before are rolled up by the first start
// (ScorecardRollups::RebuildIfPending, claimed through scorecard_rollup_rebuild).
constexpr char kRollupTables[] = R"sql(
ALTER TABLE scorecard_incidents ADD COLUMN signature_id BIGINT NOT NULL DEFAULT 0;
DROP INDEX scorecard_incidents_create;
DROP INDEX scorecard_incidents_resolve;
CREATE INDEX scorecard_incidents_signature_create ON scorecard_incidents(signature_id, create_us);
CREATE INDEX scorecard_incidents_signature_resolve ON scorecard_incidents(signature_id, resolve_us);
CREATE TABLE scorecard_signatures (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key_hash BIGINT NOT NULL,
  members TEXT NOT NULL
);
CREATE INDEX scorecard_signatures_hash ON scorecard_signatures(key_hash);
CREATE TABLE scorecard_signature_members (
  signature_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (kind, name, signature_id)
);
CREATE TABLE scorecard_month_rollups (
  signature_id BIGINT NOT NULL,
  month INTEGER NOT NULL,
  incidents BIGINT NOT NULL,
  reopened BIGINT NOT NULL,
  response_hist BLOB NOT NULL,
  resolution_hist BLOB NOT NULL,
  PRIMARY KEY (signature_id, month)
);
CREATE TABLE scorecard_uc_month_rollups (
  definition_id TEXT NOT NULL,
  month INTEGER NOT NULL,
  met BIGINT NOT NULL,
  breached BIGINT NOT NULL,
  PRIMARY KEY (definition_id, month)
);
CREATE INDEX contract_uc_definitions_supplier ON contract_uc_definitions(supplier_id, definition_id);
CREATE TABLE scorecard_rollup_rebuild (pending INTEGER PRIMARY KEY);
INSERT INTO scorecard_rollup_rebuild(pending) VALUES (1);
)sql";

// Incidents linked as possibly caused by a change (itsm.change.v1 ChangeIncidentLinked): the
// changes' assignment groups, members of kind 'x' of the incident's signature (decision 109).
// Nothing stored before has any, so no roll-up changes.
constexpr char kCauseTables[] = R"sql(
CREATE TABLE scorecard_incident_causes (
  incident_id TEXT NOT NULL,
  group_name TEXT NOT NULL,
  PRIMARY KEY (incident_id, group_name)
);
)sql";

const std::vector<storage::Migration>& Migrations() {
  static const std::vector<storage::Migration> kMigrations = {
      {1, "suppliers, contracts, deadlines, budgets, scorecards",
       absl::StrCat(kTables,
                    "CREATE TABLE supplier_counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);"
                    "INSERT INTO supplier_counters(name, value) VALUES ('supplier', 0);"
                    "INSERT INTO supplier_counters(name, value) VALUES ('contract', 0);"),
       absl::StrCat(storage::PostgresDialectOf(kTables),
                    "CREATE SEQUENCE supplier_number_seq; CREATE SEQUENCE contract_number_seq;")},
      {2, "scorecard roll-ups by signature and month", kRollupTables},
      {3, "scorecard incidents caused by changes", kCauseTables},
      // A budget's audit entries are keyed by its version, as every record's are.
      {4, "service budget versions",
       "ALTER TABLE service_budgets ADD COLUMN version BIGINT NOT NULL DEFAULT 0;"},
      {5, "the sequence of a scorecard clock's state",
       "ALTER TABLE scorecard_uc_clocks ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;"},
      // Whether the contract was ever in force (left DRAFT other than by cancellation): a draft
      // cancelled unsigned bears no cost. Contracts terminated before this column existed keep
      // bearing theirs, as they did.
      {6, "contracts ever in force",
       "ALTER TABLE contracts ADD COLUMN was_in_force INTEGER NOT NULL DEFAULT 1;"
       "UPDATE contracts SET was_in_force = 0 WHERE state = 1;"},
  };
  return kMigrations;
}

absl::StatusOr<v1::Supplier> Decode(const storage::Value& data) {
  v1::Supplier supplier;
  if (!supplier.ParseFromString(data.AsString())) {
    return absl::DataLossError("stored supplier does not parse");
  }
  return supplier;
}

// The list columns of a supplier's lists, rewritten with each version.
absl::Status WriteLists(storage::Transaction& txn, const v1::Supplier& s) {
  ITSM_RETURN_IF_ERROR(
      txn.Execute("DELETE FROM supplier_groups WHERE supplier_id = $1", {s.id()}).status());
  ITSM_RETURN_IF_ERROR(
      txn.Execute("DELETE FROM supplier_cis WHERE supplier_id = $1", {s.id()}).status());
  for (const auto& group : s.assignment_groups()) {
    ITSM_RETURN_IF_ERROR(
        txn.Execute("INSERT INTO supplier_groups(supplier_id, group_name) VALUES ($1, $2)",
                    {s.id(), group})
            .status());
  }
  for (const auto& ci : s.configuration_item_ids()) {
    ITSM_RETURN_IF_ERROR(
        txn.Execute("INSERT INTO supplier_cis(supplier_id, ci_id) VALUES ($1, $2)", {s.id(), ci})
            .status());
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<storage::SchemaComponent> SupplierRepository::Schema() {
  return {{"outbox", outbox::Outbox::Migrations()},
          {records::IdempotencyStore::kComponent, records::IdempotencyStore::Migrations()},
          {records::AuditTrail::kComponent, records::AuditTrail::Migrations()},
          {"supplier", Migrations()}};
}

absl::StatusOr<int64_t> SupplierRepository::NextNumber(storage::Transaction& txn,
                                                       const std::string& sequence) {
  // A fixed statement per sequence: never caller text in SQL.
  const char* postgres_sql = nullptr;
  if (sequence == "supplier") {
    postgres_sql = "SELECT nextval('supplier_number_seq')";
  } else if (sequence == "contract") {
    postgres_sql = "SELECT nextval('contract_number_seq')";
  } else {
    return absl::InternalError(absl::StrCat("no number sequence ", sequence));
  }
  if (txn.dialect() == storage::Dialect::kSqlite) {
    return storage::IncrementCounter(txn, "supplier_counters", "value", sequence);
  }
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet next, txn.Query(postgres_sql));
  return next.row(0)[0].AsInt();
}

absl::StatusOr<v1::Supplier> SupplierRepository::Get(storage::Transaction& txn,
                                                     const std::string& id_or_number) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT data FROM suppliers WHERE id = $1 OR number = $1", {id_or_number}));
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat("id: no supplier \"", id_or_number, "\""));
  }
  return Decode(rows.row(0)[0]);
}

absl::StatusOr<std::string> SupplierRepository::FilterId(storage::Transaction& txn,
                                                         const std::string& given,
                                                         const char* field) {
  if (given.empty()) return std::string();
  absl::StatusOr<v1::Supplier> supplier = Get(txn, given);
  if (absl::IsNotFound(supplier.status())) {
    return base::FieldError(field, absl::StrCat("no supplier \"", given, "\""));
  }
  ITSM_RETURN_IF_ERROR(supplier.status());
  return supplier->id();
}

absl::Status SupplierRepository::Insert(storage::Transaction& txn, v1::Supplier& s) {
  ITSM_ASSIGN_OR_RETURN(const int64_t seq, NextNumber(txn, "supplier"));
  s.set_number(absl::StrFormat("SUP%07d", seq));
  ITSM_RETURN_IF_ERROR(
      txn.Execute("INSERT INTO suppliers(id, seq, number, name_lower, status, category,"
                  " risk_rating, version, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                  {s.id(), seq, s.number(), absl::AsciiStrToLower(s.name()),
                   static_cast<int>(s.status()), s.category(), static_cast<int>(s.risk_rating()),
                   s.version(), storage::Bytes{s.SerializeAsString()}})
          .status());
  return WriteLists(txn, s);
}

absl::Status SupplierRepository::Update(storage::Transaction& txn, const v1::Supplier& s,
                                        int64_t expected_version) {
  ITSM_ASSIGN_OR_RETURN(
      int64_t changed,
      txn.Execute("UPDATE suppliers SET name_lower = $1, status = $2, category = $3,"
                  " risk_rating = $4, version = $5, data = $6 WHERE id = $7 AND version = $8",
                  {absl::AsciiStrToLower(s.name()), static_cast<int>(s.status()), s.category(),
                   static_cast<int>(s.risk_rating()), s.version(),
                   storage::Bytes{s.SerializeAsString()}, s.id(), expected_version}));
  if (changed != 1) {
    return records::ChangedConcurrently(absl::StrCat("supplier ", s.number()));
  }
  return WriteLists(txn, s);
}

absl::Status SupplierRepository::AppendAudit(storage::Transaction& txn,
                                             const std::string& record_id,
                                             const common::v1::AuditEntry& entry) {
  return records::AuditTrail::Append(txn, record_id, entry);
}

absl::StatusOr<SupplierPage> SupplierRepository::List(storage::Transaction& txn,
                                                      const v1::ListSuppliersRequest& request) {
  ITSM_ASSIGN_OR_RETURN(
      records::PageStart start,
      records::StartPage(
          "itsm.supplier.v1.SupplierService/ListSuppliers", request, request.page(),
          {.default_size = kDefaultPageSize, .max_size = kMaxPageSize, .position_parts = 1}));
  int64_t after_seq = 0;
  if (!start.after.empty()) {
    ITSM_ASSIGN_OR_RETURN(after_seq, records::CursorInt(start.after[0]));
  }
  const int page_size = start.size;
  ITSM_ASSIGN_OR_RETURN(
      const int64_t status_mask,
      records::EnumSetMask("statuses", *v1::SupplierStatus_descriptor(), request.statuses()));
  if (!v1::RiskRating_IsValid(request.risk_rating())) {
    return base::FieldError("risk_rating", "unknown value");
  }
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT seq, data FROM suppliers"
                " WHERE ($1 = 0 OR (($1 >> status) & 1) = 1)"
                " AND ($2 = '' OR category = $2)"
                " AND ($3 = '' OR name_lower LIKE $3 ESCAPE '\\')"
                " AND ($4 = 0 OR risk_rating = $4)"
                " AND ($5 = '' OR EXISTS (SELECT 1 FROM supplier_groups g"
                "      WHERE g.supplier_id = suppliers.id AND g.group_name = $5))"
                " AND seq > $6 ORDER BY seq LIMIT $7",
                {status_mask, request.category(),
                 request.name_contains().empty()
                     ? std::string()
                     : storage::ContainsPattern(absl::AsciiStrToLower(request.name_contains())),
                 static_cast<int>(request.risk_rating()), request.assignment_group(), after_seq,
                 page_size + 1}));
  SupplierPage page;
  const size_t shown = records::RowsOnPage(rows, 1, page_size);
  for (size_t i = 0; i < shown; ++i) {
    ITSM_ASSIGN_OR_RETURN(v1::Supplier s, Decode(rows.row(i)[1]));
    page.suppliers.push_back(std::move(s));
  }
  if (rows.size() > shown) {
    page.next_page_token =
        records::EncodePageCursor(start.scope, {absl::StrCat(rows.row(shown - 1)[0].AsInt())});
  }
  return page;
}

absl::Status SupplierRepository::InsertReview(storage::Transaction& txn, const v1::Review& review) {
  return txn
      .Execute(
          "INSERT INTO supplier_reviews(id, supplier_id, create_time_us, data)"
          " VALUES ($1, $2, $3, $4)",
          {review.id(), review.supplier_id(),
           absl::ToUnixMicros(base::FromProtoTimestamp(review.create_time())),
           storage::Bytes{review.SerializeAsString()}})
      .status();
}

absl::StatusOr<std::vector<v1::Review>> SupplierRepository::Reviews(
    storage::Transaction& txn, const std::string& supplier_id) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT data FROM supplier_reviews WHERE supplier_id = $1"
                                  " ORDER BY create_time_us DESC LIMIT $2",
                                  {supplier_id, kMaxReviews}));
  std::vector<v1::Review> out;
  for (const auto& row : rows.rows()) {
    v1::Review review;
    if (!review.ParseFromString(row[0].AsString())) {
      return absl::DataLossError("stored review does not parse");
    }
    out.push_back(std::move(review));
  }
  // The latest held first (a review recorded late, or backfilled, stands where it was held);
  // the same day: the latest recorded first.
  std::stable_sort(out.begin(), out.end(), [](const v1::Review& a, const v1::Review& b) {
    return a.review_date() > b.review_date();
  });
  return out;
}

}  // namespace itsm::supplier
