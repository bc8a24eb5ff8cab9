#include "services/supplier/src/cost_apportionment.h"

#include <algorithm>
#include <limits>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"
#include "services/supplier/src/contract_dates.h"

namespace itsm::supplier {
namespace {

// floor(amount * k / n) for 0 <= k <= n, n > 0, amount >= 0; exact in 128 bits.
int64_t CumulativeFloor(int64_t amount, int64_t n, int64_t k) {
  return static_cast<int64_t>(absl::int128(amount) * k / n);
}

}  // namespace

absl::StatusOr<CostTerm> CostTermOf(const v1::Contract& contract) {
  CostTerm term;
  term.contract_id = contract.id();
  auto first = ParseDate("contract.start_date", contract.start_date());
  auto last = ParseDate("contract.end_date", contract.end_date());
  if (!first.ok() || !last.ok() || *last < *first) {
    return absl::DataLossError(
        absl::StrCat("contract ", contract.number(), ": stored dates do not parse"));
  }
  term.first_day = *first;
  term.last_day = *last;
  term.currency = contract.value().currency();
  const absl::int128 amount =
      absl::int128(contract.value().minor_units()) * (absl::int128(contract.renewal_count()) + 1);
  if (amount > absl::int128(std::numeric_limits<int64_t>::max())) {
    return absl::InvalidArgumentError(absl::StrCat("contract ", contract.number(),
                                                   ": value x terms exceeds 2^63 - 1 minor units"));
  }
  term.amount = static_cast<int64_t>(amount);
  term.services.assign(contract.services().begin(), contract.services().end());
  return term;
}

int64_t Part(int64_t amount, int64_t parts, int64_t k) {
  return CumulativeFloor(amount, parts, k + 1) - CumulativeFloor(amount, parts, k);
}

std::vector<CostShare> ApportionContract(const CostTerm& term, const MonthRange& range) {
  std::vector<CostShare> out;
  const auto services = static_cast<int64_t>(term.services.size());
  if (services == 0 || term.amount <= 0) return out;
  const int64_t days = term.last_day - term.first_day + 1;
  const absl::CivilMonth first = std::max(range.first, absl::CivilMonth(term.first_day));
  const absl::CivilMonth last = std::min(range.last, absl::CivilMonth(term.last_day));
  for (int64_t s = 0; s < services; ++s) {
    const int64_t share = Part(term.amount, services, s);
    for (absl::CivilMonth m = first; m <= last; ++m) {
      // Day offsets of the month within the span, clipped to it: [begin, end).
      const int64_t begin = std::max<int64_t>(0, absl::CivilDay(m) - term.first_day);
      const int64_t end = std::min<int64_t>(days, absl::CivilDay(m + 1) - term.first_day);
      const int64_t amount =
          CumulativeFloor(share, days, end) - CumulativeFloor(share, days, begin);
      if (amount == 0) continue;
      out.push_back(
          {term.contract_id, term.services[static_cast<size_t>(s)], term.currency, m, amount});
    }
  }
  return out;
}

}  // namespace itsm::supplier
