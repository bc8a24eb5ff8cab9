// The suite's core loop, black box, as a user drives it: the launcher starts incident, sla and
// sla-timer; itsmctl defines a 24x7 calendar and an SLA with targets of seconds, records a P1
// incident, and the SLA timer's warnings and breaches arrive on itsm.sla.v1 and in the SLA
// service's status for the incident.
#include "absl/time/clock.h"
#include "launched_suite.h"

namespace itsm {
namespace {

std::string FieldOf(const std::string& text, const std::string& marker) {
  // "created INC0000001 (P1, new)  id <uuid>": the word after the marker.
  const size_t at = text.find(marker);
  if (at == std::string::npos) return "";
  const size_t start = at + marker.size();
  return text.substr(start, text.find_first_of(" \n", start) - start);
}

TEST(SlaLoopEndToEnd, AP1IncidentBreachesItsSecondsLongTargetsAndTheStatusShowsIt) {
  // Every port is free-chosen; the launcher tells sla-timer where sla runs (ITSM_SLA_ADDRESS).
  testing::LaunchedSuite suite({"incident", "sla", "sla-timer"});
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  std::string out;
  ASSERT_EQ(suite.Itsmctl({"status"}, &out), 0) << out;

  ASSERT_EQ(suite.Itsmctl(
                {"sla", "calendar", "create", "--name", "always", "--zone", "UTC", "--24x7"}, &out),
            0)
      << out;
  ASSERT_EQ(suite.Itsmctl({"sla", "definition", "create", "--name", "Mail P1", "--service", "mail",
                           "--calendar", "always", "--customer", "ACME", "--target",
                           "P1:response=1s,resolve=2s"},
                          &out),
            0)
      << out;
  ASSERT_EQ(suite.Itsmctl({"incident", "create", "--title", "Mail down", "--impact", "1",
                           "--urgency", "1", "--service", "mail"},
                          &out),
            0)
      << out;
  const std::string incident_id = FieldOf(out, " id ");
  ASSERT_EQ(incident_id.size(), 36u) << out;

  auto count = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  // The SLA service's projection of the timer's events shows both clocks breached (targets of
  // 1 s and 2 s; polled, the suite needs a few seconds to join its consumer groups).
  for (int attempt = 0; attempt < 60; ++attempt) {
    suite.Itsmctl({"sla", "status", incident_id}, &out);
    if (count(out, "breached") >= 2) break;
    absl::SleepFor(absl::Milliseconds(500));
  }
  EXPECT_NE(out.find("response"), std::string::npos) << out;
  EXPECT_NE(out.find("resolution"), std::string::npos) << out;
  EXPECT_EQ(count(out, "breached"), 2u) << out;

  // On the topic: two clocks started, each breached exactly once.
  std::string events;
  ASSERT_EQ(suite.Itsmctl({"--output", "json", "events", "tail", "itsm.sla.v1", "--from-beginning",
                           "--timeout", "10"},
                          &events),
            0);
  EXPECT_EQ(count(events, "itsm.sla.v1.SlaClockStarted"), 2u) << events;
  EXPECT_EQ(count(events, "itsm.sla.v1.SlaBreached"), 2u) << events;
  EXPECT_NE(events.find(incident_id), std::string::npos);

  // People know numbers: the status by incident number is the same.
  std::string by_number;
  ASSERT_EQ(suite.Itsmctl({"sla", "status", "INC0000001"}, &by_number), 0) << by_number;
  EXPECT_EQ(count(by_number, "breached"), 2u) << by_number;

  EXPECT_EQ(suite.Stop(), 0) << suite.launch_log();
}

}  // namespace
}  // namespace itsm
