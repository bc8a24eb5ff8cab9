// The cost of services: contract values apportioned to the services they cover per month
// (cost_apportionment.h), beside the budgets set per service and month; apart from gRPC. The
// budget write runs in the group committer's transaction with its event; the report in a
// read-only transaction.
#ifndef ITSM_SERVICES_SUPPLIER_SERVICE_COSTS_H_
#define ITSM_SERVICES_SUPPLIER_SERVICE_COSTS_H_

#include "absl/status/status.h"
#include "itsm/base/caller.h"
#include "itsm/base/clock.h"
#include "itsm/storage/database.h"
#include "itsm/supplier/v1/supplier.pb.h"

namespace itsm::supplier {

// OK when `caller` may read what contracts cost (the roles of GetServiceCosts): budgets, their
// trails, contracts' values; else PERMISSION_DENIED naming those roles.
absl::Status CheckCallerMayReadCosts(const base::Caller& caller);

class ServiceCosts {
 public:
  // The clock stamps budget events and ends the report's default range.
  explicit ServiceCosts(const base::Clock& clock) : clock_(clock) {}

  // The id of a service's budget for a month in the audit trail (GetHistory takes it): budgets
  // are no records of their own, so the id is made of what names one.
  static std::string BudgetHistoryId(const std::string& service, const std::string& month);

  // INVALID_ARGUMENT naming the field (service, month, budget.*), nothing stored. The audit trail
  // gets an entry (the verified actor, the budget before and after) in the same transaction.
  absl::Status SetBudget(storage::Transaction& txn, const base::Caller& caller,
                         const v1::SetServiceBudgetRequest& request,
                         v1::SetServiceBudgetResponse& out) const;
  // Rows by service, currency, then month: one per service, currency and month with a contract
  // share or a budget. INVALID_ARGUMENT naming the field for a bad month range.
  absl::Status Report(storage::Transaction& txn, const v1::GetServiceCostsRequest& request,
                      v1::GetServiceCostsResponse& out) const;

 private:
  const base::Clock& clock_;
};

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_SERVICE_COSTS_H_
