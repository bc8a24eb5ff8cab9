// Hand-written cases, one per edge named in docs/business-time.md. Expected instants are
// written in UTC, worked out by hand from the zone's published offsets, so that a test does
// not lean on the same conversions as the code it checks.

#include "itsm/businesstime/business_time.h"

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "itsm/businesstime/calendar.h"

namespace itsm::businesstime {
namespace {

using ::testing::HasSubstr;

absl::Time Utc(int y, int m, int d, int hh, int mm, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), absl::UTCTimeZone());
}

Calendar MustCreate(const CalendarSpec& spec) {
  absl::StatusOr<Calendar> calendar = Calendar::Create(spec);
  EXPECT_TRUE(calendar.ok()) << calendar.status();
  return *std::move(calendar);
}

// Monday to Friday, start-end.
CalendarSpec Weekdays(const char* zone, TimeOfDay start, TimeOfDay end) {
  CalendarSpec spec;
  spec.time_zone = zone;
  for (absl::Weekday day : {absl::Weekday::monday, absl::Weekday::tuesday, absl::Weekday::wednesday,
                            absl::Weekday::thursday, absl::Weekday::friday}) {
    spec.weekly.push_back({.day = day, .start = start, .end = end});
  }
  return spec;
}

CalendarSpec TwentyFourSeven(const char* zone) {
  CalendarSpec spec;
  spec.time_zone = zone;
  spec.always_open = true;
  return spec;
}

CalendarSpec OneInterval(const char* zone, absl::Weekday day, TimeOfDay start, TimeOfDay end) {
  CalendarSpec spec;
  spec.time_zone = zone;
  spec.weekly.push_back({.day = day, .start = start, .end = end});
  return spec;
}

absl::Time Due(const Calendar& calendar, absl::Time start, absl::Duration d) {
  absl::StatusOr<absl::Time> due = AddBusinessDuration(calendar, start, d);
  EXPECT_TRUE(due.ok()) << due.status();
  return due.value_or(absl::InfinitePast());
}

// --- The SLA example -------------------------------------------------------------------------

// 4 business hours from Friday 16:30 in Istanbul (UTC+3 all year), Monday a holiday:
// 1.5 h on Friday, nothing at the weekend or on Monday, 2.5 h from Tuesday 09:00.
TEST(AddBusinessDuration, IstanbulFridayAfternoonWithMondayHoliday) {
  CalendarSpec spec = Weekdays("Europe/Istanbul", {9, 0}, {18, 0});
  spec.holidays.push_back({.date = {2025, 3, 31}});
  const Calendar calendar = MustCreate(spec);
  const absl::Time friday_1630 = Utc(2025, 3, 28, 13, 30);
  const absl::Time due = Due(calendar, friday_1630, absl::Hours(4));
  EXPECT_EQ(due, Utc(2025, 4, 1, 8, 30));  // Tuesday 11:30 +03
  EXPECT_EQ(BusinessElapsed(calendar, friday_1630, due), absl::Hours(4));
}

// The same in London, where the clocks go forward on the Sunday in between (2025-03-30 01:00Z):
// still Tuesday 11:30 local, which is now 10:30Z; the weekend's lost hour costs nothing.
TEST(AddBusinessDuration, LondonFridayAfternoonWithMondayHolidayAndDstOnSunday) {
  CalendarSpec spec = Weekdays("Europe/London", {9, 0}, {18, 0});
  spec.holidays.push_back({.date = {2025, 3, 31}});
  const Calendar calendar = MustCreate(spec);
  EXPECT_EQ(Due(calendar, Utc(2025, 3, 28, 16, 30), absl::Hours(4)), Utc(2025, 4, 1, 10, 30));
}

// --- DST ---------------------------------------------------------------------------------------

// New York, 2025-03-09: 02:00 EST becomes 03:00 EDT at 07:00Z.
TEST(Dst, NewYorkSpringForwardSkippedHourCountsNothing) {
  const Calendar always = MustCreate(TwentyFourSeven("America/New_York"));
  EXPECT_EQ(Due(always, Utc(2025, 3, 9, 6, 30), absl::Hours(1)), Utc(2025, 3, 9, 7, 30));
  // Local midnight to local midnight is 23 real hours, all of them open.
  EXPECT_EQ(BusinessElapsed(always, Utc(2025, 3, 9, 5, 0), Utc(2025, 3, 10, 4, 0)),
            absl::Hours(23));

  // Sunday 01:00-04:00 local holds only 2 real hours that day: 01:00-02:00 EST, 03:00-04:00 EDT.
  const Calendar night =
      MustCreate(OneInterval("America/New_York", absl::Weekday::sunday, {1, 0}, {4, 0}));
  EXPECT_EQ(BusinessElapsed(night, Utc(2025, 3, 9, 0, 0), Utc(2025, 3, 10, 0, 0)), absl::Hours(2));
  EXPECT_EQ(Due(night, Utc(2025, 3, 8, 17, 0), absl::Minutes(90)), Utc(2025, 3, 9, 7, 30));
  EXPECT_TRUE(IsOpen(night, Utc(2025, 3, 9, 6, 59, 59)));
  EXPECT_TRUE(IsOpen(night, Utc(2025, 3, 9, 7, 0)));                            // 03:00 EDT
  EXPECT_EQ(*NextClose(night, Utc(2025, 3, 9, 6, 30)), Utc(2025, 3, 9, 8, 0));  // 04:00 EDT
}

