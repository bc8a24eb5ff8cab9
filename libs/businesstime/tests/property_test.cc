// Property test: the library against the brute-force reference (reference.h) on many random
// calendars, windows and queries. Every random choice comes from one fixed seed so that a
// failure reproduces; the failure message names the seed, the case and the whole calendar.
// Set ITSM_BUSINESSTIME_SEED to explore other seeds locally.

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "itsm/businesstime/business_time.h"
#include "itsm/businesstime/calendar.h"
#include "reference.h"

namespace itsm::businesstime {
namespace {

using testing::DescribeSpec;
using testing::ReferenceCalendar;
using testing::ReferenceTimeline;

constexpr uint64_t kDefaultSeed = 20250328;
constexpr std::array<const char*, 8> kZones = {"Europe/Istanbul",   "America/New_York",
                                               "Europe/London",     "Australia/Lord_Howe",
                                               "Asia/Kolkata",      "UTC",
                                               "America/Sao_Paulo", "Pacific/Chatham"};
constexpr int64_t kDay = 86400;
constexpr int64_t kWeek = 7 * kDay;

uint64_t Seed() {
  if (const char* env = std::getenv("ITSM_BUSINESSTIME_SEED"))
    return std::strtoull(env, nullptr, 10);
  return kDefaultSeed;
}

// Our own uniform draw: std::uniform_int_distribution differs between standard libraries, and
// a seed must reproduce the same case everywhere.
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  int64_t Uniform(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(engine_() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(int percent) { return Uniform(0, 99) < percent; }

 private:
  std::mt19937_64 engine_;
};

// Wall-clock times at which the zones in kZones change their offsets, and times around them.
// Interval boundaries are drawn from these a third of the time: otherwise an interval that
// starts or ends inside a skipped or repeated hour would be too rare to test.
constexpr std::array<int64_t, 12> kNearChanges = {0,    1800, 3600,  5400,  7200,  8100,
                                                  9000, 9900, 10800, 12600, 13500, 14400};

// A boundary in grains, in [lo, hi].
int64_t RandomBoundary(Random& random, int64_t grain, int64_t lo, int64_t hi) {
  if (random.Chance(33)) {
    const int64_t near =
        kNearChanges[static_cast<size_t>(random.Uniform(0, kNearChanges.size() - 1))] / grain;
    if (near >= lo && near <= hi) return near;
  }
  return random.Uniform(lo, hi);
}

TimeOfDay ToTimeOfDay(int64_t second_of_day) {
  return {static_cast<int>(second_of_day / 3600), static_cast<int>(second_of_day / 60 % 60),
          static_cast<int>(second_of_day % 60)};
}

// 1 to `max_intervals` disjoint, non-touching intervals inside one day, on `grain` boundaries.
std::vector<DayInterval> RandomDayIntervals(Random& random, int64_t grain, int max_intervals) {
  const int64_t slots = kDay / grain;
  const int count = static_cast<int>(random.Uniform(1, max_intervals));
  std::vector<int64_t> points;
  while (points.size() < static_cast<size_t>(2 * count)) {
    const int64_t p = RandomBoundary(random, grain, 0, slots) * grain;
    bool taken = false;
    for (int64_t q : points) taken = taken || q == p;
    if (!taken) points.push_back(p);
  }
  std::sort(points.begin(), points.end());
  std::vector<DayInterval> intervals;
  for (size_t i = 0; i < points.size(); i += 2) {
    intervals.push_back({ToTimeOfDay(points[i]), ToTimeOfDay(points[i + 1])});
  }
  return intervals;
}

// Weekly intervals that never overlap, about a fifth of them overnight. A bitmap of the week
// in grains keeps them apart, so Calendar::Create must accept every spec generated.
std::vector<WeeklyInterval> RandomWeekly(Random& random, int64_t grain) {
  const int64_t slots_per_day = kDay / grain;
  std::vector<bool> taken(static_cast<size_t>(7 * slots_per_day), false);
  std::vector<WeeklyInterval> weekly;
  for (int day = 0; day < 7; ++day) {
    if (!random.Chance(75)) continue;
    const int attempts = static_cast<int>(random.Uniform(1, 3));
    for (int a = 0; a < attempts; ++a) {
      int64_t start;
      int64_t length;
      if (random.Chance(20)) {  // overnight: starts in the evening, ends next morning
        start = random.Uniform(18 * 3600 / grain, slots_per_day - 1);
        length = slots_per_day - start + random.Uniform(1, 8 * 3600 / grain);
      } else {
        start = RandomBoundary(random, grain, 0, slots_per_day - 1);
        length = RandomBoundary(random, grain, start + 1,
                                std::min<int64_t>(slots_per_day, start + 12 * 3600 / grain)) -
                 start;
      }
      bool free = true;
      for (int64_t s = 0; s < length && free; ++s) {
        free = !taken[static_cast<size_t>((day * slots_per_day + start + s) % (7 * slots_per_day))];
      }
      if (!free) continue;
      for (int64_t s = 0; s < length; ++s) {
        taken[static_cast<size_t>((day * slots_per_day + start + s) % (7 * slots_per_day))] = true;
      }
      const int64_t end = start + length;
      WeeklyInterval interval{static_cast<absl::Weekday>(day), ToTimeOfDay(start * grain),
                              ToTimeOfDay((end % slots_per_day) * grain)};
      // "until midnight" is written 24:00 by some and 00:00 by others; both must work.
      if (end == slots_per_day && random.Chance(50)) interval.end = {24, 0, 0};
      weekly.push_back(interval);
    }
  }
  return weekly;
}

LocalDate ToLocalDate(absl::CivilDay day) {
  return {static_cast<int>(day.year()), day.month(), day.day()};
}

struct Case {
  CalendarSpec spec;
  absl::Time begin;
  int64_t steps = 0;
};

// A random calendar and a window of `steps` grains. Most windows sit just before a UTC-offset
// change of the zone, where mistakes hide; dated exceptions fall inside the window.
Case RandomCase(Random& random, int64_t grain, int64_t min_window, int64_t max_window) {
  Case c;
  c.spec.time_zone = kZones[static_cast<size_t>(random.Uniform(0, kZones.size() - 1))];
  const int64_t mode = random.Uniform(0, 9);
  if (mode == 0) {
    c.spec.always_open = true;
  } else if (mode >= 2) {
    c.spec.weekly = RandomWeekly(random, grain);
  }  // mode 1: no weekly hours, only extra working days

  absl::TimeZone zone;
  absl::LoadTimeZone(c.spec.time_zone, &zone);
  const int64_t window = random.Uniform(min_window, max_window);
  const absl::Time year_start =
      absl::FromCivil(absl::CivilSecond(random.Uniform(2021, 2029), 1, 1, 0, 0, 0), zone);
  absl::Time begin = year_start + absl::Seconds(random.Uniform(0, 364 * kDay));
  absl::TimeZone::CivilTransition transition;
  if (random.Chance(65) && zone.NextTransition(year_start, &transition)) {
    const absl::Time change = zone.At(transition.to).trans;
    if (random.Chance(50) && zone.NextTransition(change, &transition)) {
      begin = zone.At(transition.to).trans;  // the other change of the year
    } else {
      begin = change;
    }
    begin -= absl::Seconds(random.Uniform(0, window * 3 / 4));
  }
  c.begin = absl::FromUnixSeconds(absl::ToUnixSeconds(begin) / grain * grain);
  c.steps = window / grain;

  // Exceptions on local dates from the day before the window to the day after it.
  const absl::CivilDay first = absl::CivilDay(absl::ToCivilSecond(c.begin, zone)) - 1;
  const int64_t days = window / kDay + 3;
  std::vector<int64_t> used;
  const auto fresh_date = [&](std::vector<int64_t>& seen) {
    for (;;) {
      const int64_t offset = random.Uniform(0, days - 1);
      bool taken = false;
      for (int64_t s : seen) taken = taken || s == offset;
      if (!taken) {
        seen.push_back(offset);
        return ToLocalDate(first + offset);
      }
    }
  };
  const int holidays = static_cast<int>(random.Uniform(0, std::min<int64_t>(4, days - 1)));
  for (int i = 0; i < holidays; ++i) {
    Holiday holiday{fresh_date(used), {}};
    if (random.Chance(50)) holiday.closed = RandomDayIntervals(random, grain, 2);
    c.spec.holidays.push_back(holiday);
  }
  std::vector<int64_t> used_extra;
  const int extras = static_cast<int>(random.Uniform(mode == 1 ? 1 : 0, 3));
  for (int i = 0; i < extras; ++i) {
    c.spec.extra_working.push_back({fresh_date(used_extra), RandomDayIntervals(random, grain, 2)});
  }
  return c;
}

// Checks a "first instant >= t" answer against the reference, which knows only its window.
// Past the window only the weekly pattern is left, so a calendar with weekly hours must find
// open time there: `must_exist` forbids an error then.
void ExpectSearchResult(const absl::StatusOr<absl::Time>& fast, std::optional<int64_t> expected,
                        const ReferenceTimeline& ref, bool must_exist = false) {
  if (expected.has_value() || must_exist) {
    ASSERT_TRUE(fast.ok()) << fast.status();
  }
  if (expected.has_value()) {
    ASSERT_TRUE(fast.ok()) << fast.status();
    ASSERT_EQ(*fast, ref.At(*expected));
  } else if (fast.ok()) {
    // Not in the window: then it must lie beyond it.
    ASSERT_GE(*fast, ref.At(ref.size()));
  } else {
    ASSERT_EQ(fast.status().code(), absl::StatusCode::kFailedPrecondition) << fast.status();
  }
}

// One calendar: IsOpen at every step and half a step in, then `queries` random queries of
// each operation. ASSERTs stop at the first difference so that the message stays readable.
void CheckCase(const Case& c, absl::Duration step, Random& random, int queries) {
  absl::StatusOr<Calendar> calendar = Calendar::Create(c.spec);
  ASSERT_TRUE(calendar.ok()) << calendar.status();
  const ReferenceCalendar reference(c.spec);
  const ReferenceTimeline ref(reference, c.begin, step, c.steps);
  const bool weekly_hours = c.spec.always_open || !c.spec.weekly.empty();

  // Steps at which the zone changes its UTC offset; only used to aim queries.
  std::vector<int64_t> changes;
  absl::TimeZone::CivilTransition transition;
  for (absl::Time t = c.begin; reference.zone().NextTransition(t, &transition);) {
    t = reference.zone().At(transition.to).trans;
    if (t >= ref.At(ref.size())) break;
    changes.push_back((t - c.begin) / step);
  }

  for (int64_t i = 0; i < ref.size(); ++i) {
    ASSERT_EQ(IsOpen(*calendar, ref.At(i)), ref.IsOpen(i))
        << "IsOpen at step " << i << " " << ref.At(i);
    ASSERT_EQ(IsOpen(*calendar, ref.At(i) + step / 2), ref.IsOpen(i))
        << "IsOpen half a step after step " << i << " " << ref.At(i);
  }

  for (int q = 0; q < queries; ++q) {
    // Half the queries start shortly before a change of UTC offset, where the mistakes are.
    int64_t i = random.Uniform(0, ref.size() / 2);
    if (!changes.empty() && random.Chance(50)) {
      const int64_t change = changes[static_cast<size_t>(random.Uniform(0, changes.size() - 1))];
      i = std::max<int64_t>(0, change - random.Uniform(0, 180));
    }
    SCOPED_TRACE(absl::StrCat("query ", q, " from step ", i, " = ", absl::FormatTime(ref.At(i))));

    // AddBusinessDuration: mostly within the window, sometimes zero, sometimes past its end.
    const int64_t available = ref.Elapsed(i, ref.size());
    int64_t steps = random.Uniform(0, available);
    if (random.Chance(10)) steps = 0;
    if (random.Chance(10)) steps = available + random.Uniform(1, 1000);
    {
      SCOPED_TRACE(absl::StrCat("AddBusinessDuration ", steps, " steps"));
      const absl::StatusOr<absl::Time> due =
          AddBusinessDuration(*calendar, ref.At(i), steps * step);
      ExpectSearchResult(due, ref.Add(i, steps), ref, weekly_hours);
      if (::testing::Test::HasFatalFailure()) return;
    }

    // BusinessElapsed on whole steps, and zero when reversed.
    const int64_t j = random.Uniform(i, ref.size());
    ASSERT_EQ(BusinessElapsed(*calendar, ref.At(i), ref.At(j)), ref.Elapsed(i, j) * step)
        << "BusinessElapsed to step " << j;
    if (j > i) {
      ASSERT_EQ(BusinessElapsed(*calendar, ref.At(j), ref.At(i)), absl::ZeroDuration());
    }

    // NextOpen / NextClose from a step boundary and from half a step in.
    {
      SCOPED_TRACE("NextOpen");
      ExpectSearchResult(NextOpen(*calendar, ref.At(i)), ref.NextOpen(i), ref, weekly_hours);
      if (::testing::Test::HasFatalFailure()) return;
      const absl::StatusOr<absl::Time> mid = NextOpen(*calendar, ref.At(i) + step / 2);
      if (ref.IsOpen(i)) {
        ASSERT_TRUE(mid.ok()) << mid.status();
        ASSERT_EQ(*mid, ref.At(i) + step / 2);
      } else {
        ExpectSearchResult(mid, ref.NextOpen(i + 1), ref, weekly_hours);
        if (::testing::Test::HasFatalFailure()) return;
      }
    }
    {
      SCOPED_TRACE("NextClose");
      ExpectSearchResult(NextClose(*calendar, ref.At(i)), ref.NextClose(i), ref);
      if (::testing::Test::HasFatalFailure()) return;
      const absl::StatusOr<absl::Time> mid = NextClose(*calendar, ref.At(i) + step / 2);
      if (!ref.IsOpen(i)) {
        ASSERT_TRUE(mid.ok()) << mid.status();
        ASSERT_EQ(*mid, ref.At(i) + step / 2);
      } else {
        ExpectSearchResult(mid, ref.NextClose(i + 1), ref);
        if (::testing::Test::HasFatalFailure()) return;
      }
    }

    // Off the grid (no reference): the due instant of a duration with a sub-second part from a
    // sub-second start is exactly that much business time away, and no earlier instant is.
    const absl::Time start = ref.At(i) + absl::Nanoseconds(random.Uniform(0, 999999999)) +
                             absl::Seconds(random.Uniform(0, 59));
    const absl::Duration d =
        step * random.Uniform(0, available) / 4 + absl::Nanoseconds(random.Uniform(1, 999999999));
    const absl::StatusOr<absl::Time> due = AddBusinessDuration(*calendar, start, d);
    if (due.ok()) {
      ASSERT_EQ(BusinessElapsed(*calendar, start, *due), d) << "from " << start << " due " << *due;
      ASSERT_LT(BusinessElapsed(*calendar, start, *due - absl::Nanoseconds(1)), d);
    }
  }
}

struct Grid {
  const char* name;
  int64_t grain_seconds;
  int cases;
  int64_t min_window_seconds;
  int64_t max_window_seconds;
  int queries;
};

void RunProperty(const Grid& grid) {
  const uint64_t seed = Seed();
  for (int n = 0; n < grid.cases; ++n) {
    // One engine per case, so that a failing case can be replayed alone.
    Random random(seed * 1000003 + static_cast<uint64_t>(n));
    const Case c =
        RandomCase(random, grid.grain_seconds, grid.min_window_seconds, grid.max_window_seconds);
    SCOPED_TRACE(absl::StrCat(grid.name, " seed=", seed, " case=", n, " window=[",
                              absl::FormatTime(c.begin), ", +", c.steps, " x ", grid.grain_seconds,
                              "s) ", DescribeSpec(c.spec)));
    CheckCase(c, absl::Seconds(grid.grain_seconds), random, grid.queries);
    if (::testing::Test::HasFailure()) return;
  }
}

// Minute-aligned calendars over windows of one to five weeks: every zone, DST change,
// overnight interval and exception kind meets every operation.
TEST(BusinessTimeProperty, MatchesMinuteReference) {
  RunProperty({"minutes", 60, 1200, 7 * kDay, 5 * kWeek, 25});
}

// Second-aligned calendars over short windows, mostly across a UTC-offset change: second
// precision everywhere, including the 30-minute DST of Lord Howe and the 45-minute zone of
// Chatham.
TEST(BusinessTimeProperty, MatchesSecondReference) {
  RunProperty({"seconds", 1, 100, kDay / 2, 2 * kDay, 25});
}

// The least open time ahead of any start in a three-week range against the brute force: every
// 15-minute start's next ten years counted on the reference. The calendars get holidays near
// the range, near the horizon's end (where a start ten years earlier meets them) and, in some
// cases, a run of up to a year of holidays: the shapes that leave a clock with too little time.
TEST(BusinessTimeProperty, LeastOpenTimeWithinHorizonMatchesBruteForce) {
  constexpr int64_t kGrain = 900;
  const int64_t horizon_steps = absl::ToInt64Seconds(kSearchHorizon) / kGrain;
  const uint64_t seed = Seed();
  for (int n = 0; n < 12; ++n) {
    Random random(seed * 7919 + static_cast<uint64_t>(n));
    Case c = RandomCase(random, kGrain, 3 * kWeek, 3 * kWeek);
    absl::TimeZone zone;
    absl::LoadTimeZone(c.spec.time_zone, &zone);
    const absl::CivilDay first(absl::ToCivilSecond(c.begin, zone));
    const auto add_holidays = [&](absl::CivilDay from, int64_t days) {
      for (int64_t d = 0; d < days; ++d) {
        const LocalDate date = ToLocalDate(from + d);
        bool taken = false;
        for (const Holiday& h : c.spec.holidays) {
          taken = taken || (h.date.year == date.year && h.date.month == date.month &&
                            h.date.day == date.day);
        }
        if (!taken) c.spec.holidays.push_back({date, {}});
      }
    };
    add_holidays(first + 3653 + random.Uniform(-3, 21), random.Uniform(1, 5));
    if (random.Chance(50)) add_holidays(first + random.Uniform(0, 20), random.Uniform(30, 366));
    absl::StatusOr<Calendar> calendar = Calendar::Create(c.spec);
    ASSERT_TRUE(calendar.ok()) << calendar.status();

    const ReferenceTimeline timeline(ReferenceCalendar(c.spec), c.begin, absl::Seconds(kGrain),
                                     c.steps + horizon_steps + 1);
    int64_t least_steps = -1;
    int64_t least_at = 0;
    for (int64_t i = 0; i <= c.steps; ++i) {
      const int64_t open = timeline.Elapsed(i, i + horizon_steps);
      if (least_steps < 0 || open < least_steps) {
        least_steps = open;
        least_at = i;
      }
    }
    SCOPED_TRACE(absl::StrCat("seed=", seed, " case=", n, " from ", absl::FormatTime(c.begin), " ",
                              DescribeSpec(c.spec)));
    const absl::StatusOr<LeastOpenTime> least =
        LeastOpenTimeWithinHorizon(*calendar, c.begin, timeline.At(c.steps));
    ASSERT_TRUE(least.ok()) << least.status();
    EXPECT_EQ(least->open, absl::Seconds(least_steps * kGrain));
    EXPECT_EQ(least->start, timeline.At(least_at));
    if (::testing::Test::HasFailure()) return;
  }
}

}  // namespace
}  // namespace itsm::businesstime
