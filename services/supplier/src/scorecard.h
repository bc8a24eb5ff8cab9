// A supplier's scorecard from its facts: per month, the whole range, and the last month against
// the one before. No I/O.
//
// Counting rules (docs/supplier.md, "Scorecards"): an incident counts in the month it was created
// (incidents, responded, time to respond) and in the month of its first resolution (resolved,
// time to resolve, reopened); a UC clock in the month it stopped, completed only. Percentiles are
// exact, by nearest rank over every duration kept: the smallest value with at least p % of the
// values at or below it.
#ifndef ITSM_SERVICES_SUPPLIER_SCORECARD_H_
#define ITSM_SERVICES_SUPPLIER_SCORECARD_H_

#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "itsm/supplier/v1/supplier.pb.h"
#include "services/supplier/src/month_range.h"
#include "services/supplier/src/scorecard_facts.h"

namespace itsm::supplier {

// The nearest-rank percentile `percent` (1..100) of `values` (reordered); 0 when empty.
int64_t NearestRank(std::vector<int64_t>& values, int percent);

// Fills out.periods (oldest first), out.total and, with two months or more, out.trend. Facts
// outside the range are ignored.
void ComputeScorecard(const MonthRange& range, absl::TimeZone zone,
                      const std::vector<IncidentFacts>& incidents,
                      const std::vector<UcClockFacts>& clocks, v1::GetScorecardResponse& out);

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_SCORECARD_H_
