#include "services/supplier/src/service_costs.h"

#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "itsm/auth/access_policy.h"
#include "itsm/base/blank_text.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/records/audit_trail.h"
#include "itsm/records/record_change.h"
#include "itsm/records/record_diff.h"
#include "itsm/supplier/v1/events.pb.h"
#include "services/supplier/src/budget_repository.h"
#include "services/supplier/src/contract_dates.h"
#include "services/supplier/src/contract_repository.h"
#include "services/supplier/src/contract_rules.h"
#include "services/supplier/src/cost_apportionment.h"
#include "services/supplier/src/month_range.h"
#include "services/supplier/src/supplier_events.h"

namespace itsm::supplier {

absl::Status CheckCallerMayReadCosts(const base::Caller& caller) {
  return auth::CheckCallerMayAlsoCall(caller, "/itsm.supplier.v1.SupplierService/GetServiceCosts");
}

namespace {

constexpr int kMaxMonths = 120;
constexpr int kDefaultMonths = 12;
constexpr size_t kMaxServiceLength = 200;
constexpr char kBudgetHistoryPrefix[] = "budget:";

absl::Status CheckService(const std::string& field, const std::string& service) {
  if (base::IsBlank(service)) return base::FieldError(field, "required");
  if (service.size() > kMaxServiceLength) {
    return base::FieldError(field, absl::StrCat("at most ", kMaxServiceLength, " characters"));
  }
  // Matched exactly against the services contracts name, which refuse blanks around a name:
  // " mail" would be a row of the report no cost ever reaches.
  return base::CheckMatchedName(field, service);
}

// A report row while it is gathered.
struct Row {
  int64_t cost = 0;
  std::set<std::string> contracts;
  std::optional<v1::Money> budget;
};

}  // namespace

absl::Status ServiceCosts::SetBudget(storage::Transaction& txn, const base::Caller& caller,
                                     const v1::SetServiceBudgetRequest& request,
                                     v1::SetServiceBudgetResponse& out) const {
  ITSM_RETURN_IF_ERROR(CheckService("service", request.service()));
  ITSM_RETURN_IF_ERROR(ParseMonth("month", request.month()).status());
  if (!request.has_budget() || request.budget().currency().empty()) {
    return base::FieldError("budget.currency", "required");
  }
  ITSM_RETURN_IF_ERROR(CheckMoney("budget", request.budget()));
  ITSM_ASSIGN_OR_RETURN(
      std::vector<ServiceBudget> stored,
      BudgetRepository::InRange(txn, request.service(), request.month(), request.month()));
  v1::SetServiceBudgetResponse before;
  before.set_service(request.service());
  before.set_month(request.month());
  if (!stored.empty()) *before.mutable_budget() = stored.front().budget;
  out.set_service(request.service());
  out.set_month(request.month());
  *out.mutable_budget() = request.budget();
  auto changes = records::DiffFields(before, out);
  // Setting the budget it has changes nothing, so it writes no version and publishes no event
  // (found from outside: a second identical PUT published ServiceBudgetSet again).
  if (!stored.empty() && changes.empty()) return absl::OkStatus();
  const int64_t version = stored.empty() ? 1 : stored.front().version + 1;
  ITSM_RETURN_IF_ERROR(
      BudgetRepository::Put(txn, {request.service(), request.month(), request.budget(), version}));
  v1::ServiceBudgetSet event;
  event.set_service(request.service());
  event.set_month(request.month());
  *event.mutable_budget() = request.budget();
  event.set_actor(caller.actor);
  ITSM_RETURN_IF_ERROR(SupplierEvents().Publish(txn, request.service(), event, clock_.Now()));
  return records::AuditTrail::Append(
      txn, BudgetHistoryId(request.service(), request.month()),
      records::AuditEntryFor(caller, version, clock_.Now(),
                             stored.empty() ? "set_budget" : "replace_budget", std::move(changes)));
}

std::string ServiceCosts::BudgetHistoryId(const std::string& service, const std::string& month) {
  return absl::StrCat(kBudgetHistoryPrefix, month, ":", service);
}

absl::Status ServiceCosts::Report(storage::Transaction& txn,
                                  const v1::GetServiceCostsRequest& request,
                                  v1::GetServiceCostsResponse& out) const {
  if (!request.service().empty()) ITSM_RETURN_IF_ERROR(CheckService("service", request.service()));
  ITSM_ASSIGN_OR_RETURN(
      MonthRange range,
      ResolveMonthRange({"from_month", request.from_month()}, {"to_month", request.to_month()},
                        kMaxMonths, kDefaultMonths, absl::UTCTimeZone(), clock_.Now()));
  // (service, currency, month) -> row: the order of the response.
  std::map<std::tuple<std::string, std::string, absl::CivilMonth>, Row> rows;
  ITSM_ASSIGN_OR_RETURN(auto contracts, ContractRepository::CostBearing(txn, request.service()));
  for (const v1::Contract& contract : contracts) {
    ITSM_ASSIGN_OR_RETURN(CostTerm term, CostTermOf(contract));
    for (const CostShare& share : ApportionContract(term, range)) {
      if (!request.service().empty() && share.service != request.service()) continue;
      Row& row = rows[{share.service, share.currency, share.month}];
      // Saturates rather than wraps: stored values predating kMaxMinorUnits may be larger.
      if (__builtin_add_overflow(row.cost, share.minor_units, &row.cost)) {
        row.cost = std::numeric_limits<int64_t>::max();
      }
      row.contracts.insert(share.contract_id);
    }
  }
  ITSM_ASSIGN_OR_RETURN(auto budgets,
                        BudgetRepository::InRange(txn, request.service(), FormatMonth(range.first),
                                                  FormatMonth(range.last)));
  for (const ServiceBudget& b : budgets) {
    ITSM_ASSIGN_OR_RETURN(absl::CivilMonth month, ParseMonth("month", b.month));
    rows[{b.service, b.budget.currency(), month}].budget = b.budget;
  }
  for (const auto& [key, row] : rows) {
    const auto& [service, currency, month] = key;
    v1::ServiceCost* cost = out.add_costs();
    cost->set_service(service);
    cost->set_month(FormatMonth(month));
    cost->mutable_cost()->set_currency(currency);
    cost->mutable_cost()->set_minor_units(row.cost);
    if (row.budget) {
      *cost->mutable_budget() = *row.budget;
      cost->set_budgeted(true);
    }
    cost->set_contracts(static_cast<int32_t>(row.contracts.size()));
  }
  return absl::OkStatus();
}

}  // namespace itsm::supplier
