// The audit trail of a service's records: one entry per version of a record (who, when, what
// changed, the request id), written in the transaction of the change by records::UnitOfWork
// through the store's AppendAudit, and read back a page at a time by the service's history RPC.
// One table (`audit_entries`) serves every record kind of a service, keyed by record id.
//
//   // schema: {..., {AuditTrail::kComponent, AuditTrail::Migrations()}, ...}
//   static absl::Status AppendAudit(txn, id, entry) { return AuditTrail::Append(txn, id, entry); }
//   ITSM_ASSIGN_OR_RETURN(AuditPage page, AuditTrail::Read(txn, kGetHistory, request, id,
//                                                          request.page()));
#ifndef ITSM_RECORDS_AUDIT_TRAIL_H_
#define ITSM_RECORDS_AUDIT_TRAIL_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "itsm/common/v1/common.pb.h"
#include "itsm/storage/database.h"
#include "itsm/storage/migrations.h"

namespace itsm::records {

struct AuditPage {
  // Oldest first.
  std::vector<common::v1::AuditEntry> entries;
  std::string next_page_token;  // empty on the last page
};

class AuditTrail {
 public:
  // The audit_entries table, for services that did not create it themselves (the incident
  // service's own migration 2 created the same table before this component existed).
  static constexpr char kComponent[] = "audit";
  static const std::vector<storage::Migration>& Migrations();

  static absl::Status Append(storage::Transaction& txn, const std::string& record_id,
                             const common::v1::AuditEntry& entry);

  // One page of the record's entries, oldest first: page.page_size 0..1000 (0: 100), the token
  // bound to `method` and `request` (records::PageScope). INVALID_ARGUMENT naming page.* for a
  // bad size or token.
  static absl::StatusOr<AuditPage> Read(storage::Transaction& txn, absl::string_view method,
                                        const google::protobuf::Message& request,
                                        const std::string& record_id,
                                        const common::v1::PageRequest& page);

  // The values `field` was changed from in the record's entries made at or after `since`,
  // oldest first: who was once assigned to a record, or whom it was once for, which a
  // segregation-of-duties rule must see through a later edit.
  static absl::StatusOr<std::vector<std::string>> FormerValues(storage::Transaction& txn,
                                                               const std::string& record_id,
                                                               absl::string_view field,
                                                               absl::Time since);

  // Everyone who wrote one of the record's entries, in the order they first did: whose work a
  // record is, for a rule that keeps people from approving their own work.
  static absl::StatusOr<std::vector<std::string>> Authors(storage::Transaction& txn,
                                                          const std::string& record_id);

  // Read's page for `request.page()` into a history call's answer: its `entries` and
  // `next_page_token`.
  template <typename Request, typename Response>
  static absl::Status ReadInto(storage::Transaction& txn, absl::string_view method,
                               const Request& request, const std::string& record_id,
                               Response& out) {
    absl::StatusOr<AuditPage> page = Read(txn, method, request, record_id, request.page());
    if (!page.ok()) return page.status();
    for (auto& entry : page->entries) *out.add_entries() = std::move(entry);
    out.set_next_page_token(std::move(page->next_page_token));
    return absl::OkStatus();
  }
};

}  // namespace itsm::records

#endif  // ITSM_RECORDS_AUDIT_TRAIL_H_
