// Issue 15, end to end.
// With the real SLA service: the launcher starts incident, sla, sla-timer and supplier; itsmctl
// records a supplier, an underpinning-contract definition of it with targets of seconds, and a
// contract linked to that definition (the supplier service checks the link with the SLA
// service). An incident of the supplier's group breaches the UC clocks; once it is resolved, the
// breached clocks show in `itsmctl supplier scorecard`.
// With the real change service: a change implemented by the supplier's group on the supplier's
// CI, an incident raised on that CI meanwhile, linked by the change service as possibly caused
// by it (ChangeIncidentLinked on itsm.change.v1): the scorecard counts it as caused.
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "launched_suite.h"

namespace itsm {
namespace {

TEST(SupplierScorecardEndToEnd, ABreachedUcClockShowsInTheSuppliersScorecard) {
  testing::LaunchedSuite suite({"incident", "sla", "sla-timer", "supplier"});
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  std::string out;
  ASSERT_EQ(suite.Itsmctl({"--output", "json", "supplier", "create", "--name", "Netco", "--status",
                           "active", "--group", "net-desk"},
                          &out),
            0)
      << out;
  const std::string supplier_id = testing::WordAfter(out, "\"id\": \"");
  ASSERT_EQ(supplier_id.size(), 36u) << out;

  ASSERT_EQ(suite.Itsmctl(
                {"sla", "calendar", "create", "--name", "always", "--zone", "UTC", "--24x7"}, &out),
            0)
      << out;
  ASSERT_EQ(suite.Itsmctl({"sla", "definition", "create", "--name", "Netco UC", "--kind", "uc",
                           "--supplier", supplier_id, "--service", "wan", "--calendar", "always",
                           "--target", "P1:response=1s,resolve=2s"},
                          &out),
            0)
      << out;
  const std::string definition_id = testing::WordAfter(out, " id ");
  ASSERT_FALSE(definition_id.empty()) << out;
  // A definition that is not this supplier's UC is refused by the supplier service.
  ASSERT_NE(suite.Itsmctl({"supplier", "contract", "create", "--supplier", "SUP0000001", "--title",
                           "WAN", "--type", "support", "--renewal", "none", "--start", "2020-01-01",
                           "--end", "2099-12-31", "--uc", "no-such-definition"},
                          &out),
            0);
  EXPECT_NE(out.find("contract.uc_definition_ids[0]"), std::string::npos) << out;
  ASSERT_EQ(suite.Itsmctl({"supplier", "contract", "create", "--supplier", "SUP0000001", "--title",
                           "WAN", "--type", "support", "--renewal", "none", "--start", "2020-01-01",
                           "--end", "2099-12-31", "--state", "active", "--uc", definition_id},
                          &out),
            0)
      << out;

  ASSERT_EQ(suite.Itsmctl({"incident", "create", "--title", "WAN down", "--impact", "1",
                           "--urgency", "1", "--service", "wan", "--group", "net-desk"},
                          &out),
            0)
      << out;
  const std::string incident_id = testing::WordAfter(out, " id ");
  ASSERT_EQ(incident_id.size(), 36u) << out;
  // The resolution clock breaches (2 s); then the incident is answered and resolved, which
  // completes it breached.
  auto resolution_breached = [](const std::string& status) {
    for (absl::string_view line : absl::StrSplit(status, '\n')) {
      if (absl::StrContains(line, "resolution") && absl::StrContains(line, "breached")) return true;
    }
    return false;
  };
  for (int attempt = 0; attempt < 60 && !resolution_breached(out); ++attempt) {
    if (attempt > 0) absl::SleepFor(absl::Milliseconds(500));
    suite.Itsmctl({"sla", "status", incident_id}, &out);
  }
  ASSERT_TRUE(resolution_breached(out)) << out;
  ASSERT_EQ(suite.Itsmctl({"incident", "start", incident_id}, &out), 0) << out;
  ASSERT_EQ(suite.Itsmctl({"incident", "resolve", incident_id, "--code", "fixed", "--notes",
                           "router replaced"},
                          &out),
            0)
      << out;

  // The supplier's consumer applies the clock's completion: the scorecard's total shows a
  // breached UC clock (proto3 JSON leaves zero counts out) and the incident.
  auto breached_in_total = [](const std::string& json) {
    const size_t total = json.find("\"total\"");
    if (total == std::string::npos) return false;
    const std::string rest = json.substr(total);
    return absl::StrContains(rest, "\"ucClocksBreached\"") &&
           absl::StrContains(rest, "\"incidents\": \"1\"");
  };
  out.clear();
  for (int attempt = 0; attempt < 60 && !breached_in_total(out); ++attempt) {
    if (attempt > 0) absl::SleepFor(absl::Milliseconds(500));
    suite.Itsmctl({"--output", "json", "supplier", "scorecard", "SUP0000001"}, &out);
  }
  EXPECT_TRUE(breached_in_total(out)) << out;
  ASSERT_EQ(suite.Itsmctl({"supplier", "scorecard", "SUP0000001"}, &out), 0) << out;
  EXPECT_NE(out.find("TOTAL"), std::string::npos) << out;

  EXPECT_EQ(suite.Stop(), 0) << suite.launch_log();
}

TEST(SupplierScorecardEndToEnd, AnIncidentCausedByTheSuppliersChangeShowsInItsScorecard) {
  testing::LaunchedSuite suite({"configuration", "change", "incident", "supplier"});
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  auto ok = [&suite](std::vector<std::string> args, const std::string& actor = "agent") {
    args.insert(args.begin(), {"--actor", actor});
    std::string out;
    EXPECT_EQ(suite.Itsmctl(args, &out), 0) << absl::StrJoin(args, " ") << "\n" << out;
    return out;
  };
  ok({"ci", "create", "--class", "database", "--name", "db-01", "--status", "live"});
  // The supplier's CI is checked with the configuration service.
  ok({"supplier", "create", "--name", "Dbco", "--status", "active", "--group", "dbco-team", "--ci",
      "database/db-01"});
  // A retired CI is not newly named, as incidents and changes do not name one.
  ok({"ci", "create", "--class", "database", "--name", "db-old", "--status", "live"});
  ok({"ci", "retire", "database/db-old"});
  std::string refused;
  EXPECT_EQ(
      suite.Itsmctl({"supplier", "create", "--name", "Oldco", "--ci", "database/db-old"}, &refused),
      2);
  EXPECT_NE(refused.find("supplier.configuration_item_ids[0]: configuration item "
                         "database/db-old is retired"),
            std::string::npos)
      << refused;

  // A change of the supplier's group to its CI, being implemented.
  ok({"change", "create", "--title", "Upgrade the database", "--ci", "database/db-01", "--group",
      "dbco-team"});
  ok({"change", "move", "CHG0000001", "assess"});
  ok({"change", "move", "CHG0000001", "authorise"});
  ok({"change", "approve", "CHG0000001", "--comment", "fine"}, "cm");
  ok({"change", "schedule", "CHG0000001", "--start", "2030-01-05T10:00:00Z", "--end",
      "2030-01-05T12:00:00Z"});
  ok({"change", "move", "CHG0000001", "scheduled"});
  ok({"change", "move", "CHG0000001", "implement"});

  // An incident on the CI, handled by the service desk (not the supplier's group), meanwhile.
  std::string out = ok({"incident", "create", "--title", "Queries time out", "--impact", "2",
                        "--urgency", "2", "--ci", "database/db-01", "--group", "service-desk"});
  const std::string incident = out.substr(out.find("INC"), 10);
  EXPECT_TRUE(supervisor::WaitUntil(
                  [&] {
                    out.clear();
                    return suite.Itsmctl({"change", "get", "CHG0000001"}, &out) == 0 &&
                           absl::StrContains(out, "caused incident " + incident);
                  },
                  absl::Seconds(60), "the incident linked to the change")
                  .ok())
      << out;

  // The supplier consumed the link and the incident (two topics, either first): its scorecard
  // shows one incident, caused by its change (proto3 JSON leaves zero counts out).
  auto caused_in_total = [](const std::string& json) {
    const size_t total = json.find("\"total\"");
    if (total == std::string::npos) return false;
    const std::string rest = json.substr(total);
    return absl::StrContains(rest, "\"causedIncidents\": \"1\"") &&
           absl::StrContains(rest, "\"incidents\": \"1\"");
  };
  out.clear();
  EXPECT_TRUE(supervisor::WaitUntil(
                  [&] {
                    out.clear();
                    return suite.Itsmctl(
                               {"--output", "json", "supplier", "scorecard", "SUP0000001"}, &out) ==
                               0 &&
                           caused_in_total(out);
                  },
                  absl::Seconds(60), "the caused incident in the scorecard")
                  .ok())
      << out;
  out = ok({"supplier", "scorecard", "SUP0000001"});
  EXPECT_NE(out.find("CAUSED"), std::string::npos) << out;

  EXPECT_EQ(suite.Stop(), 0) << suite.launch_log();
}

}  // namespace
}  // namespace itsm
