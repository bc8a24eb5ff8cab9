// Calendar::Create: what it accepts, and that every rejection names the field at fault.

#include "itsm/businesstime/calendar.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace itsm::businesstime {
namespace {

using ::testing::HasSubstr;

CalendarSpec OfficeHours() {
  CalendarSpec spec;
  spec.time_zone = "Europe/Istanbul";
  spec.weekly.push_back({.day = absl::Weekday::monday, .start = {9, 0}, .end = {18, 0}});
  return spec;
}

void ExpectInvalid(const CalendarSpec& spec, const std::string& fragment) {
  const absl::StatusOr<Calendar> calendar = Calendar::Create(spec);
  ASSERT_FALSE(calendar.ok()) << "accepted a spec that should mention " << fragment;
  EXPECT_EQ(calendar.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(calendar.status().message()), HasSubstr(fragment));
}

TEST(CalendarCreate, AcceptsAValidSpec) {
  CalendarSpec spec = OfficeHours();
  spec.weekly.push_back({.day = absl::Weekday::sunday, .start = {22, 0}, .end = {6, 0}});
  spec.weekly.push_back({.day = absl::Weekday::tuesday, .start = {6, 0}, .end = {24, 0}});
  spec.holidays.push_back({.date = {2024, 2, 29}});
  spec.holidays.push_back({.date = {2025, 12, 31}, .closed = {{{13, 0}, {24, 0}}}});
  spec.extra_working.push_back({.date = {2024, 2, 29}, .open = {{{10, 0}, {12, 0, 30}}}});
  const absl::StatusOr<Calendar> calendar = Calendar::Create(spec);
  ASSERT_TRUE(calendar.ok()) << calendar.status();
  EXPECT_EQ(calendar->zone().name(), "Europe/Istanbul");
  const Calendar copy = *calendar;  // cheap, shares the compiled tables
  EXPECT_EQ(copy.zone().name(), "Europe/Istanbul");
}

TEST(CalendarCreate, AcceptsACalendarWithNoWorkingTime) {
  CalendarSpec spec;
  spec.time_zone = "UTC";
  EXPECT_TRUE(Calendar::Create(spec).ok());
}

TEST(CalendarCreate, RejectsUnknownZone) {
  CalendarSpec spec = OfficeHours();
  spec.time_zone = "Europe/Atlantis";
  ExpectInvalid(spec, "time_zone: unknown IANA time zone \"Europe/Atlantis\"");
}

TEST(CalendarCreate, RejectsEmptyAndHostDependentZone) {
  CalendarSpec spec = OfficeHours();
  spec.time_zone = "";
  ExpectInvalid(spec, "time_zone: empty");
  spec.time_zone = "localtime";
  ExpectInvalid(spec, "time_zone: \"localtime\" is not an IANA time zone name");
  // A path loads a file of the host (and whether it loads tells which files exist).
  for (const char* path : {"/etc/localtime", "/usr/share/zoneinfo/UTC", "./UTC",
                           "Europe/../Europe/Berlin", "Europe//Berlin"}) {
    spec.time_zone = path;
    ExpectInvalid(spec, absl::StrCat("time_zone: \"", path, "\" is not an IANA time zone name"));
  }
}

TEST(CalendarCreate, RejectsTimesOutOfRange) {
  CalendarSpec spec = OfficeHours();
  spec.weekly[0].end = {25, 0};
  ExpectInvalid(spec, "weekly[0].end: 25:00:00 is not a time of day");
  spec.weekly[0].end = {24, 0, 1};
  ExpectInvalid(spec, "weekly[0].end: 24:00:01 is not a time of day");
  spec.weekly[0].end = {17, 60};
  ExpectInvalid(spec, "weekly[0].end: 17:60:00");
  spec.weekly[0].end = {17, 0, -1};
  ExpectInvalid(spec, "weekly[0].end");
  spec.weekly[0].end = {17, 0};
  spec.weekly[0].start = {24, 0};
  ExpectInvalid(spec, "weekly[0].start: 24:00:00 can only end an interval");
  spec.weekly[0].start = {-1, 0};
  ExpectInvalid(spec, "weekly[0].start: -1:00:00");
}

TEST(CalendarCreate, RejectsEmptyWeeklyInterval) {
  CalendarSpec spec = OfficeHours();
  spec.weekly[0].end = spec.weekly[0].start;
  ExpectInvalid(spec, "weekly[0]: start and end are both 09:00:00");
}

TEST(CalendarCreate, RejectsBadWeekday) {
  CalendarSpec spec = OfficeHours();
  spec.weekly[0].day = static_cast<absl::Weekday>(9);
  ExpectInvalid(spec, "weekly[0].day: 9 is not a weekday");
}

TEST(CalendarCreate, RejectsOverlappingWeeklyIntervals) {
  CalendarSpec spec = OfficeHours();
  spec.weekly.push_back({.day = absl::Weekday::monday, .start = {17, 59, 59}, .end = {20, 0}});
  ExpectInvalid(spec, "weekly[1]: overlaps weekly[0] on Monday");
}

TEST(CalendarCreate, AcceptsTouchingWeeklyIntervals) {
  CalendarSpec spec = OfficeHours();
  spec.weekly.push_back({.day = absl::Weekday::monday, .start = {18, 0}, .end = {20, 0}});
  EXPECT_TRUE(Calendar::Create(spec).ok());
}

TEST(CalendarCreate, RejectsOverlapOfOvernightTailWithNextDay) {
  CalendarSpec spec = OfficeHours();
  spec.weekly.push_back({.day = absl::Weekday::tuesday, .start = {5, 0}, .end = {9, 0}});
  spec.weekly.push_back({.day = absl::Weekday::monday, .start = {22, 0}, .end = {6, 0}});
  ExpectInvalid(spec, "weekly[2]: overlaps weekly[1] on Tuesday");
}

TEST(CalendarCreate, RejectsOverlapAcrossTheWeekEnd) {
  CalendarSpec spec = OfficeHours();
  spec.weekly.push_back({.day = absl::Weekday::sunday, .start = {23, 0}, .end = {9, 30}});
  ExpectInvalid(spec, "overlaps");
  ExpectInvalid(spec, "on Monday");
}

TEST(CalendarCreate, RejectsWeeklyHoursTogetherWithAlwaysOpen) {
  CalendarSpec spec = OfficeHours();
  spec.always_open = true;
  ExpectInvalid(spec, "weekly: must be empty when always_open is set");
}

TEST(CalendarCreate, RejectsBadDates) {
  CalendarSpec spec = OfficeHours();
  spec.holidays.push_back({.date = {2025, 2, 29}});
  ExpectInvalid(spec, "holidays[0].date: 2025-02-29 is not a date");
  spec.holidays[0].date = {2025, 13, 1};
  ExpectInvalid(spec, "holidays[0].date: 2025-13-01 is not a date");
  spec.holidays[0].date = {2025, 4, 31};
  ExpectInvalid(spec, "holidays[0].date: 2025-04-31");
  spec.holidays[0].date = {0, 1, 1};
  ExpectInvalid(spec, "holidays[0].date");
  spec.holidays[0].date = {2025, 1, 0};
  ExpectInvalid(spec, "holidays[0].date");
  spec.holidays.clear();
  spec.extra_working.push_back({.date = {2023, 2, 29}, .open = {{{9, 0}, {10, 0}}}});
  ExpectInvalid(spec, "extra_working[0].date: 2023-02-29 is not a date");
}

TEST(CalendarCreate, RejectsTheSameDateTwiceInOneList) {
  CalendarSpec spec = OfficeHours();
  spec.holidays.push_back({.date = {2025, 1, 1}});
  spec.holidays.push_back({.date = {2025, 5, 1}});
  spec.holidays.push_back({.date = {2025, 1, 1}, .closed = {{{9, 0}, {12, 0}}}});
  ExpectInvalid(spec, "holidays[2].date: 2025-01-01 is already listed in holidays[0]");
}

TEST(CalendarCreate, RejectsOvernightOrEmptyDatedIntervals) {
  CalendarSpec spec = OfficeHours();
  spec.holidays.push_back({.date = {2025, 1, 1}, .closed = {{{22, 0}, {6, 0}}}});
  ExpectInvalid(spec, "holidays[0].closed[0]: start 22:00:00 is not before end 06:00:00");
  spec.holidays.clear();
  spec.extra_working.push_back({.date = {2025, 1, 4}, .open = {{{10, 0}, {10, 0}}}});
  ExpectInvalid(spec, "extra_working[0].open[0]: start 10:00:00 is not before end 10:00:00");
}

TEST(CalendarCreate, RejectsOverlappingDatedIntervals) {
  CalendarSpec spec = OfficeHours();
  spec.holidays.push_back(
      {.date = {2025, 1, 1}, .closed = {{{13, 0}, {15, 0}}, {{9, 0}, {13, 0, 1}}}});
  ExpectInvalid(spec, "holidays[0].closed[1]: overlaps holidays[0].closed[0]");
}

TEST(CalendarCreate, RejectsExtraWorkingDayWithoutIntervals) {
  CalendarSpec spec = OfficeHours();
  spec.extra_working.push_back({.date = {2025, 1, 4}});
  ExpectInvalid(spec, "extra_working[0].open: empty");
}

TEST(CalendarCreate, RejectsBadTimesInDatedIntervals) {
  CalendarSpec spec = OfficeHours();
  spec.extra_working.push_back(
      {.date = {2025, 1, 4}, .open = {{{9, 0}, {10, 0}}, {{10, 0}, {24, 30}}}});
  ExpectInvalid(spec, "extra_working[0].open[1].end: 24:30:00 is not a time of day");
}

}  // namespace
}  // namespace itsm::businesstime
