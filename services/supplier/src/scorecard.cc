#include "services/supplier/src/scorecard.h"

#include <algorithm>

#include "itsm/base/time_util.h"
#include "services/supplier/src/contract_dates.h"

namespace itsm::supplier {
namespace {

constexpr int kBasisPoints = 10000;

google::protobuf::Duration MicrosDuration(int64_t us) {
  return base::ToProtoDuration(absl::Microseconds(us));
}

void Fill(const PeriodTally& t, v1::ScorecardPeriod& p) {
  p.set_incidents(t.incidents);
  p.set_caused_incidents(t.caused);
  p.set_responded(t.response.Count());
  if (t.response.Count() > 0) {
    *p.mutable_response_p50() = MicrosDuration(t.response.Percentile(50));
    *p.mutable_response_p90() = MicrosDuration(t.response.Percentile(90));
  }
  const int64_t resolved = t.resolution.Count();
  p.set_resolved(resolved);
  if (resolved > 0) {
    *p.mutable_resolution_p50() = MicrosDuration(t.resolution.Percentile(50));
    *p.mutable_resolution_p90() = MicrosDuration(t.resolution.Percentile(90));
  }
  p.set_reopened(t.reopened);
  // Rounded down: a rate shown never flatters the supplier by rounding.
  p.set_reopen_rate_bp(resolved == 0 ? 0
                                     : static_cast<int32_t>(t.reopened * kBasisPoints / resolved));
  p.set_uc_clocks_met(t.met);
  p.set_uc_clocks_breached(t.breached);
  const int64_t decided = t.met + t.breached;
  p.set_uc_compliance_bp(decided == 0 ? -1 : static_cast<int32_t>(t.met * kBasisPoints / decided));
}

google::protobuf::Duration Difference(const google::protobuf::Duration& a,
                                      const google::protobuf::Duration& b) {
  return base::ToProtoDuration(base::FromProtoDuration(a) - base::FromProtoDuration(b));
}

// `last` - `before`. A percentile, rate or compliance is a difference only where both months
// have one; otherwise it stays unset (0).
v1::ScorecardPeriod Trend(const v1::ScorecardPeriod& last, const v1::ScorecardPeriod& before) {
  v1::ScorecardPeriod t;
  t.set_month(last.month());
  t.set_incidents(last.incidents() - before.incidents());
  t.set_caused_incidents(last.caused_incidents() - before.caused_incidents());
  t.set_responded(last.responded() - before.responded());
  if (last.responded() > 0 && before.responded() > 0) {
    *t.mutable_response_p50() = Difference(last.response_p50(), before.response_p50());
    *t.mutable_response_p90() = Difference(last.response_p90(), before.response_p90());
  }
  t.set_resolved(last.resolved() - before.resolved());
  if (last.resolved() > 0 && before.resolved() > 0) {
    *t.mutable_resolution_p50() = Difference(last.resolution_p50(), before.resolution_p50());
    *t.mutable_resolution_p90() = Difference(last.resolution_p90(), before.resolution_p90());
    t.set_reopen_rate_bp(last.reopen_rate_bp() - before.reopen_rate_bp());
  }
  t.set_reopened(last.reopened() - before.reopened());
  t.set_uc_clocks_met(last.uc_clocks_met() - before.uc_clocks_met());
  t.set_uc_clocks_breached(last.uc_clocks_breached() - before.uc_clocks_breached());
  if (last.uc_compliance_bp() >= 0 && before.uc_compliance_bp() >= 0) {
    t.set_uc_compliance_bp(last.uc_compliance_bp() - before.uc_compliance_bp());
  }
  return t;
}

}  // namespace

void PeriodTally::Merge(const PeriodTally& other, int64_t sign) {
  incidents += sign * other.incidents;
  caused += sign * other.caused;
  reopened += sign * other.reopened;
  met += sign * other.met;
  breached += sign * other.breached;
  response.Merge(other.response, sign);
  resolution.Merge(other.resolution, sign);
}

bool PeriodTally::IsZero() const {
  return incidents == 0 && caused == 0 && reopened == 0 && met == 0 && breached == 0 &&
         response.empty() && resolution.empty();
}

bool PeriodTally::HasNegative() const {
  return incidents < 0 || caused < 0 || reopened < 0 || met < 0 || breached < 0 ||
         response.HasNegative() || resolution.HasNegative();
}

void AddCreation(const IncidentFacts& i, int64_t sign, PeriodTally& t) {
  if (i.create_us == 0) return;
  t.incidents += sign;
  if (i.response_us != 0) t.response.Add(std::max<int64_t>(0, i.response_us - i.create_us), sign);
}

void AddResolution(const IncidentFacts& i, int64_t sign, PeriodTally& t) {
  if (i.resolve_us == 0) return;
  t.resolution.Add(std::max<int64_t>(0, i.resolve_us - i.create_us), sign);
  if (i.reopen_count > 0) t.reopened += sign;
}

void AddClock(const UcClockFacts& c, int64_t sign, PeriodTally& t) {
  if (!c.completed) return;
  (c.breached ? t.breached : t.met) += sign;
}

void ScorecardFromMonths(const MonthRange& range, const std::vector<PeriodTally>& months,
                         v1::GetScorecardResponse& out) {
  PeriodTally total;
  for (size_t i = 0; i < months.size(); ++i) {
    v1::ScorecardPeriod* p = out.add_periods();
    p->set_month(FormatMonth(range.first + static_cast<int64_t>(i)));
    Fill(months[i], *p);
    total.Merge(months[i]);
  }
  v1::ScorecardPeriod* t = out.mutable_total();
  t->set_month(FormatMonth(range.first) + ".." + FormatMonth(range.last));
  Fill(total, *t);
  if (out.periods_size() >= 2) {
    *out.mutable_trend() =
        Trend(out.periods(out.periods_size() - 1), out.periods(out.periods_size() - 2));
  }
}

void ComputeScorecard(const MonthRange& range, absl::TimeZone zone,
                      const std::vector<IncidentFacts>& incidents,
                      const std::vector<UcClockFacts>& clocks, v1::GetScorecardResponse& out) {
  // Month boundaries, bounds[i] .. bounds[i + 1]: a time's month by binary search.
  std::vector<int64_t> bounds;
  for (absl::CivilMonth m = range.first; m <= range.last + 1; ++m) {
    bounds.push_back(MonthStartMicros(m, zone));
  }
  std::vector<PeriodTally> months(static_cast<size_t>(range.size()));
  auto month_of = [&](int64_t us) -> PeriodTally* {
    if (us == 0 || us < bounds.front() || us >= bounds.back()) return nullptr;
    return &months[static_cast<size_t>(std::upper_bound(bounds.begin(), bounds.end(), us) -
                                       bounds.begin() - 1)];
  };
  for (const IncidentFacts& i : incidents) {
    if (PeriodTally* t = month_of(i.create_us)) AddCreation(i, 1, *t);
    if (PeriodTally* t = month_of(i.resolve_us)) AddResolution(i, 1, *t);
  }
  for (const UcClockFacts& c : clocks) {
    if (PeriodTally* t = month_of(c.stop_us)) AddClock(c, 1, *t);
  }
  ScorecardFromMonths(range, months, out);
}

}  // namespace itsm::supplier
