// Contract values apportioned to the services a contract covers, per month. No I/O; money in
// integer minor units only.
//
// A contract's value is the value of one term; its tacit renewals (renewal_count) each add a
// term, so it bears value x (renewal_count + 1) over [start_date, end_date]. That amount is split
// between its services first, then spread straight-line by day over the span; both steps
// allocate by cumulative floors — the first k of n parts get floor(amount * k / n) together — so
// every split adds up exactly to what it splits, and a remainder is spread over the parts (one
// minor unit at a time, at the parts where the running floor steps up) rather than piled on one.
//
//   for (const CostShare& s : ApportionContract(term, range)) ...
#ifndef ITSM_SERVICES_SUPPLIER_COST_APPORTIONMENT_H_
#define ITSM_SERVICES_SUPPLIER_COST_APPORTIONMENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "itsm/supplier/v1/supplier.pb.h"
#include "services/supplier/src/month_range.h"

namespace itsm::supplier {

// What a contract bears, as apportionment reads it.
struct CostTerm {
  std::string contract_id;
  absl::CivilDay first_day;
  absl::CivilDay last_day;  // inclusive
  std::string currency;
  int64_t amount = 0;                 // minor units over the whole span
  std::vector<std::string> services;  // distinct
};

// One service's share of one contract in one month.
struct CostShare {
  std::string contract_id;
  std::string service;
  std::string currency;
  absl::CivilMonth month;
  int64_t minor_units = 0;
};

// The term of a stored contract. INVALID_ARGUMENT when its value times its terms does not fit
// in 64 bits; DATA_LOSS for stored dates that do not parse.
absl::StatusOr<CostTerm> CostTermOf(const v1::Contract& contract);

// The k-th of `parts` cumulative-floor parts of `amount` (k = 0 .. parts - 1).
int64_t Part(int64_t amount, int64_t parts, int64_t k);

// The shares of the months of `range` (every month of the term when `range` covers it),
// services in the order given, months oldest first. Months with a zero share are left out.
std::vector<CostShare> ApportionContract(const CostTerm& term, const MonthRange& range);

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_COST_APPORTIONMENT_H_
