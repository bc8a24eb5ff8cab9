// Supplier management: the service's operations on suppliers, their reviews, their deadlines and
// the history of any of its records, apart from gRPC. Writes run inside the group committer's
// transaction through the record toolkit's unit of work (load, rule, save with a version check,
// audit entry, outbox events) and keep the deadline schedule in step; reads run in a read-only
// transaction. The configuration items a write names are confirmed with the CMDB before its
// transaction (ResolveCreate, ResolveUpdate), never while holding it.
#ifndef ITSM_SERVICES_SUPPLIER_SUPPLIER_MANAGEMENT_H_
#define ITSM_SERVICES_SUPPLIER_SUPPLIER_MANAGEMENT_H_

#include "absl/status/status.h"
#include "itsm/base/caller.h"
#include "itsm/storage/database.h"
#include "itsm/supplier/v1/supplier.pb.h"
#include "services/supplier/src/deadline_scheduler.h"
#include "services/supplier/src/reference_checks.h"
#include "services/supplier/src/supplier_rules.h"

namespace itsm::supplier {

class SupplierManagement {
 public:
  SupplierManagement(const SupplierRules& rules, const DeadlineSchedule& schedule,
                     ReferenceChecks& references)
      : rules_(rules), schedule_(schedule), references_(references) {}

  // Resolve the configuration items a create or update names to their CMDB ids; an update may
  // keep the CIs the supplier already names, retired or not, but a retired one is not added.
  absl::Status ResolveCreate(v1::CreateSupplierRequest& request) const;
  absl::Status ResolveUpdate(storage::Database& db, v1::UpdateSupplierRequest& request) const;

  absl::Status Create(storage::Transaction& txn, const base::Caller& caller,
                      const v1::CreateSupplierRequest& request, v1::Supplier& out) const;
  absl::Status Update(storage::Transaction& txn, const base::Caller& caller,
                      const v1::UpdateSupplierRequest& request, v1::Supplier& out) const;
  absl::Status Transition(storage::Transaction& txn, const base::Caller& caller,
                          const v1::TransitionSupplierRequest& request, v1::Supplier& out) const;
  absl::Status RecordReview(storage::Transaction& txn, const base::Caller& caller,
                            const v1::RecordReviewRequest& request,
                            v1::RecordReviewResponse& out) const;

  absl::Status Get(storage::Transaction& txn, const v1::GetSupplierRequest& request,
                   v1::Supplier& out) const;
  absl::Status List(storage::Transaction& txn, const v1::ListSuppliersRequest& request,
                    v1::ListSuppliersResponse& out) const;
  absl::Status ListReviews(storage::Transaction& txn, const v1::ListReviewsRequest& request,
                           v1::ListReviewsResponse& out) const;
  absl::Status ListDeadlines(storage::Transaction& txn, const v1::ListDeadlinesRequest& request,
                             v1::ListDeadlinesResponse& out) const;
  // The audit trail of a supplier or a contract.
  // A budget's trail (id budget:<YYYY-MM>:<service>) is read only by callers who may also read
  // service costs.
  absl::Status History(storage::Transaction& txn, const base::Caller& caller,
                       const v1::GetHistoryRequest& request, v1::GetHistoryResponse& out) const;

  const SupplierRules& rules() const { return rules_; }

 private:
  const SupplierRules& rules_;
  const DeadlineSchedule& schedule_;
  ReferenceChecks& references_;
};

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_SUPPLIER_MANAGEMENT_H_
