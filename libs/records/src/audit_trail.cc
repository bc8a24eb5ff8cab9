#include "itsm/records/audit_trail.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/records/page_cursor.h"
#include "itsm/records/page_start.h"
#include "itsm/storage/params_of.h"

namespace itsm::records {
namespace {

constexpr int kDefaultPage = 100;
constexpr int kMaxPage = 1000;

}  // namespace

const std::vector<storage::Migration>& AuditTrail::Migrations() {
  static const std::vector<storage::Migration> kMigrations = {
      {1, "audit entries", R"sql(
CREATE TABLE audit_entries (
  record_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  time_us BIGINT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (record_id, version)
);
)sql"},
  };
  return kMigrations;
}

absl::Status AuditTrail::Append(storage::Transaction& txn, const std::string& record_id,
                                const common::v1::AuditEntry& entry) {
  return txn
      .Execute(
          "INSERT INTO audit_entries(record_id, version, time_us, data) VALUES ($1, $2, $3, $4)",
          storage::ParamsOf(record_id, entry.version(),
                            absl::ToUnixMicros(base::FromProtoTimestamp(entry.time())),
                            storage::Bytes{entry.SerializeAsString()}))
      .status();
}

absl::StatusOr<AuditPage> AuditTrail::Read(storage::Transaction& txn, absl::string_view method,
                                           const google::protobuf::Message& request,
                                           const std::string& record_id,
                                           const common::v1::PageRequest& page) {
  int page_size = page.page_size();
  if (page_size < 0 || page_size > kMaxPage) {
    return absl::InvalidArgumentError(
        absl::StrCat("page.page_size: must be 0..", kMaxPage, ", got ", page_size));
  }
  if (page_size == 0) page_size = kDefaultPage;
  // A token holds the version of the last entry returned.
  const std::string scope = PageScope(method, request);
  ITSM_ASSIGN_OR_RETURN(auto after, DecodePageCursor(scope, page.page_token()));
  int64_t after_version = 0;
  if (after.size() == 1) {
    ITSM_ASSIGN_OR_RETURN(after_version, CursorInt(after[0]));
  } else if (!after.empty()) {
    return base::FieldError("page.page_token", "not a token this service issued");
  }
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT data FROM audit_entries WHERE record_id = $1 AND version > $2"
                " ORDER BY version LIMIT $3",
                {record_id, after_version, page_size + 1}));
  AuditPage out;
  const size_t shown = RowsOnPage(rows, 0, page_size);
  for (size_t i = 0; i < shown; ++i) {
    common::v1::AuditEntry entry;
    if (!entry.ParseFromString(rows.row(i)[0].AsString())) {
      return absl::DataLossError("stored audit entry does not parse");
    }
    out.entries.push_back(std::move(entry));
  }
  if (rows.size() > shown) {
    out.next_page_token = EncodePageCursor(scope, {absl::StrCat(out.entries.back().version())});
  }
  return out;
}

namespace {

// Every entry of the record, oldest first: what the rules reading a whole trail go through.
absl::StatusOr<std::vector<common::v1::AuditEntry>> AllEntries(storage::Transaction& txn,
                                                               const std::string& record_id) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT data FROM audit_entries WHERE record_id = $1"
                                  " ORDER BY version",
                                  {record_id}));
  std::vector<common::v1::AuditEntry> entries(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!entries[i].ParseFromString(rows.row(i)[0].AsString())) {
      return absl::DataLossError("stored audit entry does not parse");
    }
  }
  return entries;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> AuditTrail::FormerValues(storage::Transaction& txn,
                                                                  const std::string& record_id,
                                                                  absl::string_view field,
                                                                  absl::Time since) {
  ITSM_ASSIGN_OR_RETURN(const std::vector<common::v1::AuditEntry> entries,
                        AllEntries(txn, record_id));
  std::vector<std::string> out;
  for (const common::v1::AuditEntry& entry : entries) {
    if (base::FromProtoTimestamp(entry.time()) < since) continue;
    for (const common::v1::FieldChange& change : entry.changes()) {
      if (change.field() == field) out.push_back(change.old_value());
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> AuditTrail::Authors(storage::Transaction& txn,
                                                             const std::string& record_id) {
  ITSM_ASSIGN_OR_RETURN(const std::vector<common::v1::AuditEntry> entries,
                        AllEntries(txn, record_id));
  std::vector<std::string> out;
  for (const common::v1::AuditEntry& entry : entries) {
    if (std::find(out.begin(), out.end(), entry.actor()) == out.end()) {
      out.push_back(entry.actor());
    }
  }
  return out;
}

}  // namespace itsm::records
