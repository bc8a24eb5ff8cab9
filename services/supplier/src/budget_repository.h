// Budgets per service and month in the service's database (table service_budgets). Every method
// works inside the caller's transaction.
#ifndef ITSM_SERVICES_SUPPLIER_BUDGET_REPOSITORY_H_
#define ITSM_SERVICES_SUPPLIER_BUDGET_REPOSITORY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "itsm/storage/database.h"
#include "itsm/supplier/v1/supplier.pb.h"

namespace itsm::supplier {

struct ServiceBudget {
  std::string service;
  std::string month;  // YYYY-MM
  v1::Money budget;
  int64_t version = 0;  // 1 for the first, then one more each time it is set
};

class BudgetRepository {
 public:
  // Sets (or replaces) the budget of `service` for `month`, at `budget.version` (the stored
  // version + 1, which the caller read in the same transaction).
  static absl::Status Put(storage::Transaction& txn, const ServiceBudget& budget);
  // Budgets of months first..last ("YYYY-MM", inclusive) of `service` (empty: every service).
  static absl::StatusOr<std::vector<ServiceBudget>> InRange(storage::Transaction& txn,
                                                            const std::string& service,
                                                            const std::string& first_month,
                                                            const std::string& last_month);
};

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_BUDGET_REPOSITORY_H_