TEST(Dst, NewYorkIntervalInsideTheSkippedHourNeverOpens) {
  const Calendar calendar =
      MustCreate(OneInterval("America/New_York", absl::Weekday::sunday, {2, 0}, {3, 0}));
  // Nothing on 2025-03-09; the next Sunday 02:00 EDT is 06:00Z.
  EXPECT_EQ(*NextOpen(calendar, Utc(2025, 3, 9, 5, 0)), Utc(2025, 3, 16, 6, 0));
  EXPECT_EQ(BusinessElapsed(calendar, Utc(2025, 3, 8, 0, 0), Utc(2025, 3, 10, 0, 0)),
            absl::ZeroDuration());
}

TEST(Dst, NewYorkSpringForwardJumpsIntoWorkingHours) {
  // 02:30-04:00: at 07:00Z the wall clock jumps from 02:00 to 03:00, straight into the interval.
  const Calendar calendar =
      MustCreate(OneInterval("America/New_York", absl::Weekday::sunday, {2, 30}, {4, 0}));
  EXPECT_FALSE(IsOpen(calendar, Utc(2025, 3, 9, 6, 59, 59)));
  EXPECT_EQ(*NextOpen(calendar, Utc(2025, 3, 9, 5, 0)), Utc(2025, 3, 9, 7, 0));
  EXPECT_EQ(BusinessElapsed(calendar, Utc(2025, 3, 9, 0, 0), Utc(2025, 3, 10, 0, 0)),
            absl::Hours(1));
}

TEST(Dst, NewYorkSpringForwardJumpsOutOfWorkingHours) {
  // 01:00-02:30: the jump from 02:00 to 03:00 closes it at 07:00Z, after one hour.
  const Calendar calendar =
      MustCreate(OneInterval("America/New_York", absl::Weekday::sunday, {1, 0}, {2, 30}));
  EXPECT_EQ(*NextClose(calendar, Utc(2025, 3, 9, 6, 30)), Utc(2025, 3, 9, 7, 0));
  EXPECT_EQ(BusinessElapsed(calendar, Utc(2025, 3, 9, 0, 0), Utc(2025, 3, 10, 0, 0)),
            absl::Hours(1));
}

// New York, 2025-11-02: 02:00 EDT becomes 01:00 EST at 06:00Z; 01:00-02:00 happens twice.
TEST(Dst, NewYorkFallBackRepeatedHourCountsTwice) {
  const Calendar always = MustCreate(TwentyFourSeven("America/New_York"));
  EXPECT_EQ(BusinessElapsed(always, Utc(2025, 11, 2, 4, 0), Utc(2025, 11, 3, 5, 0)),
            absl::Hours(25));

  const Calendar night =
      MustCreate(OneInterval("America/New_York", absl::Weekday::sunday, {1, 0}, {4, 0}));
  EXPECT_EQ(BusinessElapsed(night, Utc(2025, 11, 1, 0, 0), Utc(2025, 11, 3, 0, 0)), absl::Hours(4));

  const Calendar early =
      MustCreate(OneInterval("America/New_York", absl::Weekday::sunday, {0, 0}, {4, 0}));
  EXPECT_EQ(BusinessElapsed(early, Utc(2025, 11, 1, 0, 0), Utc(2025, 11, 3, 0, 0)), absl::Hours(5));

  // 01:00-02:00 is open from 05:00Z (01:00 EDT) to 07:00Z (02:00 EST) without a break.
  const Calendar repeated =
      MustCreate(OneInterval("America/New_York", absl::Weekday::sunday, {1, 0}, {2, 0}));
  EXPECT_EQ(BusinessElapsed(repeated, Utc(2025, 11, 1, 0, 0), Utc(2025, 11, 3, 0, 0)),
            absl::Hours(2));
  EXPECT_EQ(*NextClose(repeated, Utc(2025, 11, 2, 5, 30)), Utc(2025, 11, 2, 7, 0));
  EXPECT_TRUE(IsOpen(repeated, Utc(2025, 11, 2, 6, 0)));  // 01:00 EST, the second time
  EXPECT_EQ(Due(repeated, Utc(2025, 11, 1, 12, 0), absl::Minutes(90)), Utc(2025, 11, 2, 6, 30));
}

