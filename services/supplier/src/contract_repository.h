// Contracts in the service's database (tables in supplier_repository.cc): the record, and the
// columns of its lists that queries need (covered services, underpinning-contract definitions).
// Every method works inside the caller's transaction.
#ifndef ITSM_SERVICES_SUPPLIER_CONTRACT_REPOSITORY_H_
#define ITSM_SERVICES_SUPPLIER_CONTRACT_REPOSITORY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "itsm/common/v1/common.pb.h"
#include "itsm/storage/database.h"
#include "itsm/supplier/v1/supplier.pb.h"

namespace itsm::supplier {

struct ContractPage {
  std::vector<v1::Contract> contracts;
  std::string next_page_token;  // empty on the last page
};

class ContractRepository {
 public:
  // records::UnitOfWork's store.
  static absl::StatusOr<v1::Contract> Get(storage::Transaction& txn,
                                          const std::string& id_or_number);
  static absl::Status Insert(storage::Transaction& txn, v1::Contract& contract);
  static absl::Status Update(storage::Transaction& txn, const v1::Contract& contract,
                             int64_t expected_version);
  static absl::Status AppendAudit(storage::Transaction& txn, const std::string& record_id,
                                  const common::v1::AuditEntry& entry);

  // By number; INVALID_ARGUMENT for a bad filter, page size or token. `supplier_id` is resolved.
  static absl::StatusOr<ContractPage> List(storage::Transaction& txn,
                                           const v1::ListContractsRequest& request,
                                           const std::string& supplier_id);
  // Contracts (not DRAFT) covering at least one service, for cost apportionment; `service`
  // empty: every service.
  static absl::StatusOr<std::vector<v1::Contract>> CostBearing(storage::Transaction& txn,
                                                               const std::string& service);
  // How many contracts are in each state (metrics).
  static absl::StatusOr<std::vector<std::pair<int, int64_t>>> CountByState(
      storage::Transaction& txn);
};

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_CONTRACT_REPOSITORY_H_
