// A supplier's scorecard from its figures per month: per month, the whole range, and the last
// month against the one before. No I/O.
//
// Counting rules (docs/supplier.md, "Scorecards"): an incident counts in the month it was created
// (incidents, caused incidents, responded, time to respond) and in the month of its first
// resolution (resolved, time to resolve, reopened); a UC clock in the month it stopped, completed
// only. Percentiles are nearest-rank over fixed duration buckets (duration_histogram.h): the upper
// edge of the bucket the exact value falls in, less than 0.79 % above it.
#ifndef ITSM_SERVICES_SUPPLIER_SCORECARD_H_
#define ITSM_SERVICES_SUPPLIER_SCORECARD_H_

#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "itsm/supplier/v1/supplier.pb.h"
#include "services/supplier/src/duration_histogram.h"
#include "services/supplier/src/month_range.h"
#include "services/supplier/src/scorecard_facts.h"

namespace itsm::supplier {

// The figures of one period (or one roll-up row) while they are gathered. Everything adds and
// subtracts, so a period is the sum of the parts it is made of.
struct PeriodTally {
  int64_t incidents = 0;
  // Of `incidents`, those on the supplier's CIs caused by its changes. Known only for a supplier
  // (ScorecardRollups::SupplierMonths): a roll-up row keeps 0.
  int64_t caused = 0;
  int64_t reopened = 0;
  int64_t met = 0;
  int64_t breached = 0;
  DurationHistogram response;    // first response − creation, per incident created
  DurationHistogram resolution;  // first resolution − creation, per incident first resolved

  void Merge(const PeriodTally& other, int64_t sign = 1);
  bool IsZero() const;
  bool HasNegative() const;
  bool operator==(const PeriodTally&) const = default;
};

// What one incident or clock adds (sign +1) or takes back (sign −1): to the period of its
// creation, to the period of its first resolution, to the period of the clock's stop. An unknown
// creation or resolution (0) adds nothing; neither does a clock that did not complete.
void AddCreation(const IncidentFacts& incident, int64_t sign, PeriodTally& period);
void AddResolution(const IncidentFacts& incident, int64_t sign, PeriodTally& period);
void AddClock(const UcClockFacts& clock, int64_t sign, PeriodTally& period);

// Fills out.periods (oldest first, one per month of `range`, from `months`), out.total and,
// with two months or more, out.trend.
void ScorecardFromMonths(const MonthRange& range, const std::vector<PeriodTally>& months,
                         v1::GetScorecardResponse& out);

// The same from facts: each attributed to its month in `zone`; facts outside the range are
// ignored.
void ComputeScorecard(const MonthRange& range, absl::TimeZone zone,
                      const std::vector<IncidentFacts>& incidents,
                      const std::vector<UcClockFacts>& clocks, v1::GetScorecardResponse& out);

}  // namespace itsm::supplier

#endif  // ITSM_SERVICES_SUPPLIER_SCORECARD_H_
