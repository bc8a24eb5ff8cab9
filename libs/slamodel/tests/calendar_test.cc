#include "itsm/slamodel/calendar.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace itsm::slamodel {
namespace {

using ::testing::HasSubstr;

sla::v1::Calendar WorkWeek() {
  sla::v1::Calendar c;
  c.set_name("Istanbul office");
  c.set_time_zone("Europe/Istanbul");
  for (int d = sla::v1::WEEKDAY_MONDAY; d <= sla::v1::WEEKDAY_FRIDAY; ++d) {
    auto* w = c.add_weekly_hours();
    w->set_day(static_cast<sla::v1::Weekday>(d));
    w->mutable_start()->set_hours(9);
    w->mutable_end()->set_hours(18);
  }
  return c;
}

sla::v1::SlaDefinition Gold() {
  sla::v1::SlaDefinition d;
  d.set_name("Gold");
  d.set_kind(sla::v1::AGREEMENT_KIND_SLA);
  d.mutable_coverage()->add_services("vpn");
  d.set_calendar_id("cal");
  return d;
}

TEST(CompileCalendar, ReadsTheHoursInTheGivenZoneElseTheRecords) {
  auto own = CompileCalendar(WorkWeek());
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->zone().name(), "Europe/Istanbul");
  auto tokyo = CompileCalendar(WorkWeek(), "Asia/Tokyo");
  ASSERT_TRUE(tokyo.ok()) << tokyo.status();
  EXPECT_EQ(tokyo->zone().name(), "Asia/Tokyo");
}

TEST(CompileCalendar, NamesTheRecordsFields) {
  auto c = WorkWeek();
  c.mutable_weekly_hours(2)->mutable_end()->set_hours(25);
  EXPECT_THAT(CompileCalendar(c).status().message(),
              HasSubstr("weekly_hours[2].end: 25:00:00 is not a time of day"));
  c = WorkWeek();
  auto* e = c.add_extra_working_days();
  e->mutable_date()->set_year(2025);
  e->mutable_date()->set_month(4);
  e->mutable_date()->set_day(5);
  EXPECT_THAT(CompileCalendar(c).status().message(),
              HasSubstr("extra_working_days[0].open_intervals: empty"));
  EXPECT_THAT(CompileCalendar(WorkWeek(), "Europe/Atlantis").status().message(),
              HasSubstr("time_zone: unknown IANA time zone"));
}

TEST(ResolveTimeZone, SourceThenTenantDefaultThenCalendar) {
  auto d = Gold();
  const auto cal = WorkWeek();
  EXPECT_EQ(ResolveTimeZone(d, cal, "Asia/Tokyo", "", "UTC"), "Europe/Istanbul");
  d.set_time_zone("Europe/Berlin");
  EXPECT_EQ(ResolveTimeZone(d, cal, "Asia/Tokyo", "", "UTC"), "Europe/Berlin");
  d.set_time_zone_source(sla::v1::TIME_ZONE_SOURCE_CALLER);
  EXPECT_EQ(ResolveTimeZone(d, cal, "Asia/Tokyo", "", "UTC"), "Asia/Tokyo");
  EXPECT_EQ(ResolveTimeZone(d, cal, "", "", "UTC"), "UTC");
  d.set_time_zone_source(sla::v1::TIME_ZONE_SOURCE_CI_LOCATION);
  EXPECT_EQ(ResolveTimeZone(d, cal, "Asia/Tokyo", "America/New_York", ""), "America/New_York");
  EXPECT_EQ(ResolveTimeZone(d, cal, "Asia/Tokyo", "", ""), "Europe/Istanbul");
}

}  // namespace
}  // namespace itsm::slamodel
