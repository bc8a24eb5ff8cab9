// Issue 14, black box: itsm-launch starts the configuration and change services, itsmctl builds a
// small CMDB (an application that depends on a database, a critical business service on top),
// and a change to the database goes through assessment (risk from the CMDB), the CAB, a
// schedule that conflicts with a change to the application (found through the CMDB, with the
// path), an override, implementation, an incident on the application linked as possibly caused
// by it (the incident service's event, consumed by the change service), a failed outcome and its
// review — on the calendar, in the iCalendar export and as events on itsm.change.v1.
#include "launched_suite.h"

namespace itsm {
namespace {

class ChangeEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(suite_.Start()); }
  void TearDown() override { EXPECT_EQ(suite_.Stop(), 0) << suite_.launch_log(); }

  // Runs itsmctl as `actor`; expects exit code 0 and returns the output.
  std::string Ok(std::vector<std::string> args, const std::string& actor = "agent") {
    args.insert(args.begin(), {"--actor", actor});
    std::string out;
    EXPECT_EQ(suite_.Itsmctl(args, &out), 0) << absl::StrJoin(args, " ") << "\n" << out;
    return out;
  }

  testing::LaunchedSuite suite_{{"configuration", "change", "incident"}};
};

TEST_F(ChangeEndToEnd, DatabaseChangeConflictsWithTheApplicationThatDependsOnIt) {
  Ok({"ci", "create", "--class", "database", "--name", "db-01", "--status", "live"});
  Ok({"ci", "create", "--class", "application", "--name", "app-01", "--status", "live"});
  Ok({"ci", "create", "--class", "business_service", "--name", "billing", "--status", "live",
      "--criticality", "critical"});
  Ok({"ci", "rel", "add", "application/app-01", "depends_on", "database/db-01"});
  Ok({"ci", "rel", "add", "business_service/billing", "depends_on", "application/app-01"});

  Ok({"change", "create", "--title", "Patch the application", "--ci", "application/app-01"});
  Ok({"change", "move", "CHG0000001", "assess"});
  Ok({"change", "move", "CHG0000001", "authorise"});
  // An actor beyond ASCII is signed into the token (a gRPC header could not carry it).
  Ok({"change", "approve", "CHG0000001", "--comment", "fine"}, "j\u00fcrgen@corp");
  EXPECT_NE(Ok({"change", "history", "CHG0000001"}).find("j\u00fcrgen@corp"), std::string::npos);
  Ok({"change", "schedule", "CHG0000001", "--start", "2030-01-05T10:00:00Z", "--end",
      "2030-01-05T12:00:00Z"});

  std::string out = Ok({"change", "create", "--title", "Upgrade the database", "--ci",
                        "database/db-01", "--answer", "outage=full"});
  EXPECT_NE(out.find("created CHG0000002 (new, risk high)"), std::string::npos) << out;
  Ok({"change", "move", "CHG0000002", "assess"});
  out = Ok({"change", "move", "CHG0000002", "authorise"});
  EXPECT_NE(out.find("change manager, then CAB"), std::string::npos) << out;
  Ok({"change", "approve", "CHG0000002", "--comment", "ok"}, "cm");
  out = Ok({"change", "approve", "CHG0000002", "--comment", "ok for the CAB"}, "cab-1");
  EXPECT_NE(out.find("approved"), std::string::npos) << out;
  out = Ok({"change", "schedule", "CHG0000002", "--start", "2030-01-05T11:00:00Z", "--end",
            "2030-01-05T13:00:00Z"});
  EXPECT_NE(out.find("dependent_ci"), std::string::npos) << out;
  EXPECT_NE(out.find("database/db-01 -> application/app-01"), std::string::npos) << out;

  std::string refused;
  EXPECT_EQ(suite_.Itsmctl({"change", "move", "CHG0000002", "scheduled"}, &refused), 1);
  EXPECT_NE(refused.find("overridden"), std::string::npos) << refused;
  Ok({"change", "override", "CHG0000002", "--reason", "the app team is on the call"}, "cm");
  Ok({"change", "move", "CHG0000002", "scheduled"});

  out =
      Ok({"change", "calendar", "--from", "2030-01-05T00:00:00Z", "--to", "2030-01-06T00:00:00Z"});
  EXPECT_NE(out.find("dependent_ci CHG0000001 (overridden)"), std::string::npos) << out;
  // Filtered by the CI's class/name, as by its id.
  out = Ok({"change", "calendar", "--from", "2030-01-05T00:00:00Z", "--to", "2030-01-06T00:00:00Z",
            "--ci", "database/db-01"});
  EXPECT_NE(out.find("CHG0000002 Upgrade the database"), std::string::npos) << out;
  EXPECT_EQ(out.find("CHG0000001 Patch the application"), std::string::npos) << out;
  out = Ok({"change", "ics", "--from", "2030-01-05T00:00:00Z", "--to", "2030-01-06T00:00:00Z"});
  // The file the server made, CRLF line ends kept (`itsmctl change ics > changes.ics`).
  EXPECT_NE(out.find("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("SUMMARY:CHG0000002 Upgrade the database"), std::string::npos) << out;

  Ok({"change", "move", "CHG0000002", "implement"});
  // An incident on the application while its database is being changed: the change service
  // links it from the incident topic, through the CMDB.
  out = Ok({"incident", "create", "--title", "Checkout fails", "--impact", "2", "--urgency", "2",
            "--ci", "application/app-01"});
  const std::string incident = out.substr(out.find("INC"), 10);
  std::string shown;
  EXPECT_TRUE(supervisor::WaitUntil(
                  [&] {
                    shown.clear();
                    return suite_.Itsmctl({"change", "get", "CHG0000002"}, &shown) == 0 &&
                           shown.find("caused incident " + incident) != std::string::npos;
                  },
                  absl::Seconds(60), "the incident linked to the change")
                  .ok())
      << shown;
  EXPECT_NE(shown.find("which depends on database/db-01"), std::string::npos) << shown;
  EXPECT_EQ(suite_.Itsmctl({"change", "get", "CHG0000001"}, &out), 0);
  EXPECT_EQ(out.find("caused incident"), std::string::npos) << out;  // scheduled, not implemented
  Ok({"change", "move", "CHG0000002", "review", "--outcome", "failed"});
  EXPECT_EQ(suite_.Itsmctl({"change", "move", "CHG0000002", "closed"}, &refused), 1);
  out = Ok({"change", "move", "CHG0000002", "closed", "--review", "lock contention; backed out"});
  EXPECT_NE(out.find("closed"), std::string::npos) << out;

  // Every event so far, until the tail times out (re-checks add a varying few, so there is no
  // exact count to stop at): all were published before the link was shown.
  out.clear();
  suite_.Itsmctl(
      {"events", "tail", "itsm.change.v1", "--from-beginning", "--count", "1000", "--timeout", "6"},
      &out);
  EXPECT_NE(out.find("itsm.change.v1.ChangeConflictsChanged"), std::string::npos) << out;
  EXPECT_NE(out.find("itsm.change.v1.ChangeIncidentLinked"), std::string::npos) << out;
  EXPECT_NE(out.find("itsm.change.v1.ChangeApprovalDecided"), std::string::npos) << out;

  // A CI the CMDB does not know is refused, naming the field.
  EXPECT_EQ(suite_.Itsmctl({"change", "create", "--title", "x", "--ci", "server/nope"}, &refused),
            2);
  EXPECT_EQ(refused.rfind("error: configuration_item_ids[0]:", 0), 0u) << refused;

  // A CI named alone, as incidents name one (the configuration library's lookup): the one CI
  // bearing the name; refused, naming the field, once two bear it.
  const auto cis_of = [&](const std::string& change) {
    const std::string shown = Ok({"change", "get", change});
    const size_t at = shown.find("\ncis");
    return shown.substr(at, shown.find('\n', at + 1) - at);
  };
  out = Ok({"change", "create", "--title", "Restart the database", "--ci", "db-01"});
  EXPECT_NE(out.find("created CHG0000003"), std::string::npos) << out;
  EXPECT_EQ(cis_of("CHG0000003"), cis_of("CHG0000002"));
  Ok({"ci", "create", "--class", "server", "--name", "db-01", "--status", "live"});
  EXPECT_EQ(suite_.Itsmctl({"change", "create", "--title", "x", "--ci", "db-01"}, &refused), 2);
  EXPECT_EQ(refused.rfind("error: configuration_item_ids[0]: no CI \"db-01\"", 0), 0u) << refused;
}

}  // namespace
}  // namespace itsm
