// Window occurrences in a zone, across both DST changes of Europe/Berlin in 2026
// (2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET).
#include "services/change/src/window_schedule.h"

#include "gtest/gtest.h"
#include "itsm/base/time_util.h"

namespace itsm::change {
namespace {

absl::Time Utc(const char* rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return t;
}

v1::ChangeWindow Window(const char* start, int minutes) {
  v1::ChangeWindow w;
  w.set_name("w");
  w.set_kind(v1::WINDOW_KIND_MAINTENANCE);
  w.set_time_zone("Europe/Berlin");
  w.set_start_local_time(start);
  w.set_duration_minutes(minutes);
  return w;
}

TEST(WindowSchedule, DailyWindowKeepsItsLocalTimeAcrossSpringForward) {
  const v1::ChangeWindow w = Window("22:00", 120);
  auto o = Occurrences(w, Utc("2026-03-28T00:00:00Z"), Utc("2026-03-30T00:00:00Z"));
  ASSERT_EQ(o.size(), 2u);
  EXPECT_EQ(o[0].start, Utc("2026-03-28T21:00:00Z"));  // CET
  EXPECT_EQ(o[1].start, Utc("2026-03-29T20:00:00Z"));  // CEST
  EXPECT_EQ(o[1].end - o[1].start, absl::Minutes(120));
}

TEST(WindowSchedule, SkippedStartBeginsAtTheTransition) {
  v1::ChangeWindow w = Window("02:30", 60);
  w.add_days(v1::WEEKDAY_SUNDAY);
  auto o = Occurrences(w, Utc("2026-03-29T00:00:00Z"), Utc("2026-03-29T06:00:00Z"));
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].start, Utc("2026-03-29T01:00:00Z"));  // 03:00 CEST
}

TEST(WindowSchedule, RepeatedStartBeginsAtItsFirstOccurrenceAndDurationIsWallClockTime) {
  v1::ChangeWindow w = Window("02:30", 240);
  w.set_valid_from("2026-10-25");
  w.set_valid_until("2026-10-25");
  auto o = Occurrences(w, Utc("2026-10-24T00:00:00Z"), Utc("2026-10-27T00:00:00Z"));
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].start, Utc("2026-10-25T00:30:00Z"));  // 02:30 CEST, the first one
  EXPECT_EQ(o[0].end, Utc("2026-10-25T05:30:00Z"));    // 06:30 CET: 4 wall-clock hours later
}

// An all-day freeze holds the whole local day, 25 hours on the fall-back day and 23 on the
// spring-forward one: no hour of either is left outside it.
TEST(WindowSchedule, AnAllDayWindowCoversTheWholeLocalDayOnBothDstDays) {
  v1::ChangeWindow w = Window("00:00", 1440);
  w.set_kind(v1::WINDOW_KIND_BLACKOUT);
  auto fall = Occurrences(w, Utc("2026-10-25T12:00:00Z"), Utc("2026-10-25T12:00:01Z"));
  ASSERT_EQ(fall.size(), 1u);
  EXPECT_EQ(fall[0].start, Utc("2026-10-24T22:00:00Z"));  // 00:00 CEST
  EXPECT_EQ(fall[0].end, Utc("2026-10-25T23:00:00Z"));    // the next 00:00, CET
  auto spring = Occurrences(w, Utc("2026-03-29T12:00:00Z"), Utc("2026-03-29T12:00:01Z"));
  ASSERT_EQ(spring.size(), 1u);
  EXPECT_EQ(spring[0].end - spring[0].start, absl::Hours(23));
  // A short window inside the skipped hour still lasts its duration.
  v1::ChangeWindow skipped = Window("02:10", 20);
  auto inside = Occurrences(skipped, Utc("2026-03-29T00:00:00Z"), Utc("2026-03-29T06:00:00Z"));
  ASSERT_EQ(inside.size(), 1u);
  EXPECT_EQ(inside[0].end - inside[0].start, absl::Minutes(20));
}

TEST(WindowSchedule, DaysAndValidityBoundTheOccurrences) {
  v1::ChangeWindow w = Window("01:00", 60);
  w.add_days(v1::WEEKDAY_SATURDAY);
  w.add_days(v1::WEEKDAY_SUNDAY);
  w.set_valid_until("2026-06-07");
  // 2026-06-01 is a Monday: the weekends of June 6-7 (valid) and 13-14 (past valid_until).
  auto o = Occurrences(w, Utc("2026-06-01T00:00:00Z"), Utc("2026-06-15T00:00:00Z"));
  ASSERT_EQ(o.size(), 2u);
  EXPECT_EQ(o[0].start, Utc("2026-06-05T23:00:00Z"));
  EXPECT_EQ(o[1].start, Utc("2026-06-06T23:00:00Z"));
}

