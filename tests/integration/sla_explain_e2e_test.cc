// Issue 12's "done when" for explainable clocks, black box: the launcher starts incident, sla
// and sla-timer; itsmctl defines two SLAs (service mail and service vpn, both with retroactive
// start), records an incident on mail at P2, puts it on hold and back, raises it to P1 and
// moves it to vpn. `itsmctl sla explain` then shows, from the SLA service's history of the
// real timer's events: the mail clock paused by the hold, re-targeted by the priority change
// and cancelled by the move; the vpn clock attached from the record's creation with the hold
// replayed as a pause, cancelled when the priority drops to P5 (no target) and the same clock
// back when it returns to P1; and a what-if of the vpn clock under the mail definition.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "launched_suite.h"

namespace itsm {
namespace {

// "created INC0000001 (P1, new)  id <uuid>": the word after the marker.
std::string FieldOf(const std::string& text, const std::string& marker) {
  const size_t at = text.find(marker);
  if (at == std::string::npos) return "";
  const size_t start = at + marker.size();
  return text.substr(start, text.find_first_of(" \n", start) - start);
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(SlaExplainEndToEnd, ExplainsARecordPausedReprioritisedAndMovedBetweenServices) {
  testing::LaunchedSuite suite({"incident", "sla", "sla-timer"});
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  std::string out;
  ASSERT_EQ(suite.Itsmctl(
                {"sla", "calendar", "create", "--name", "always", "--zone", "UTC", "--24x7"}, &out),
            0)
      << out;
  ASSERT_EQ(suite.Itsmctl({"sla", "definition", "create", "--name", "Mail", "--service", "mail",
                           "--calendar", "always", "--customer", "ACME", "--target",
                           "P1:resolve=30m", "--target", "P2:resolve=1h", "--retroactive"},
                          &out),
            0)
      << out;
  const std::string mail_definition = FieldOf(out, " id ");
  ASSERT_EQ(mail_definition.size(), 36u) << out;
  ASSERT_EQ(suite.Itsmctl({"sla", "definition", "create", "--name", "VPN", "--service", "vpn",
                           "--calendar", "always", "--customer", "ACME", "--target",
                           "P1:resolve=2h", "--target", "P2:resolve=4h", "--retroactive"},
                          &out),
            0)
      << out;

  ASSERT_EQ(suite.Itsmctl({"incident", "create", "--title", "Mail slow", "--impact", "1",
                           "--urgency", "2", "--service", "mail"},
                          &out),
            0)
      << out;
  ASSERT_NE(out.find("(P2"), std::string::npos) << out;
  const std::string id = FieldOf(out, " id ");
  ASSERT_EQ(id.size(), 36u) << out;
  ASSERT_EQ(suite.Itsmctl({"incident", "start", id}, &out), 0) << out;
  ASSERT_EQ(suite.Itsmctl({"incident", "hold", id, "--reason", "awaiting_caller"}, &out), 0) << out;
  absl::SleepFor(absl::Milliseconds(1200));  // a hold of a second, to be seen in the intervals
  ASSERT_EQ(suite.Itsmctl({"incident", "resume", id}, &out), 0) << out;
  ASSERT_EQ(suite.Itsmctl({"incident", "update", id, "--impact", "1", "--urgency", "1"}, &out), 0)
      << out;
  ASSERT_EQ(suite.Itsmctl({"incident", "update", id, "--service", "vpn"}, &out), 0) << out;
  ASSERT_EQ(suite.Itsmctl({"incident", "update", id, "--impact", "3", "--urgency", "3"}, &out), 0)
      << out;
  ASSERT_EQ(suite.Itsmctl({"incident", "update", id, "--impact", "1", "--urgency", "1"}, &out), 0)
      << out;

  // The timer's events reach the SLA service's history (polled: the suite's consumers join
  // their groups in their own time).
  std::string json;
  for (int attempt = 0; attempt < 120; ++attempt) {
    suite.Itsmctl({"sla", "explain", id, "--json"}, &json);
    if (Count(json, "\"SlaClockCancelled\"") == 2 && Count(json, "\"SlaClockStarted\"") == 3) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(500));
  }
  ASSERT_EQ(Count(json, "\"SlaClockStarted\""), 3u) << json;
  EXPECT_EQ(Count(json, "\"SlaClockPaused\""), 1u) << json;
  EXPECT_EQ(Count(json, "\"SlaClockResumed\""), 1u) << json;
  EXPECT_EQ(Count(json, "\"SlaClockRetargeted\""), 1u) << json;
  EXPECT_EQ(Count(json, "\"historyComplete\": true"), 2u) << json;
  EXPECT_NE(json.find("\"cause\": \"coverage_change\""), std::string::npos) << json;

  ASSERT_EQ(suite.Itsmctl({"sla", "explain", id}, &out), 0) << out;
  std::cout << out << std::endl;  // the view a user gets, in the test log
  // The mail clock: paused by the hold, re-targeted by the priority change, cancelled by the
  // move, with the fields and versions behind each step.
  EXPECT_NE(out.find("paused by the pause condition (state=ON_HOLD, hold_reason=awaiting_caller"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("re-targeted by a priority change (priority=P1"), std::string::npos) << out;
  EXPECT_NE(out.find("P2 -> P1, target 1h -> 30m"), std::string::npos) << out;
  EXPECT_NE(out.find("cancelled (not_applicable) by a change of the record's coverage"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("service=vpn"), std::string::npos) << out;
  EXPECT_NE(out.find("\"Mail\" v1"), std::string::npos) << out;
  EXPECT_NE(out.find("\"always\" v1 in UTC"), std::string::npos) << out;
  EXPECT_NE(out.find("cancelled at"), std::string::npos) << out;
  EXPECT_NE(out.find("hold_reason=\"\""), std::string::npos) << out;  // the resume cleared it
  // The vpn clock: attached by the coverage change from the creation, the hold replayed.
  EXPECT_NE(out.find("started by a change of the record's coverage"), std::string::npos) << out;
  EXPECT_NE(out.find("counted from the record's creation with 2 pause/resume step(s)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\"VPN\" v1"), std::string::npos) << out;
  EXPECT_GE(Count(out, "\npaused "), 2u) << out;  // an interval row in each clock
  EXPECT_NE(out.find("running since"), std::string::npos) << out;
  // P5 has no target: the vpn clock was cancelled, and came back with P1 as the same clock.
  EXPECT_NE(out.find("cancelled (priority_not_covered) by a priority change"), std::string::npos)
      << out;
  EXPECT_NE(out.find("came back (counted again from its start) by a priority change"),
            std::string::npos)
      << out;
  EXPECT_EQ(Count(out, "Resolution clock "), 2u) << out;

  // What if the vpn clock had been under the mail definition (P1: 30 min).
  std::string clock_id;
  {
    const size_t vpn = out.find("\"VPN\" v1");
    const size_t header = out.rfind("Resolution clock ", vpn);
    ASSERT_NE(header, std::string::npos) << out;
    clock_id = FieldOf(out.substr(header), "Resolution clock ");
  }
  ASSERT_EQ(clock_id.size(), 36u) << out;
  ASSERT_EQ(suite.Itsmctl({"sla", "explain", id, "--clock", clock_id, "--what-if-definition",
                           mail_definition + "@1"},
                          &out),
            0)
      << out;
  EXPECT_EQ(Count(out, "Resolution clock "), 1u) << out;
  EXPECT_NE(out.find("What if: definition \"Mail\" v1"), std::string::npos) << out;
  EXPECT_NE(out.find("target: 30m of business time"), std::string::npos) << out;
  // Bad input is refused naming the flag.
  EXPECT_NE(suite.Itsmctl({"sla", "explain", id, "--what-if-calendar", "always@x"}, &out), 0);
  EXPECT_NE(out.find("--what-if-calendar"), std::string::npos) << out;

  EXPECT_EQ(suite.Stop(), 0) << suite.launch_log();
}

}  // namespace
}  // namespace itsm
