// A service's audit trail: one row per version of any of its records (table audit_entries,
// keyed by record id and version), written by the unit of work with each change and read back
// a page at a time by the service's GetHistory.
//
//   // the record kind's repository, for records::UnitOfWork:
//   static absl::Status AppendAudit(txn, id, entry) { return AuditTrail::Append(txn, id, entry); }
//   // GetHistory:
//   ITSM_RETURN_IF_ERROR(AuditTrail::ReadPage(txn, "pkg.Service/GetHistory", request, record_id,
//                                             request.page(), *out.mutable_entries(), token));
#ifndef ITSM_RECORDS_AUDIT_TRAIL_H_
#define ITSM_RECORDS_AUDIT_TRAIL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "itsm/common/v1/common.pb.h"
#include "itsm/storage/database.h"
#include "itsm/storage/migrations.h"

namespace itsm::records {

class AuditTrail {
 public:
  // The table, for a service's migrations (the incident service created the same table in its own
  // migrations before this existed).
  static constexpr char kCreateTable[] = R"sql(
CREATE TABLE audit_entries (
  record_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  time_us BIGINT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (record_id, version)
);
)sql";

  static absl::Status Append(storage::Transaction& txn, const std::string& record_id,
                             const common::v1::AuditEntry& entry);
  // Entries with version > after_version, oldest first, at most `limit`.
  static absl::StatusOr<std::vector<common::v1::AuditEntry>> Read(storage::Transaction& txn,
                                                                  const std::string& record_id,
                                                                  int64_t after_version, int limit);
  // One page of a GetHistory call (page size 0..1000, default 100; the token is the shared page
  // cursor, scoped to `method` and `request`): INVALID_ARGUMENT naming page.page_size or
  // page.page_token.
  static absl::Status ReadPage(storage::Transaction& txn, absl::string_view method,
                               const google::protobuf::Message& request,
                               const std::string& record_id, const common::v1::PageRequest& page,
                               google::protobuf::RepeatedPtrField<common::v1::AuditEntry>& out,
                               std::string& next_page_token);
};

}  // namespace itsm::records

#endif  // ITSM_RECORDS_AUDIT_TRAIL_H_
