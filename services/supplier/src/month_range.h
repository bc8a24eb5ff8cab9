// The months a report covers: "YYYY-MM" bounds, inclusive, checked and turned into instants in
// a zone. Shared by scorecards and service costs. No I/O.
//
//   ITSM_ASSIGN_OR_RETURN(MonthRange range,
//       ResolveMonthRange({"from_month", r.from_month()}, {"to_month", r.to_month()}, 60,
//                         LoadedZone, clock.Now()));
#ifndef ITSM_SERVICES_SUPPLIER_MONTH_RANGE_H_
#define ITSM_SERVICES_SUPPLIER_MONTH_RANGE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace itsm::supplier {

struct MonthRange {
  absl::CivilMonth first;
  absl::CivilMonth last;  // inclusive
  int64_t size() const { return last - first + 1; }
};

struct MonthBound {
  absl::string_view field;
  absl::string_view text;
};

// Both empty: the `default_months` months up to the one `now` falls in (in `zone`). One empty:
// INVALID_ARGUMENT naming it. INVALID_ARGUMENT also for a malformed month, `from` after `to`,
// or more than `max_months` months (naming to's field).
absl::StatusOr<MonthRange> ResolveMonthRange(MonthBound from, MonthBound to, int max_months,
                                             int default_months, absl::TimeZone zone,
                                             absl::Time now);

// The first instant of `month` in `zone` (Unix microseconds).
int64_t MonthStartMicros(absl::CivilMonth month, absl::TimeZone zone);

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_MONTH_RANGE_H_
