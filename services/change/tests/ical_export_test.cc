#include "services/change/src/ical_export.h"

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "itsm/base/time_util.h"

namespace itsm::change {
namespace {

TEST(IcalExport, EventsForChangesAndWindowsWithEscapingAndFolding) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  v1::GetChangeCalendarResponse cal;
  v1::Change* c = cal.add_changes();
  c->set_id("c1");
  c->set_number("CHG0000001");
  c->set_title("Upgrade db; then, restart\\app " + std::string(80, 'x'));
  *c->mutable_planned_start_time() = base::ToProtoTimestamp(t0);
  *c->mutable_planned_end_time() = base::ToProtoTimestamp(t0 + absl::Hours(1));
  v1::WindowOccurrence* w = cal.add_windows();
  w->set_window_id("w1");
  w->set_name("Freeze");
  w->set_kind(v1::WINDOW_KIND_BLACKOUT);
  *w->mutable_start_time() = base::ToProtoTimestamp(t0);
  *w->mutable_end_time() = base::ToProtoTimestamp(t0 + absl::Hours(24));
  const std::string ics = ToICalendar(cal, t0);
  EXPECT_EQ(ics.substr(0, 17), "BEGIN:VCALENDAR\r\n");
  EXPECT_NE(ics.find("DTSTART:20270115T080000Z\r\n"), std::string::npos) << ics;
  EXPECT_NE(ics.find("SUMMARY:CHG0000001 Upgrade db\\; then\\, restart\\\\app"), std::string::npos);
  EXPECT_NE(ics.find("SUMMARY:Blackout: Freeze"), std::string::npos);
  for (absl::string_view line : absl::StrSplit(ics, "\r\n")) EXPECT_LE(line.size(), 75u) << line;
  EXPECT_EQ(ics.substr(ics.size() - 15), "END:VCALENDAR\r\n");
}

// An emergency change running without a planned slot is shown from its start up to the export;
// once ended, up to its end.
TEST(IcalExport, AChangeRunningWithoutASlotEndsAtTheExport) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  v1::GetChangeCalendarResponse cal;
  v1::Change* c = cal.add_changes();
  c->set_id("e1");
  c->set_number("CHG0000002");
  *c->mutable_actual_start_time() = base::ToProtoTimestamp(t0);
  std::string ics = ToICalendar(cal, t0 + absl::Hours(2));
  EXPECT_NE(ics.find("DTSTART:20270115T080000Z\r\nDTEND:20270115T100000Z\r\n"), std::string::npos)
      << ics;
  *c->mutable_actual_end_time() = base::ToProtoTimestamp(t0 + absl::Minutes(30));
  ics = ToICalendar(cal, t0 + absl::Hours(2));
  EXPECT_NE(ics.find("DTSTART:20270115T080000Z\r\nDTEND:20270115T083000Z\r\n"), std::string::npos)
      << ics;
}

}  // namespace
}  // namespace itsm::change