// London, 2025-03-30 01:00Z: 01:00 GMT becomes 02:00 BST. 2025-10-26 01:00Z: 02:00 BST becomes
// 01:00 GMT.
TEST(Dst, LondonSpringForwardAndFallBack) {
  const Calendar calendar =
      MustCreate(OneInterval("Europe/London", absl::Weekday::sunday, {0, 0}, {3, 0}));
  EXPECT_EQ(BusinessElapsed(calendar, Utc(2025, 3, 29, 0, 0), Utc(2025, 3, 31, 0, 0)),
            absl::Hours(2));
  EXPECT_EQ(BusinessElapsed(calendar, Utc(2025, 10, 25, 0, 0), Utc(2025, 10, 27, 0, 0)),
            absl::Hours(4));
  EXPECT_EQ(Due(calendar, Utc(2025, 3, 29, 12, 0), absl::Minutes(90)), Utc(2025, 3, 30, 1, 30));
  EXPECT_EQ(Due(calendar, Utc(2025, 10, 25, 12, 0), absl::Hours(3) + absl::Minutes(30)),
            Utc(2025, 10, 26, 2, 30));

  const Calendar always = MustCreate(TwentyFourSeven("Europe/London"));
  EXPECT_EQ(Due(always, Utc(2025, 3, 30, 0, 30), absl::Hours(1)), Utc(2025, 3, 30, 1, 30));
}

// Lord Howe moves its clocks by 30 minutes: 2025-04-06 02:00 (+11) becomes 01:30 (+10:30);
// 2025-10-05 02:00 (+10:30) becomes 02:30 (+11).
TEST(Dst, LordHoweHalfHourShift) {
  const Calendar calendar =
      MustCreate(OneInterval("Australia/Lord_Howe", absl::Weekday::sunday, {1, 0}, {3, 0}));
  // 01:00-02:00, again 01:30-02:00, then 02:00-03:00.
  EXPECT_EQ(BusinessElapsed(calendar, Utc(2025, 4, 5, 0, 0), Utc(2025, 4, 6, 12, 0)),
            absl::Minutes(150));
  // 01:00-02:00, then 02:30-03:00.
  EXPECT_EQ(BusinessElapsed(calendar, Utc(2025, 10, 4, 0, 0), Utc(2025, 10, 5, 12, 0)),
            absl::Minutes(90));
}

// --- Calendar shapes ---------------------------------------------------------------------------

TEST(AddBusinessDuration, AcrossYearEnd) {
  CalendarSpec spec = Weekdays("Europe/Istanbul", {9, 0}, {18, 0});
  spec.holidays.push_back({.date = {2025, 1, 1}});
  const Calendar calendar = MustCreate(spec);
  // Tuesday 2024-12-31 16:00 +03: 2 h that day, New Year's Day closed, 2 h on 2 January.
  EXPECT_EQ(Due(calendar, Utc(2024, 12, 31, 13, 0), absl::Hours(4)), Utc(2025, 1, 2, 8, 0));
  const Calendar always = MustCreate(TwentyFourSeven("UTC"));
  EXPECT_EQ(BusinessElapsed(always, Utc(2024, 12, 31, 23, 0), Utc(2025, 1, 1, 1, 0)),
            absl::Hours(2));
}

TEST(AddBusinessDuration, ZeroDurationReturnsStartEvenWhenClosed) {
  const Calendar calendar = MustCreate(Weekdays("Europe/Istanbul", {9, 0}, {18, 0}));
  const absl::Time saturday = Utc(2025, 3, 29, 10, 0);
  EXPECT_FALSE(IsOpen(calendar, saturday));
  EXPECT_EQ(Due(calendar, saturday, absl::ZeroDuration()), saturday);
  const absl::Time monday = Utc(2025, 3, 31, 10, 0);
  EXPECT_EQ(Due(calendar, monday, absl::ZeroDuration()), monday);

  CalendarSpec never;
  never.time_zone = "UTC";
  EXPECT_EQ(Due(MustCreate(never), saturday, absl::ZeroDuration()), saturday);
}

