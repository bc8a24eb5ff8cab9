// Micro benchmarks of libs/businesstime. The figures to watch: AddBusinessDuration must not
// grow with the duration (30 days of business time costs about what 4 hours does), because it
// counts open time per stretch of constant UTC offset instead of walking days.
//
//   ./bench/businesstime_bench --benchmark_min_time=0.2

#include <cstdint>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "itsm/businesstime/business_time.h"
#include "itsm/businesstime/calendar.h"

namespace itsm::businesstime {
namespace {

// Office hours with a lunch break, a night shift on Fridays and a year of holidays: a
// realistic, not a toy, calendar in a zone with DST.
CalendarSpec OfficeSpec(const char* zone) {
  CalendarSpec spec;
  spec.time_zone = zone;
  for (absl::Weekday day : {absl::Weekday::monday, absl::Weekday::tuesday, absl::Weekday::wednesday,
                            absl::Weekday::thursday}) {
    spec.weekly.push_back({.day = day, .start = {9, 0}, .end = {12, 30}});
    spec.weekly.push_back({.day = day, .start = {13, 30}, .end = {18, 0}});
  }
  spec.weekly.push_back({.day = absl::Weekday::friday, .start = {9, 0}, .end = {12, 30}});
  spec.weekly.push_back({.day = absl::Weekday::friday, .start = {22, 0}, .end = {6, 0}});
  for (int year = 2025; year <= 2026; ++year) {
    for (int month = 1; month <= 12; ++month) spec.holidays.push_back({.date = {year, month, 13}});
  }
  spec.extra_working.push_back({.date = {2025, 4, 5}, .open = {{{10, 0}, {14, 0}}}});
  return spec;
}

const Calendar& Office() {
  static const Calendar* const calendar =
      new Calendar(*Calendar::Create(OfficeSpec("America/New_York")));
  return *calendar;
}

// Start instants spread over a year, so that caches and branch predictors see variety.
std::vector<absl::Time> Starts() {
  std::vector<absl::Time> starts;
  const absl::Time first =
      absl::FromCivil(absl::CivilSecond(2025, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  for (int i = 0; i < 1024; ++i) starts.push_back(first + absl::Minutes(i * 517));
  return starts;
}

void BM_AddBusinessDuration(benchmark::State& state) {
  const Calendar& calendar = Office();
  const std::vector<absl::Time> starts = Starts();
  const absl::Duration d = absl::Minutes(state.range(0));
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(AddBusinessDuration(calendar, starts[i++ & 1023], d));
  }
}
BENCHMARK(BM_AddBusinessDuration)
    ->Arg(240)            // 4 business hours
    ->Arg(8 * 60)         // a working day
    ->Arg(30 * 24 * 60);  // 30 days of business time: about five months of calendar

void BM_BusinessElapsed(benchmark::State& state) {
  const Calendar& calendar = Office();
  const std::vector<absl::Time> starts = Starts();
  const absl::Duration span = absl::Hours(state.range(0));
  size_t i = 0;
  for (auto _ : state) {
    const absl::Time from = starts[i++ & 1023];
    benchmark::DoNotOptimize(BusinessElapsed(calendar, from, from + span));
  }
}
BENCHMARK(BM_BusinessElapsed)->Arg(24)->Arg(24 * 365);

void BM_IsOpen(benchmark::State& state) {
  const Calendar& calendar = Office();
  const std::vector<absl::Time> starts = Starts();
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(IsOpen(calendar, starts[i++ & 1023]));
}
BENCHMARK(BM_IsOpen);

void BM_NextOpen(benchmark::State& state) {
  const Calendar& calendar = Office();
  const std::vector<absl::Time> starts = Starts();
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(NextOpen(calendar, starts[i++ & 1023]));
}
BENCHMARK(BM_NextOpen);

void BM_NextClose(benchmark::State& state) {
  const Calendar& calendar = Office();
  const std::vector<absl::Time> starts = Starts();
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(NextClose(calendar, starts[i++ & 1023]));
}
BENCHMARK(BM_NextClose);

// The save-time check of an SLA target (sla.md 2): the least open time ten years ahead of any
// start, open-ended. Arg 0: the office calendar (24 holidays); 1: the most holidays a calendar
// may list (3,700), one a fortnight, each scanned on its own; 2: 3,700 holidays in one run.
void BM_LeastOpenTimeWithinHorizon(benchmark::State& state) {
  CalendarSpec spec = OfficeSpec("America/New_York");
  if (state.range(0) > 0) {
    spec.holidays.clear();
    const int step = state.range(0) == 1 ? 17 : 1;
    for (int i = 0; i < 3700; ++i) {
      const absl::CivilDay day = absl::CivilDay(2027, 1, 1) + i * step;
      spec.holidays.push_back({.date = {static_cast<int>(day.year()), day.month(), day.day()}});
    }
  }
  const Calendar calendar = *Calendar::Create(spec);
  const absl::Time now =
      absl::FromCivil(absl::CivilSecond(2026, 12, 7, 12, 0, 0), absl::UTCTimeZone());
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        LeastOpenTimeWithinHorizon(calendar, now - kSearchHorizon, absl::InfiniteFuture()));
  }
}
BENCHMARK(BM_LeastOpenTimeWithinHorizon)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void BM_CalendarCreate(benchmark::State& state) {
  const CalendarSpec spec = OfficeSpec("Europe/Istanbul");
  for (auto _ : state) benchmark::DoNotOptimize(Calendar::Create(spec));
}
BENCHMARK(BM_CalendarCreate);

}  // namespace
}  // namespace itsm::businesstime
