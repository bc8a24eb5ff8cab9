// The scorecard's pure parts: percentiles by nearest rank over duration buckets, facts that merge
// the same in any order and any number of times, month ranges, and the counting rules on a small
// example.
#include "services/supplier/src/scorecard.h"

#include <algorithm>
#include <random>

#include "gtest/gtest.h"
#include "itsm/base/time_util.h"

namespace itsm::supplier {
namespace {

int64_t At(int y, int mo, int d, int h) {
  return absl::ToUnixMicros(
      absl::FromCivil(absl::CivilSecond(y, mo, d, h, 0, 0), absl::UTCTimeZone()));
}

// The exact nearest-rank percentile, by a full sort.
int64_t NearestRank(std::vector<int64_t> v, int percent) {
  std::sort(v.begin(), v.end());
  const size_t rank = (v.size() * static_cast<size_t>(percent) + 99) / 100;
  return v[rank - 1];
}

// A bucketed percentile is never below the exact one and above it by less than 1/128 of it.
void ExpectWithinPrecision(int64_t got, int64_t exact) {
  EXPECT_GE(got, exact);
  EXPECT_LE(got - exact, exact / 128) << got << " for " << exact;
}

TEST(DurationHistogram, BucketsAreContiguousAndNarrow) {
  EXPECT_EQ(DurationHistogram::BucketOf(-5), 0);
  for (int64_t v : {0, 1, 127})
    EXPECT_EQ(DurationHistogram::UpperEdge(DurationHistogram::BucketOf(v)), v);
  // Every bucket starts one past the previous one's upper edge, and is at most 1/128 wide.
  int64_t lower = 0;
  for (int32_t b = 0; b < 64 * 128; ++b) {
    const int64_t upper = DurationHistogram::UpperEdge(b);
    ASSERT_EQ(DurationHistogram::BucketOf(lower), b) << lower;
    ASSERT_EQ(DurationHistogram::BucketOf(upper), b) << upper;
    ASSERT_LE(upper - lower, lower / 128) << b;
    lower = upper + 1;
    if (lower > (int64_t{1} << 50)) break;
  }
}

TEST(DurationHistogram, PercentilesAgainstFullSorts) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 300; ++round) {
    const int n = 1 + static_cast<int>(rng() % 400);
    // Durations from microseconds to weeks, clustered as real ones are.
    const int64_t scale = int64_t{1} << (rng() % 40);
    std::vector<int64_t> values;
    DurationHistogram h;
    for (int i = 0; i < n; ++i) {
      values.push_back(static_cast<int64_t>(rng() % static_cast<uint64_t>(scale + 1)));
      h.Add(values.back());
    }
    for (int p : {1, 50, 90, 100}) ExpectWithinPrecision(h.Percentile(p), NearestRank(values, p));
    auto decoded = DurationHistogram::Decode(h.Encode());
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, h);
    // Taking back what was added leaves nothing; taking back more is seen.
    DurationHistogram back = h;
    back.Merge(h, -1);
    EXPECT_TRUE(back.empty());
    EXPECT_EQ(back.Count(), 0);
    back.Add(values[0], -1);
    EXPECT_TRUE(back.HasNegative());
  }
  EXPECT_EQ(DurationHistogram().Percentile(50), 0);
  EXPECT_FALSE(DurationHistogram::Decode("\xff").ok());
}

TEST(ScorecardFacts, MergeIsOrderFreeAndIdempotent) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::vector<IncidentFacts> seen;
    for (int i = 0; i < 6; ++i) {
      IncidentFacts f;
      f.incident_id = "i";
      f.create_us = 1000;
      f.response_us = rng() % 3 == 0 ? 0 : 2000 + static_cast<int64_t>(rng() % 100);
      f.resolve_us = rng() % 2 == 0 ? 0 : 5000 + static_cast<int64_t>(rng() % 100);
      f.reopen_count = static_cast<int32_t>(rng() % 3);
      f.update_us = static_cast<int64_t>(rng() % 10000);
      seen.push_back(f);
    }
    auto fold = [](const std::vector<IncidentFacts>& events) {
      IncidentFacts acc = events[0];
      for (size_t i = 1; i < events.size(); ++i) acc = Merge(acc, events[i]);
      return acc;
    };
    const IncidentFacts once = fold(seen);
    std::vector<IncidentFacts> shuffled = seen;
    shuffled.insert(shuffled.end(), seen.begin(), seen.end());  // every event twice
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    EXPECT_EQ(fold(shuffled), once);
  }
}

