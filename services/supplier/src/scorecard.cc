#include "services/supplier/src/scorecard.h"

#include <algorithm>

#include "itsm/base/time_util.h"
#include "services/supplier/src/contract_dates.h"

namespace itsm::supplier {
namespace {

constexpr int kBasisPoints = 10000;

// The figures of one period while they are gathered.
struct Tally {
  int64_t incidents = 0;
  std::vector<int64_t> response_us;
  std::vector<int64_t> resolution_us;
  int64_t reopened = 0;
  int64_t met = 0;
  int64_t breached = 0;
};

google::protobuf::Duration MicrosDuration(int64_t us) {
  return base::ToProtoDuration(absl::Microseconds(us));
}

void Fill(Tally& t, v1::ScorecardPeriod& p) {
  p.set_incidents(t.incidents);
  p.set_responded(static_cast<int64_t>(t.response_us.size()));
  if (!t.response_us.empty()) {
    *p.mutable_response_p50() = MicrosDuration(NearestRank(t.response_us, 50));
    *p.mutable_response_p90() = MicrosDuration(NearestRank(t.response_us, 90));
  }
  const auto resolved = static_cast<int64_t>(t.resolution_us.size());
  p.set_resolved(resolved);
  if (resolved > 0) {
    *p.mutable_resolution_p50() = MicrosDuration(NearestRank(t.resolution_us, 50));
    *p.mutable_resolution_p90() = MicrosDuration(NearestRank(t.resolution_us, 90));
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

int64_t NearestRank(std::vector<int64_t>& values, int percent) {
  if (values.empty()) return 0;
  const size_t n = values.size();
  const size_t rank = (n * static_cast<size_t>(percent) + 99) / 100;  // ceil(p n / 100), >= 1
  std::nth_element(values.begin(), values.begin() + static_cast<ptrdiff_t>(rank - 1), values.end());
  return values[rank - 1];
}

void ComputeScorecard(const MonthRange& range, absl::TimeZone zone,
                      const std::vector<IncidentFacts>& incidents,
                      const std::vector<UcClockFacts>& clocks, v1::GetScorecardResponse& out) {
  // Month boundaries, bounds[i] .. bounds[i + 1]: a time's month by binary search.
  std::vector<int64_t> bounds;
  for (absl::CivilMonth m = range.first; m <= range.last + 1; ++m) {
    bounds.push_back(MonthStartMicros(m, zone));
  }
  auto month_of = [&bounds](int64_t us) -> int {
    if (us == 0 || us < bounds.front() || us >= bounds.back()) return -1;
    return static_cast<int>(std::upper_bound(bounds.begin(), bounds.end(), us) - bounds.begin()) -
           1;
  };
  std::vector<Tally> months(static_cast<size_t>(range.size()));
  Tally total;
  auto add = [&](int month, auto&& apply) {
    if (month < 0) return;
    apply(months[static_cast<size_t>(month)]);
    apply(total);
  };
  for (const IncidentFacts& i : incidents) {
    add(month_of(i.create_us), [&](Tally& t) {
      ++t.incidents;
      if (i.response_us != 0)
        t.response_us.push_back(std::max<int64_t>(0, i.response_us - i.create_us));
    });
    add(month_of(i.resolve_us), [&](Tally& t) {
      t.resolution_us.push_back(std::max<int64_t>(0, i.resolve_us - i.create_us));
      if (i.reopen_count > 0) ++t.reopened;
    });
  }
  for (const UcClockFacts& c : clocks) {
    if (!c.completed) continue;
    add(month_of(c.stop_us), [&](Tally& t) { ++(c.breached ? t.breached : t.met); });
  }
  for (size_t i = 0; i < months.size(); ++i) {
    v1::ScorecardPeriod* p = out.add_periods();
    p->set_month(FormatMonth(range.first + static_cast<int64_t>(i)));
    Fill(months[i], *p);
  }
  v1::ScorecardPeriod* t = out.mutable_total();
  t->set_month(FormatMonth(range.first) + ".." + FormatMonth(range.last));
  Fill(total, *t);
  if (out.periods_size() >= 2) {
    *out.mutable_trend() =
        Trend(out.periods(out.periods_size() - 1), out.periods(out.periods_size() - 2));
  }
}

}  // namespace itsm::supplier
