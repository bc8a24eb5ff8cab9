// Business-day targets (docs/sla.md 2.1) against hand-computed instants: holidays, half days, a
// closed morning, an extra working Saturday, starts before and after opening, Friday to Monday,
// and DST changes (a skipped and a repeated hour).
#include "itsm/slamodel/business_days.h"

#include "gtest/gtest.h"
#include "itsm/businesstime/calendar.h"
#include "itsm/slamodel/clock.h"

namespace itsm::slamodel {
namespace {

using businesstime::Calendar;
using businesstime::CalendarSpec;

constexpr absl::Weekday kWeekdays[] = {absl::Weekday::monday, absl::Weekday::tuesday,
                                       absl::Weekday::wednesday, absl::Weekday::thursday,
                                       absl::Weekday::friday};

// Europe/Istanbul (UTC+3, no DST), Monday-Friday 09:00-18:00. November 2026: Monday 23 a
// holiday, Wednesday 25 a half day (closed from 13:00), Thursday 26 closed until 13:00.
CalendarSpec OfficeSpec() {
  CalendarSpec spec;
  spec.time_zone = "Europe/Istanbul";
  for (auto d : kWeekdays) spec.weekly.push_back({.day = d, .start = {9, 0}, .end = {18, 0}});
  spec.holidays.push_back({.date = {2026, 11, 23}});
  spec.holidays.push_back({.date = {2026, 11, 25}, .closed = {{.start = {13, 0}, .end = {24, 0}}}});
  spec.holidays.push_back({.date = {2026, 11, 26}, .closed = {{.start = {9, 0}, .end = {13, 0}}}});
  return spec;
}

Calendar Office() { return *Calendar::Create(OfficeSpec()); }

absl::Time Istanbul(int day, int hh, int mm = 0) {
  return absl::FromCivil(absl::CivilMinute(2026, 11, day, hh, mm), absl::FixedTimeZone(3 * 3600));
}

absl::Time Utc(int month, int day, int hh, int mm = 0) {
  return absl::FromCivil(absl::CivilMinute(2026, month, day, hh, mm), absl::UTCTimeZone());
}

BusinessDaysDue Days(const Calendar& cal, absl::Time start, int days, BusinessDayRule rule) {
  absl::StatusOr<BusinessDaysDue> due = BusinessDaysTarget(cal, start, days, rule);
  EXPECT_TRUE(due.ok()) << due.status();
  if (!due.ok()) return {};
  // The clock that runs on the converted target falls due at the same instant.
  auto clock_due = Clock::Start(start, due->target).DueTime(cal, start);
  EXPECT_TRUE(clock_due.ok() && *clock_due == due->due);
  return *due;
}

constexpr BusinessDayRule kEnd = BusinessDayRule::kEndOfDay;
constexpr BusinessDayRule kSame = BusinessDayRule::kSameTimeOfDay;

TEST(BusinessDays, EndOfDaySkipsAHoliday) {
  // Friday 16:30 is day 0; Monday is a holiday, so day 1 is Tuesday: due at its end.
  BusinessDaysDue d = Days(Office(), Istanbul(20, 16, 30), 1, kEnd);
  EXPECT_EQ(d.due, Istanbul(24, 18));
  EXPECT_EQ(d.target, absl::Hours(1) + absl::Minutes(30) + absl::Hours(9));
}

TEST(BusinessDays, AStartAfterClosingCountsFromTheNextOpening) {
  // Friday 20:00 moves to Tuesday 09:00 (day 0); day 1 is the half day Wednesday: due 13:00.
  BusinessDaysDue d = Days(Office(), Istanbul(20, 20), 1, kEnd);
  EXPECT_EQ(d.due, Istanbul(25, 13));
  EXPECT_EQ(d.target, absl::Hours(9 + 4));
}

TEST(BusinessDays, AStartBeforeOpeningIsDayZero) {
  // Monday 08:00 moves to Monday 09:00, still day 0: two business days end Wednesday 18:00.
  BusinessDaysDue d = Days(Office(), Istanbul(16, 8), 2, kEnd);
  EXPECT_EQ(d.due, Istanbul(18, 18));
  EXPECT_EQ(d.target, absl::Hours(27));
}

TEST(BusinessDays, SameTimeOfDayAfterAHoliday) {
  BusinessDaysDue d = Days(Office(), Istanbul(20, 16, 30), 1, kSame);
  EXPECT_EQ(d.due, Istanbul(24, 16, 30));
  EXPECT_EQ(d.target, absl::Hours(9));  // 1 h 30 on Friday, 7 h 30 on Tuesday
}

TEST(BusinessDays, SameTimeOfDayFridayToMonday) {
  BusinessDaysDue d = Days(Office(), Istanbul(27, 10), 1, kSame);
  EXPECT_EQ(d.due, Istanbul(30, 10));
  EXPECT_EQ(d.target, absl::Hours(8 + 1));
}

TEST(BusinessDays, SameTimeOfDayOnAHalfDayIsItsClosing) {
  // Tuesday 15:00 + 1 day: Wednesday closes at 13:00, before 15:00: due at 13:00.
  BusinessDaysDue d = Days(Office(), Istanbul(24, 15), 1, kSame);
  EXPECT_EQ(d.due, Istanbul(25, 13));
  EXPECT_EQ(d.target, absl::Hours(3 + 4));
}

TEST(BusinessDays, SameTimeOfDayInAClosedMorningIsTheEndOfThatDay) {
  // Wednesday 10:00 + 1 day: Thursday is closed until 13:00, so it has no open time before
  // 10:00; due at Thursday's end (not Wednesday's, which would be day 0).
  BusinessDaysDue d = Days(Office(), Istanbul(25, 10), 1, kSame);
  EXPECT_EQ(d.due, Istanbul(26, 18));
  EXPECT_EQ(d.target, absl::Hours(3 + 5));
}

TEST(BusinessDays, SameTimeOfDayFromAnOpeningIsDueAtTheClosingBefore) {
  // Monday 09:00 + 1 day is Tuesday 09:00, the same business instant as Monday 18:00: the
  // clock's due instant is the first instant with that business time.
  BusinessDaysDue d = Days(Office(), Istanbul(16, 9), 1, kSame);
  EXPECT_EQ(d.target, absl::Hours(9));
  EXPECT_EQ(d.due, Istanbul(16, 18));
}

TEST(BusinessDays, AnExtraWorkingSaturdayIsABusinessDay) {
  CalendarSpec spec = OfficeSpec();
  spec.extra_working.push_back(
      {.date = {2026, 11, 28}, .open = {{.start = {10, 0}, .end = {14, 0}}}});
  BusinessDaysDue d = Days(*Calendar::Create(spec), Istanbul(27, 16), 1, kEnd);
  EXPECT_EQ(d.due, Istanbul(28, 14));
  EXPECT_EQ(d.target, absl::Hours(2 + 4));
}

// Once converted, a days clock is an ordinary clock: the hold of docs/sla.md 2.1's example.
TEST(BusinessDays, APauseExtendsItLikeAnyOtherClock) {
  const Calendar cal = Office();
  for (auto [rule, due] :
       {std::pair{kEnd, Istanbul(25, 11)}, std::pair{kSame, Istanbul(25, 9, 30)}}) {
    Clock clock =
        Clock::Start(Istanbul(20, 16, 30), Days(cal, Istanbul(20, 16, 30), 1, rule).target);
    ASSERT_TRUE(clock.Pause(Istanbul(24, 10)).ok());
    ASSERT_TRUE(clock.Resume(Istanbul(24, 12)).ok());
    EXPECT_EQ(*clock.DueTime(cal, Istanbul(24, 12)), due);
  }
}

Calendar NewYork(bool always_open) {
  CalendarSpec spec;
  spec.time_zone = "America/New_York";
  spec.always_open = always_open;
  if (!always_open) {
    for (auto d : kWeekdays) spec.weekly.push_back({.day = d, .start = {9, 0}, .end = {17, 0}});
  }
  return *Calendar::Create(spec);
}

TEST(BusinessDays, AcrossTheSpringDstChange) {
  // Friday 2026-03-06 10:00 EST (15:00Z); clocks go forward on Sunday the 8th.
  const absl::Time start = Utc(3, 6, 15);
  BusinessDaysDue same = Days(NewYork(false), start, 1, kSame);
  EXPECT_EQ(same.due, Utc(3, 9, 14));  // Monday 10:00 EDT
  EXPECT_EQ(same.target, absl::Hours(7 + 1));
  BusinessDaysDue end = Days(NewYork(false), start, 1, kEnd);
  EXPECT_EQ(end.due, Utc(3, 9, 21));  // Monday 17:00 EDT
  EXPECT_EQ(end.target, absl::Hours(7 + 8));
}

TEST(BusinessDays, ASkippedTimeOfDayIsTheJump) {
  // 24x7: Saturday 02:30 EST + 1 day; Sunday's 02:30 does not exist (02:00 EST jumps to
  // 03:00 EDT at 07:00Z): due at the jump, 23 h 30 min later.
  BusinessDaysDue d = Days(NewYork(true), Utc(3, 7, 7, 30), 1, kSame);
  EXPECT_EQ(d.due, Utc(3, 8, 7));
  EXPECT_EQ(d.target, absl::Hours(23) + absl::Minutes(30));
  // The end of that 23-hour Sunday is Monday 00:00 EDT.
  BusinessDaysDue end = Days(NewYork(true), Utc(3, 7, 15), 1, kEnd);
  EXPECT_EQ(end.due, Utc(3, 9, 4));
  EXPECT_EQ(end.target, absl::Hours(14 + 23));  // Saturday from 10:00 EST, then Sunday
}

TEST(BusinessDays, ARepeatedTimeOfDayIsItsFirstOccurrence) {
  // 24x7: Saturday 2026-10-31 01:30 EDT (05:30Z) + 1 day; Sunday's 01:30 happens twice.
  BusinessDaysDue d = Days(NewYork(true), Utc(10, 31, 5, 30), 1, kSame);
  EXPECT_EQ(d.due, Utc(11, 1, 5, 30));
  EXPECT_EQ(d.target, absl::Hours(24));
}

TEST(BusinessDays, Refusals) {
  EXPECT_EQ(BusinessDaysTarget(Office(), Istanbul(20, 10), 0, kEnd).status().code(),
            absl::StatusCode::kInvalidArgument);
  CalendarSpec closed;
  closed.time_zone = "UTC";
  EXPECT_EQ(
      BusinessDaysTarget(*Calendar::Create(closed), Istanbul(20, 10), 1, kEnd).status().code(),
      absl::StatusCode::kFailedPrecondition);
  // One open hour a week: about 521 business days in the ten-year search horizon.
  CalendarSpec weekly;
  weekly.time_zone = "UTC";
  weekly.weekly.push_back({.day = absl::Weekday::monday, .start = {9, 0}, .end = {10, 0}});
  const Calendar sparse = *Calendar::Create(weekly);
  EXPECT_TRUE(BusinessDaysTarget(sparse, Istanbul(20, 10), 500, kEnd).ok());
  EXPECT_EQ(BusinessDaysTarget(sparse, Istanbul(20, 10), 600, kEnd).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(BusinessDays, TargetDurationReadsTheDefinition) {
  sla::v1::SlaDefinition d;
  d.set_business_day_rule(sla::v1::BUSINESS_DAY_RULE_SAME_TIME_OF_DAY);
  sla::v1::PriorityTarget t;
  t.mutable_response_target()->set_seconds(1800);
  t.set_resolution_business_days(1);
  const Calendar cal = Office();
  EXPECT_EQ(*TargetDuration(d, t, ClockKind::kResponse, cal, Istanbul(20, 16, 30)),
            absl::Minutes(30));
  EXPECT_EQ(*TargetDuration(d, t, ClockKind::kResolution, cal, Istanbul(20, 16, 30)),
            absl::Hours(9));
  d.clear_business_day_rule();  // END_OF_DAY
  EXPECT_EQ(*TargetDuration(d, t, ClockKind::kResolution, cal, Istanbul(20, 16, 30)),
            absl::Hours(10) + absl::Minutes(30));
  t.clear_response_target();
  EXPECT_FALSE(TargetDuration(d, t, ClockKind::kResponse, cal, Istanbul(20, 16, 30))->has_value());
}

}  // namespace
}  // namespace itsm::slamodel