TEST(ScorecardFacts, ClockStateWithTheLatestEventWins) {
  UcClockFacts running{.clock_id = "k", .event_us = 10};
  UcClockFacts breached{.clock_id = "k", .breached = true, .event_us = 20};
  UcClockFacts completed{
      .clock_id = "k", .completed = true, .breached = true, .stop_us = 30, .event_us = 30};
  EXPECT_TRUE(Supersedes(breached, running));
  EXPECT_FALSE(Supersedes(running, breached));
  EXPECT_TRUE(Supersedes(completed, breached));
  EXPECT_FALSE(Supersedes(completed, completed));
  // Of one instant, the later event in the clock's sequence: a breach withdrawn (a longer
  // target) after it fired; the breach applied again late does not come back.
  UcClockFacts fired{.clock_id = "k", .breached = true, .event_us = 40, .sequence = 5};
  UcClockFacts withdrawn{.clock_id = "k", .event_us = 40, .sequence = 6};
  EXPECT_TRUE(Supersedes(withdrawn, fired));
  EXPECT_FALSE(Supersedes(fired, withdrawn));
}

TEST(MonthRange, DefaultsAndBadInput) {
  const absl::Time now =
      absl::FromCivil(absl::CivilSecond(2024, 3, 15, 0, 0, 0), absl::UTCTimeZone());
  auto r =
      ResolveMonthRange({"from_month", ""}, {"to_month", ""}, 60, 12, absl::UTCTimeZone(), now);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first, absl::CivilMonth(2023, 4));
  EXPECT_EQ(r->last, absl::CivilMonth(2024, 3));
  auto bad = [&](const char* from, const char* to) {
    auto s =
        ResolveMonthRange({"from_month", from}, {"to_month", to}, 60, 12, absl::UTCTimeZone(), now);
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << from << " " << to;
    return std::string(s.status().message());
  };
  EXPECT_NE(bad("2024-13", "2024-12").find("from_month"), std::string::npos);
  EXPECT_NE(bad("2024-01", "").find("to_month"), std::string::npos);
  EXPECT_NE(bad("2024-05", "2024-01").find("to_month"), std::string::npos);
  EXPECT_NE(bad("2010-01", "2024-01").find("to_month"), std::string::npos);
}

TEST(Scorecard, CountsByCreationResolutionAndStop) {
  std::vector<IncidentFacts> incidents = {
      // Created in January, responded after 1 h, first resolved in February after 30 days.
      {.incident_id = "a",
       .create_us = At(2024, 1, 10, 0),
       .response_us = At(2024, 1, 10, 1),
       .resolve_us = At(2024, 2, 9, 0),
       .reopen_count = 1},
      // Created and resolved in February, no response recorded.
      {.incident_id = "b", .create_us = At(2024, 2, 1, 0), .resolve_us = At(2024, 2, 1, 2)},
  };
  std::vector<UcClockFacts> clocks = {
      {.clock_id = "1", .completed = true, .stop_us = At(2024, 2, 3, 0)},
      {.clock_id = "2", .completed = true, .breached = true, .stop_us = At(2024, 2, 4, 0)},
      {.clock_id = "3", .completed = true, .stop_us = At(2024, 2, 5, 0)},
      {.clock_id = "4", .completed = false, .breached = true},  // still running: not counted
  };
  v1::GetScorecardResponse out;
  ComputeScorecard({absl::CivilMonth(2024, 1), absl::CivilMonth(2024, 2)}, absl::UTCTimeZone(),
                   incidents, clocks, out);
  ASSERT_EQ(out.periods_size(), 2);
  const auto& jan = out.periods(0);
  EXPECT_EQ(jan.month(), "2024-01");
  EXPECT_EQ(jan.incidents(), 1);
  EXPECT_EQ(jan.responded(), 1);
  const int64_t hour = 3'600'000'000;
  ExpectWithinPrecision(absl::ToInt64Microseconds(base::FromProtoDuration(jan.response_p50())),
                        hour);
  EXPECT_EQ(jan.resolved(), 0);
  EXPECT_EQ(jan.uc_compliance_bp(), -1);
  const auto& feb = out.periods(1);
  EXPECT_EQ(feb.incidents(), 1);
  EXPECT_EQ(feb.responded(), 0);
  EXPECT_EQ(feb.resolved(), 2);
  ExpectWithinPrecision(absl::ToInt64Microseconds(base::FromProtoDuration(feb.resolution_p50())),
                        2 * hour);
  ExpectWithinPrecision(absl::ToInt64Microseconds(base::FromProtoDuration(feb.resolution_p90())),
                        30 * 24 * hour);
  EXPECT_EQ(feb.reopened(), 1);
  EXPECT_EQ(feb.reopen_rate_bp(), 5000);
  EXPECT_EQ(feb.uc_clocks_met(), 2);
  EXPECT_EQ(feb.uc_clocks_breached(), 1);
  EXPECT_EQ(feb.uc_compliance_bp(), 6666);
  EXPECT_EQ(out.trend().incidents(), 0);
  EXPECT_EQ(out.trend().uc_compliance_bp(), 0);  // January had no clock: no difference
  EXPECT_EQ(out.total().incidents(), 2);
  EXPECT_EQ(out.total().resolved(), 2);
}

}  // namespace
}  // namespace itsm::supplier
