// Contract management: the service's operations on contracts, apart from gRPC. Writes run
// inside the group committer's transaction through the record toolkit's unit of work and
// recompute the contract's deadlines in the same transaction; `References` (what other services
// must confirm) runs before, on the executor, outside any transaction.
#ifndef ITSM_SERVICES_SUPPLIER_CONTRACT_MANAGEMENT_H_
#define ITSM_SERVICES_SUPPLIER_CONTRACT_MANAGEMENT_H_

#include "absl/status/status.h"
#include "itsm/base/caller.h"
#include "itsm/storage/database.h"
#include "itsm/supplier/v1/supplier.pb.h"
#include "services/supplier/src/contract_rules.h"
#include "services/supplier/src/deadline_scheduler.h"
#include "services/supplier/src/reference_checks.h"

namespace itsm::supplier {

// A contract's value is commercial: read by the roles that may read what contracts cost the
// services (GetServiceCosts), not by every role that looks up a contract's terms (found from
// outside: an agent refused the cost report read the figures it is made of). Writers of contracts
// hold such a role.
bool MayReadContractValue(const base::Caller& caller);
// A contract's trail as such a caller reads it: its value's changes left out.
void WithoutContractValue(common::v1::AuditEntry& entry);

class ContractManagement {
 public:
  ContractManagement(const ContractRules& rules, const DeadlineSchedule& schedule,
                     ReferenceChecks& references)
      : rules_(rules), schedule_(schedule), references_(references) {}

  // Checks with the configuration and SLA services (reads the supplier in its own read-only
  // transaction of `db`): run before the write, never inside it. The request's CIs become the
  // CMDB's ids.
  absl::Status ResolveCreate(storage::Database& db, v1::CreateContractRequest& request) const;
  absl::Status ResolveUpdate(storage::Database& db, v1::UpdateContractRequest& request) const;

  absl::Status Create(storage::Transaction& txn, const base::Caller& caller,
                      const v1::CreateContractRequest& request, v1::Contract& out) const;
  absl::Status Update(storage::Transaction& txn, const base::Caller& caller,
                      const v1::UpdateContractRequest& request, v1::Contract& out) const;
  absl::Status Transition(storage::Transaction& txn, const base::Caller& caller,
                          const v1::TransitionContractRequest& request, v1::Contract& out) const;

  // Without `value` for a caller who may not read it (MayReadContractValue).
  absl::Status Get(storage::Transaction& txn, const base::Caller& caller,
                   const v1::GetContractRequest& request, v1::Contract& out) const;
  absl::Status List(storage::Transaction& txn, const base::Caller& caller,
                    const v1::ListContractsRequest& request, v1::ListContractsResponse& out) const;

 private:
  // The CIs (resolved to ids) and UC definitions of `contract`, of the supplier `supplier_id`.
  absl::Status ResolveReferences(v1::Contract& contract, const std::string& supplier_id,
                                 const Ids& kept_cis) const;

  const ContractRules& rules_;
  const DeadlineSchedule& schedule_;
  ReferenceChecks& references_;
};

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_CONTRACT_MANAGEMENT_H_
