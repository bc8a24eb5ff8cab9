// The supplier service's own database: the schema of every table, suppliers and their reviews,
// and the audit trail shared by suppliers and contracts. Rows keep the columns filters need plus
// the whole record as a serialised message. Every method works inside the caller's transaction.
#ifndef ITSM_SERVICES_SUPPLIER_SUPPLIER_REPOSITORY_H_
#define ITSM_SERVICES_SUPPLIER_SUPPLIER_REPOSITORY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "itsm/common/v1/common.pb.h"
#include "itsm/storage/database.h"
#include "itsm/storage/migrations.h"
#include "itsm/supplier/v1/supplier.pb.h"

namespace itsm::supplier {

struct SupplierPage {
  std::vector<v1::Supplier> suppliers;
  std::string next_page_token;  // empty on the last page
};

class SupplierRepository {
 public:
  // The whole schema: the outbox, the record toolkit, then the service's tables.
  static std::vector<storage::SchemaComponent> Schema();

  // The next number of a sequence ("supplier", "contract"); numbers may have gaps.
  static absl::StatusOr<int64_t> NextNumber(storage::Transaction& txn, const std::string& sequence);

  // records::UnitOfWork's store.
  static absl::StatusOr<v1::Supplier> Get(storage::Transaction& txn,
                                          const std::string& id_or_number);
  // The id of the supplier a list's filter `field` names by id or number ("" when none is
  // given); INVALID_ARGUMENT naming `field` when it names no supplier.
  static absl::StatusOr<std::string> FilterId(storage::Transaction& txn, const std::string& given,
                                              const char* field);
  static absl::Status Insert(storage::Transaction& txn, v1::Supplier& supplier);
  static absl::Status Update(storage::Transaction& txn, const v1::Supplier& supplier,
                             int64_t expected_version);
  static absl::Status AppendAudit(storage::Transaction& txn, const std::string& record_id,
                                  const common::v1::AuditEntry& entry);

  // By number; INVALID_ARGUMENT for a bad page size or token.
  static absl::StatusOr<SupplierPage> List(storage::Transaction& txn,
                                           const v1::ListSuppliersRequest& request);

  static absl::Status InsertReview(storage::Transaction& txn, const v1::Review& review);
  // Newest first, at most 500.
  static absl::StatusOr<std::vector<v1::Review>> Reviews(storage::Transaction& txn,
                                                         const std::string& supplier_id);
};

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_SUPPLIER_REPOSITORY_H_