TEST(AddBusinessDuration, RejectsNegativeAndInfiniteDurations) {
  const Calendar calendar = MustCreate(TwentyFourSeven("UTC"));
  const absl::Time t = Utc(2025, 1, 1, 0, 0);
  EXPECT_EQ(AddBusinessDuration(calendar, t, -absl::Seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AddBusinessDuration(calendar, t, absl::InfiniteDuration()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AddBusinessDuration, StartInClosedHoursWaitsForOpening) {
  const Calendar calendar = MustCreate(Weekdays("Europe/Istanbul", {9, 0}, {18, 0}));
  // Saturday 10:00 +03 -> Monday 09:00 + 1 h.
  EXPECT_EQ(Due(calendar, Utc(2025, 3, 29, 7, 0), absl::Hours(1)), Utc(2025, 3, 31, 7, 0));
  // Monday 07:00 +03 -> 09:00 + 1 h.
  EXPECT_EQ(Due(calendar, Utc(2025, 3, 31, 4, 0), absl::Hours(1)), Utc(2025, 3, 31, 7, 0));
}

TEST(AddBusinessDuration, EndsAtClosingInstantNotNextOpening) {
  const Calendar calendar = MustCreate(Weekdays("UTC", {9, 0}, {18, 0}));
  const absl::Time due = Due(calendar, Utc(2025, 3, 31, 9, 0), absl::Hours(9));
  EXPECT_EQ(due, Utc(2025, 3, 31, 18, 0));
  EXPECT_FALSE(IsOpen(calendar, due));  // intervals are half-open
  EXPECT_TRUE(IsOpen(calendar, due - absl::Seconds(1)));
  EXPECT_TRUE(IsOpen(calendar, Utc(2025, 3, 31, 9, 0)));
}

TEST(AddBusinessDuration, ThirtyDaysOfOfficeHours) {
  CalendarSpec spec = Weekdays("America/New_York", {9, 0}, {17, 0});
  spec.holidays.push_back({.date = {2025, 5, 26}});
  spec.holidays.push_back({.date = {2025, 7, 4}});
  const Calendar calendar = MustCreate(spec);
  const absl::Time start = Utc(2025, 3, 3, 14, 0);  // Monday 09:00 EST
  // 720 h at 40 h a week is 18 weeks (to Friday 4 July), plus the two holidays: 16 h more,
  // so Tuesday 2025-07-08 17:00 EDT.
  const absl::Time due = Due(calendar, start, absl::Hours(24 * 30));
  EXPECT_EQ(due, Utc(2025, 7, 8, 21, 0));
  EXPECT_EQ(BusinessElapsed(calendar, start, due), absl::Hours(24 * 30));
}

TEST(TwentyFourSeven, AddsRealTimeAndNeverCloses) {
  const Calendar calendar = MustCreate(TwentyFourSeven("UTC"));
  const absl::Time t = Utc(2025, 2, 3, 4, 5, 6) + absl::Milliseconds(7);
  EXPECT_EQ(Due(calendar, t, absl::Hours(24 * 30)), t + absl::Hours(24 * 30));
  EXPECT_EQ(*NextOpen(calendar, t), t);
  const absl::StatusOr<absl::Time> close = NextClose(calendar, t);
  EXPECT_EQ(close.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(close.status().message()), HasSubstr("never closed"));
}

TEST(TwentyFourSeven, HolidayStillCloses) {
  CalendarSpec spec = TwentyFourSeven("Asia/Kolkata");
  spec.holidays.push_back({.date = {2025, 8, 15}});
  const Calendar calendar = MustCreate(spec);
  // 2025-08-15 00:00 +05:30 is 08-14 18:30Z.
  EXPECT_EQ(*NextClose(calendar, Utc(2025, 8, 14, 0, 0)), Utc(2025, 8, 14, 18, 30));
  EXPECT_EQ(Due(calendar, Utc(2025, 8, 14, 17, 30), absl::Hours(2)), Utc(2025, 8, 15, 19, 30));
}

TEST(Overnight, RunsPastMidnight) {
  const Calendar calendar = MustCreate(OneInterval("UTC", absl::Weekday::monday, {22, 0}, {6, 0}));
  // 2025-03-03 is a Monday.
  EXPECT_EQ(Due(calendar, Utc(2025, 3, 3, 23, 0), absl::Hours(2)), Utc(2025, 3, 4, 1, 0));
  EXPECT_EQ(*NextClose(calendar, Utc(2025, 3, 3, 23, 0)), Utc(2025, 3, 4, 6, 0));
  EXPECT_TRUE(IsOpen(calendar, Utc(2025, 3, 4, 5, 59, 59)));
  EXPECT_FALSE(IsOpen(calendar, Utc(2025, 3, 4, 6, 0)));
  EXPECT_EQ(BusinessElapsed(calendar, Utc(2025, 3, 3, 0, 0), Utc(2025, 3, 10, 0, 0)),
            absl::Hours(8));
}

TEST(Overnight, PartAfterMidnightBelongsToTheNextDate) {
  CalendarSpec tuesday_off = OneInterval("UTC", absl::Weekday::monday, {22, 0}, {6, 0});
  tuesday_off.holidays.push_back({.date = {2025, 3, 4}});
  const Calendar a = MustCreate(tuesday_off);
  EXPECT_EQ(*NextClose(a, Utc(2025, 3, 3, 23, 0)), Utc(2025, 3, 4, 0, 0));
  EXPECT_EQ(Due(a, Utc(2025, 3, 3, 23, 0), absl::Hours(2)), Utc(2025, 3, 10, 23, 0));

  CalendarSpec monday_off = OneInterval("UTC", absl::Weekday::monday, {22, 0}, {6, 0});
  monday_off.holidays.push_back({.date = {2025, 3, 3}});
  const Calendar b = MustCreate(monday_off);
  EXPECT_FALSE(IsOpen(b, Utc(2025, 3, 3, 23, 0)));
  EXPECT_TRUE(IsOpen(b, Utc(2025, 3, 4, 3, 0)));
  EXPECT_EQ(*NextOpen(b, Utc(2025, 3, 3, 20, 0)), Utc(2025, 3, 4, 0, 0));
}

TEST(Overnight, SundayNightRunsIntoMonday) {
  const Calendar calendar = MustCreate(OneInterval("UTC", absl::Weekday::sunday, {22, 0}, {6, 0}));
  EXPECT_TRUE(IsOpen(calendar, Utc(2025, 3, 3, 5, 0)));  // Monday 05:00
  EXPECT_EQ(*NextClose(calendar, Utc(2025, 3, 2, 22, 0)), Utc(2025, 3, 3, 6, 0));
}

TEST(Holidays, PartialDayHoliday) {
  CalendarSpec spec = Weekdays("Europe/Istanbul", {9, 0}, {18, 0});
  spec.holidays.push_back({.date = {2025, 12, 31}, .closed = {{{13, 0}, {24, 0}}}});
  const Calendar calendar = MustCreate(spec);
  // Wednesday 10:00 +03: 3 h until 13:00, then Thursday 09:00 + 1 h.
  EXPECT_EQ(Due(calendar, Utc(2025, 12, 31, 7, 0), absl::Hours(4)), Utc(2026, 1, 1, 7, 0));
  EXPECT_EQ(*NextClose(calendar, Utc(2025, 12, 31, 7, 0)), Utc(2025, 12, 31, 10, 0));
}

TEST(Holidays, ExtraWorkingDayOnAWeekend) {
  CalendarSpec spec = Weekdays("Europe/Istanbul", {9, 0}, {18, 0});
  spec.extra_working.push_back({.date = {2025, 4, 5}, .open = {{{10, 0}, {14, 0}}}});
  const Calendar calendar = MustCreate(spec);
  // Friday 17:00 +03: 1 h, then Saturday 10:00 + 2 h.
  EXPECT_EQ(Due(calendar, Utc(2025, 4, 4, 14, 0), absl::Hours(3)), Utc(2025, 4, 5, 9, 0));
  EXPECT_FALSE(IsOpen(calendar, Utc(2025, 4, 12, 9, 0)));  // the next Saturday is not
}

TEST(Holidays, ExtraIntervalOnAHolidayWins) {
  CalendarSpec spec = Weekdays("UTC", {9, 0}, {18, 0});
  spec.holidays.push_back({.date = {2025, 4, 2}});
  spec.extra_working.push_back({.date = {2025, 4, 2}, .open = {{{10, 0}, {12, 0}}}});
  const Calendar calendar = MustCreate(spec);
  EXPECT_FALSE(IsOpen(calendar, Utc(2025, 4, 2, 9, 30)));
  EXPECT_TRUE(IsOpen(calendar, Utc(2025, 4, 2, 11, 0)));
  EXPECT_EQ(BusinessElapsed(calendar, Utc(2025, 4, 2, 0, 0), Utc(2025, 4, 3, 0, 0)),
            absl::Hours(2));
}

TEST(Holidays, ExtraIntervalExtendsAWorkingDay) {
  CalendarSpec spec = Weekdays("UTC", {9, 0}, {17, 0});
  spec.extra_working.push_back({.date = {2025, 4, 2}, .open = {{{16, 0}, {20, 0}}}});
  const Calendar calendar = MustCreate(spec);
  EXPECT_EQ(BusinessElapsed(calendar, Utc(2025, 4, 2, 0, 0), Utc(2025, 4, 3, 0, 0)),
            absl::Hours(11));
}

// --- No or finite open time --------------------------------------------------------------------

TEST(NoOpenTime, FailsAtOnceWithAReason) {
  CalendarSpec spec;
  spec.time_zone = "UTC";
  const Calendar calendar = MustCreate(spec);
  const absl::Time t = Utc(2025, 1, 1, 0, 0);
  const absl::StatusOr<absl::Time> due = AddBusinessDuration(calendar, t, absl::Hours(1));
  EXPECT_EQ(due.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(due.status().message()), HasSubstr("no working time"));
  EXPECT_EQ(NextOpen(calendar, t).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(*NextClose(calendar, t), t);
  EXPECT_FALSE(IsOpen(calendar, t));
  EXPECT_EQ(BusinessElapsed(calendar, t, t + absl::Hours(24 * 365)), absl::ZeroDuration());
}

TEST(NoOpenTime, HolidaysEveryDayBeyondTheHorizonFailFast) {
  CalendarSpec spec = Weekdays("Europe/Istanbul", {9, 0}, {18, 0});
  for (absl::CivilDay day(2025, 1, 1); day < absl::CivilDay(2036, 6, 1); ++day) {
    spec.holidays.push_back({.date = {static_cast<int>(day.year()), day.month(), day.day()}});
  }
  const Calendar calendar = MustCreate(spec);
  const auto begin = std::chrono::steady_clock::now();
  const absl::StatusOr<absl::Time> open = NextOpen(calendar, Utc(2025, 1, 1, 0, 0));
  const absl::StatusOr<absl::Time> due =
      AddBusinessDuration(calendar, Utc(2025, 1, 1, 0, 0), absl::Minutes(1));
  const auto spent = std::chrono::steady_clock::now() - begin;
  EXPECT_EQ(open.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(open.status().message()), HasSubstr("within 3653 days"));
  EXPECT_EQ(due.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_LT(spent, std::chrono::milliseconds(50));
  // The first working day after the holidays is Monday 2036-06-02.
  EXPECT_EQ(*NextOpen(calendar, Utc(2030, 1, 1, 0, 0)), Utc(2036, 6, 2, 6, 0));
}

TEST(NoOpenTime, FiniteOpenTimeRunsOut) {
  CalendarSpec spec;
  spec.time_zone = "UTC";
  spec.extra_working.push_back({.date = {2025, 6, 2}, .open = {{{9, 0}, {17, 0}}}});
  const Calendar calendar = MustCreate(spec);
  const absl::Time t = Utc(2025, 6, 1, 0, 0);
  EXPECT_EQ(Due(calendar, t, absl::Hours(8)), Utc(2025, 6, 2, 17, 0));
  const absl::StatusOr<absl::Time> late =
      AddBusinessDuration(calendar, t, absl::Hours(8) + absl::Seconds(1));
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(late.status().message()), HasSubstr("less than 8h1s of working time"));
  EXPECT_EQ(NextOpen(calendar, Utc(2025, 6, 2, 17, 0)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(NoOpenTime, SearchHorizonIsTenYears) {
  CalendarSpec spec;
  spec.time_zone = "UTC";
  spec.extra_working.push_back({.date = {2034, 6, 2}, .open = {{{9, 0}, {17, 0}}}});
  spec.extra_working.push_back({.date = {2046, 6, 2}, .open = {{{9, 0}, {17, 0}}}});
  const Calendar calendar = MustCreate(spec);
  EXPECT_EQ(*NextOpen(calendar, Utc(2025, 6, 1, 0, 0)), Utc(2034, 6, 2, 9, 0));
  EXPECT_EQ(NextOpen(calendar, Utc(2035, 6, 1, 0, 0)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// --- Second precision and sub-second instants -------------------------------------------------

// Open until the end of 2029, then ten years of holidays: a target that falls due from today
// does not from the last closing before them, and that is the start the search names.
TEST(LeastOpenTime, FindsTheStartYearsAheadWhereOpenTimeRunsOut) {
  CalendarSpec spec = Weekdays("UTC", {9, 0}, {17, 0});
  for (absl::CivilDay d(2030, 1, 1); d < absl::CivilDay(2040, 3, 1); ++d) {
    spec.holidays.push_back({.date = {static_cast<int>(d.year()), d.month(), d.day()}});
  }
  const Calendar calendar = MustCreate(spec);
  const absl::StatusOr<LeastOpenTime> least =
      LeastOpenTimeWithinHorizon(calendar, Utc(2026, 12, 7, 12, 0), absl::InfiniteFuture());
  ASSERT_TRUE(least.ok()) << least.status();
  EXPECT_EQ(least->start, Utc(2029, 12, 31, 17, 0));  // a Monday's closing
  EXPECT_EQ(least->open, absl::ZeroDuration());

  // Until the day before, the least is the open time after the run within ten years.
  const absl::StatusOr<LeastOpenTime> earlier =
      LeastOpenTimeWithinHorizon(calendar, Utc(2026, 12, 7, 12, 0), Utc(2026, 12, 31, 0, 0));
  ASSERT_TRUE(earlier.ok()) << earlier.status();
  EXPECT_GT(earlier->open, absl::Hours(8 * 5));
  EXPECT_EQ(earlier->open,
            BusinessElapsed(calendar, earlier->start, earlier->start + kSearchHorizon));
}

// Open around the clock for more than the horizon before the holidays: the search for the
// closing runs past ten years (found when an SLA check passed a calendar it had to refuse).
TEST(LeastOpenTime, FindsAClosingMoreThanTheHorizonAway) {
  CalendarSpec spec = TwentyFourSeven("UTC");
  for (absl::CivilDay d(2027, 1, 1); d < absl::CivilDay(2037, 2, 1); ++d) {
    spec.holidays.push_back({.date = {static_cast<int>(d.year()), d.month(), d.day()}});
  }
  const Calendar calendar = MustCreate(spec);
  const absl::StatusOr<LeastOpenTime> least = LeastOpenTimeWithinHorizon(
      calendar, Utc(2026, 12, 7, 12, 0) - kSearchHorizon, absl::InfiniteFuture());
  ASSERT_TRUE(least.ok()) << least.status();
  EXPECT_EQ(least->start, Utc(2027, 1, 1, 0, 0));
  EXPECT_EQ(least->open, absl::ZeroDuration());
  // Closed for the whole horizon before it reopens: the opening less the horizon is found.
  const absl::StatusOr<LeastOpenTime> before =
      LeastOpenTimeWithinHorizon(calendar, Utc(2016, 1, 1, 0, 0), Utc(2026, 12, 31, 0, 0));
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->open, BusinessElapsed(calendar, before->start, before->start + kSearchHorizon));
  EXPECT_EQ(before->start, Utc(2026, 12, 31, 0, 0));
}

TEST(LeastOpenTime, WeeklyHoursAloneRepeatEveryWeek) {
  const Calendar calendar = MustCreate(Weekdays("Europe/London", {9, 0}, {17, 0}));
  const absl::Time from = Utc(2026, 12, 7, 12, 0);
  const absl::StatusOr<LeastOpenTime> week =
      LeastOpenTimeWithinHorizon(calendar, from, from + absl::Hours(24 * 7));
  const absl::StatusOr<LeastOpenTime> ever =
      LeastOpenTimeWithinHorizon(calendar, from, absl::InfiniteFuture());
  ASSERT_TRUE(week.ok() && ever.ok());
  // Ten years of weekdays, less a day or so at the ends.
  EXPECT_GT(week->open, absl::Hours(8 * 2600));
  EXPECT_LE(ever->open, week->open);
  EXPECT_EQ(week->repeated, absl::Hours(10));  // one autumn hour a year, 13:00-14:00 never
  for (absl::Time t = from; t < from + absl::Hours(24 * 7); t += absl::Hours(1)) {
    EXPECT_LE(ever->open, BusinessElapsed(calendar, t, t + kSearchHorizon)) << t;
  }
}

TEST(LeastOpenTime, RejectsARangeItCannotCount) {
  const Calendar calendar = MustCreate(TwentyFourSeven("UTC"));
  EXPECT_EQ(LeastOpenTimeWithinHorizon(calendar, Utc(2395, 1, 1, 0, 0), absl::InfiniteFuture())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LeastOpenTimeWithinHorizon(calendar, Utc(2026, 1, 2, 0, 0), Utc(2026, 1, 1, 0, 0))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LongestOpenDate(calendar), absl::Hours(24));
}

TEST(Precision, SecondBoundariesAndSubSecondInstants) {
  CalendarSpec spec;
  spec.time_zone = "UTC";
  spec.always_open = false;
  for (int d = 0; d < 7; ++d) {
    spec.weekly.push_back(
        {.day = static_cast<absl::Weekday>(d), .start = {9, 0, 30}, .end = {9, 1, 15}});
  }
  const Calendar calendar = MustCreate(spec);
  // 45 s a day: 50 s from 09:00:00 is 45 s today and 5 s tomorrow.
  EXPECT_EQ(Due(calendar, Utc(2025, 3, 3, 9, 0), absl::Seconds(50)), Utc(2025, 3, 4, 9, 0, 35));
  const absl::Time quarter_past = Utc(2025, 3, 3, 9, 0, 30) + absl::Milliseconds(250);
  EXPECT_EQ(Due(calendar, quarter_past, absl::Milliseconds(1500)),
            Utc(2025, 3, 3, 9, 0, 31) + absl::Milliseconds(750));
  EXPECT_EQ(*NextOpen(calendar, Utc(2025, 3, 3, 9, 0, 29) + absl::Milliseconds(500)),
            Utc(2025, 3, 3, 9, 0, 30));
  EXPECT_EQ(*NextClose(calendar, Utc(2025, 3, 3, 9, 1, 14) + absl::Milliseconds(999)),
            Utc(2025, 3, 3, 9, 1, 15));
  EXPECT_EQ(BusinessElapsed(calendar, Utc(2025, 3, 3, 9, 0),
                            Utc(2025, 3, 3, 9, 0, 31) + absl::Milliseconds(500)),
            absl::Milliseconds(1500));
  // A fraction at the very end of the day's hours.
  EXPECT_EQ(
      Due(calendar, Utc(2025, 3, 3, 9, 1, 14) + absl::Milliseconds(500), absl::Milliseconds(700)),
      Utc(2025, 3, 4, 9, 0, 30) + absl::Milliseconds(200));
}

TEST(Precision, OneSecondIntervalsAndGaps) {
  CalendarSpec spec;
  spec.time_zone = "UTC";
  spec.weekly.push_back({.day = absl::Weekday::monday, .start = {9, 0, 0}, .end = {9, 0, 10}});
  spec.weekly.push_back({.day = absl::Weekday::monday, .start = {9, 0, 11}, .end = {9, 0, 12}});
  spec.weekly.push_back({.day = absl::Weekday::monday, .start = {9, 0, 13}, .end = {9, 0, 20}});
  const Calendar calendar = MustCreate(spec);
  EXPECT_EQ(*NextClose(calendar, Utc(2025, 3, 3, 9, 0, 5)), Utc(2025, 3, 3, 9, 0, 10));
  EXPECT_EQ(*NextClose(calendar, Utc(2025, 3, 3, 9, 0, 11)), Utc(2025, 3, 3, 9, 0, 12));
  EXPECT_EQ(*NextOpen(calendar, Utc(2025, 3, 3, 9, 0, 10)), Utc(2025, 3, 3, 9, 0, 11));
  EXPECT_EQ(*NextOpen(calendar, Utc(2025, 3, 3, 9, 0, 12)), Utc(2025, 3, 3, 9, 0, 13));
  EXPECT_EQ(Due(calendar, Utc(2025, 3, 3, 9, 0, 0), absl::Seconds(11)), Utc(2025, 3, 3, 9, 0, 12));
  EXPECT_EQ(Due(calendar, Utc(2025, 3, 3, 9, 0, 0), absl::Seconds(12)), Utc(2025, 3, 3, 9, 0, 14));
  EXPECT_EQ(BusinessElapsed(calendar, Utc(2025, 3, 3, 0, 0), Utc(2025, 3, 4, 0, 0)),
            absl::Seconds(18));
}

// --- Elapsed and ranges ------------------------------------------------------------------------

TEST(BusinessElapsed, ZeroWhenReversedOrEmpty) {
  const Calendar calendar = MustCreate(TwentyFourSeven("UTC"));
  const absl::Time t = Utc(2025, 1, 1, 0, 0);
  EXPECT_EQ(BusinessElapsed(calendar, t, t), absl::ZeroDuration());
  EXPECT_EQ(BusinessElapsed(calendar, t + absl::Hours(1), t), absl::ZeroDuration());
}

TEST(Range, OutsideTheSupportedRange) {
  EXPECT_EQ(kEarliestSupported, Utc(1900, 1, 1, 0, 0));
  EXPECT_EQ(kLatestSupported, Utc(2400, 1, 1, 0, 0));
  const Calendar calendar = MustCreate(TwentyFourSeven("Europe/London"));
  EXPECT_EQ(AddBusinessDuration(calendar, Utc(2500, 1, 1, 0, 0), absl::Hours(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NextOpen(calendar, absl::InfinitePast()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NextClose(calendar, absl::InfiniteFuture()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(IsOpen(calendar, absl::InfiniteFuture()));
  // Clamped to the range, and every DST change in five centuries visited quickly.
  EXPECT_EQ(BusinessElapsed(calendar, absl::InfinitePast(), absl::InfiniteFuture()),
            kLatestSupported - kEarliestSupported);
}

TEST(NextOpenClose, ReturnTheInstantItselfWhenAlreadyThere) {
  const Calendar calendar = MustCreate(Weekdays("UTC", {9, 0}, {17, 0}));
  const absl::Time open = Utc(2025, 3, 3, 10, 0) + absl::Nanoseconds(1);
  const absl::Time closed = Utc(2025, 3, 3, 18, 0) + absl::Nanoseconds(1);
  EXPECT_EQ(*NextOpen(calendar, open), open);
  EXPECT_EQ(*NextClose(calendar, closed), closed);
  EXPECT_EQ(*NextClose(calendar, open), Utc(2025, 3, 3, 17, 0));
  EXPECT_EQ(*NextOpen(calendar, closed), Utc(2025, 3, 4, 9, 0));
  EXPECT_EQ(*NextOpen(calendar, Utc(2025, 3, 7, 17, 0)), Utc(2025, 3, 10, 9, 0));  // Fri -> Mon
}

}  // namespace
}  // namespace itsm::businesstime
