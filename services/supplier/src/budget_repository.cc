#include "services/supplier/src/budget_repository.h"

#include "itsm/base/status_macros.h"

namespace itsm::supplier {

absl::Status BudgetRepository::Put(storage::Transaction& txn, const ServiceBudget& b) {
  return txn
      .Execute(
          "INSERT INTO service_budgets(service, month, currency, minor_units, version)"
          " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (service, month) DO UPDATE SET"
          " currency = excluded.currency, minor_units = excluded.minor_units,"
          " version = excluded.version",
          {b.service, b.month, b.budget.currency(), b.budget.minor_units(), b.version})
      .status();
}

absl::StatusOr<std::vector<ServiceBudget>> BudgetRepository::InRange(
    storage::Transaction& txn, const std::string& service, const std::string& first_month,
    const std::string& last_month) {
  // Months are "YYYY-MM": text order is month order.
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT service, month, currency, minor_units, version"
                                  " FROM service_budgets WHERE ($1 = '' OR service = $1)"
                                  " AND month >= $2 AND month <= $3 ORDER BY service, month",
                                  {service, first_month, last_month}));
  std::vector<ServiceBudget> out;
  for (const auto& row : rows.rows()) {
    ServiceBudget b;
    b.service = row[0].AsString();
    b.month = row[1].AsString();
    b.budget.set_currency(row[2].AsString());
    b.budget.set_minor_units(row[3].AsInt());
    b.version = row[4].AsInt();
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace itsm::supplier