TEST(WindowSchedule, AWindowIsInForceOnlyDuringItsValidDays) {
  v1::ChangeWindow w = Window("23:00", 6 * 60);
  w.set_valid_from("2026-10-20");
  w.set_valid_until("2026-11-05");
  // Local days of Europe/Berlin: valid from 2026-10-19T22:00Z (CEST) ...
  EXPECT_FALSE(InForceDuring(w, {Utc("2026-10-19T20:00:00Z"), Utc("2026-10-19T22:00:00Z")}));
  EXPECT_TRUE(InForceDuring(w, {Utc("2026-10-19T21:00:00Z"), Utc("2026-10-19T22:30:00Z")}));
  // ... until the end of the last day's occurrence, 2026-11-06 05:00 CET (04:00Z).
  EXPECT_TRUE(InForceDuring(w, {Utc("2026-11-06T03:00:00Z"), Utc("2026-11-06T05:00:00Z")}));
  EXPECT_FALSE(InForceDuring(w, {Utc("2026-11-06T04:00:00Z"), Utc("2026-11-06T05:00:00Z")}));
  EXPECT_FALSE(InForceDuring(w, {Utc("2031-02-03T10:00:00Z"), Utc("2031-02-03T12:00:00Z")}));
  // The last day is the window's whole, however early its occurrence that day ends: from 02:00
  // to 04:00 on 2026-11-05, a change at 20:00 that day (CET) is still under it.
  v1::ChangeWindow early = Window("02:00", 120);
  early.set_valid_until("2026-11-05");
  EXPECT_TRUE(InForceDuring(early, {Utc("2026-11-05T19:00:00Z"), Utc("2026-11-05T20:00:00Z")}));
  EXPECT_FALSE(InForceDuring(early, {Utc("2026-11-05T23:00:00Z"), Utc("2026-11-05T23:30:00Z")}));
  EXPECT_TRUE(InForceDuring(Window("23:00", 60),
                            {Utc("2031-02-03T10:00:00Z"), Utc("2031-02-03T12:00:00Z")}));
}

TEST(WindowSchedule, AnOccurrenceStartedBeforeTheRangeStillOverlapsIt) {
  const v1::ChangeWindow w = Window("23:00", 6 * 60);
  auto o = Occurrences(w, Utc("2026-06-02T01:00:00Z"), Utc("2026-06-02T02:00:00Z"));
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].start, Utc("2026-06-01T21:00:00Z"));
}

TEST(WindowSchedule, BadWindowsAreRefusedNamingTheField) {
  v1::ChangeWindow w = Window("25:00", 60);
  EXPECT_EQ(CheckWindow(w, "window").message().substr(0, 24), "window.start_local_time:");
  w = Window("02:00", 0);
  EXPECT_EQ(CheckWindow(w, "window").message().substr(0, 24), "window.duration_minutes:");
  w = Window("02:00", 60);
  w.set_time_zone("Mars/Olympus");
  EXPECT_EQ(CheckWindow(w, "window").message().substr(0, 17), "window.time_zone:");
  w = Window("02:00", 60);
  w.set_valid_from("2026-02-30");
  EXPECT_EQ(CheckWindow(w, "window").message().substr(0, 18), "window.valid_from:");
  // Written as asked but outside what is taken: the message says what is.
  w.set_valid_from("0999-12-31");
  EXPECT_EQ(CheckWindow(w, "window").message(),
            "window.valid_from: must be a date YYYY-MM-DD from 1000-01-01 to 9999-12-31, got "
            "\"0999-12-31\"");
  w = Window("02:00", 60);
  w.set_valid_from("2026-03-02");
  w.set_valid_until("2026-03-01");
  EXPECT_EQ(CheckWindow(w, "window").message().substr(0, 19), "window.valid_until:");
  EXPECT_TRUE(CheckWindow(Window("00:00", 60), "window").ok());
}

TEST(WindowSchedule, CoverageByServiceOrClassOrEverything) {
  v1::ChangeWindow w = Window("00:00", 60);
  EXPECT_TRUE(WindowCovers(w, {}, {}));
  w.add_service_ids("svc");
  EXPECT_FALSE(WindowCovers(w, {"other"}, {"server"}));
  EXPECT_TRUE(WindowCovers(w, {"svc"}, {}));
  w.add_ci_class_names("database");
  EXPECT_TRUE(WindowCovers(w, {}, {"database"}));
}

}  // namespace
}  // namespace itsm::change
