// The newcomer's path, black box: itsm-launch starts the suite from a suite file, itsmctl talks
// to it through the endpoints file, and SIGTERM stops everything it started.
#include <signal.h>

#include <fstream>
#include <vector>

#include "itsm/supervisor/suite_service.h"
#include "launched_suite.h"

namespace itsm {
namespace {

TEST(LauncherEndToEnd, StartsTheSuiteServesItsmctlAndStopsEverything) {
  testing::LaunchedSuite suite({"incident"});
  ASSERT_NO_FATAL_FAILURE(suite.Start());

  const launcher::v1::Endpoints endpoints = suite.Endpoints();
  ASSERT_EQ(endpoints.services_size(), 1);
  const pid_t service_pid = endpoints.services(0).pid();
  EXPECT_TRUE(supervisor::IsServing(endpoints.services(0).grpc_address()));
  EXPECT_FALSE(endpoints.kafka_bootstrap_servers().empty());

  std::string out;
  EXPECT_EQ(suite.Itsmctl({"status"}, &out), 0) << out;
  EXPECT_NE(out.find("SERVING"), std::string::npos) << out;
  EXPECT_EQ(suite.Itsmctl({"incident", "create", "--title", "Launcher smoke", "--impact", "2",
                           "--urgency", "1"},
                          &out),
            0)
      << out;
  EXPECT_NE(out.find("created INC0000001 (P2, new)"), std::string::npos) << out;
  EXPECT_EQ(suite.Itsmctl({"--output", "json", "incident", "list"}, &out), 0) << out;
  EXPECT_NE(out.find("\"title\": \"Launcher smoke\""), std::string::npos) << out;
  // The proto3 JSON mapping, as the gateway will print it: lowerCamelCase names.
  EXPECT_NE(out.find("\"createTime\": "), std::string::npos) << out;
  EXPECT_EQ(out.find("\"create_time\""), std::string::npos) << out;
  EXPECT_EQ(suite.Itsmctl({"events", "tail", "itsm.incident.v1", "--from-beginning", "--count", "1",
                           "--timeout", "20"},
                          &out),
            0)
      << out;
  EXPECT_NE(out.find("itsm.incident.v1.IncidentCreated"), std::string::npos) << out;
  EXPECT_NE(out.find("Launcher smoke"), std::string::npos) << out;
  // Bad input: one clear line, non-zero exit.
  EXPECT_EQ(suite.Itsmctl({"incident", "create", "--title", "x", "--impact", "9", "--urgency", "1"},
                          &out),
            2);
  EXPECT_EQ(out, "error: impact: must be 1..3, got 9\n");

  EXPECT_EQ(suite.Stop(), 0) << suite.launch_log();
  EXPECT_NE(kill(service_pid, 0), 0) << "the service outlived the launcher";
  EXPECT_FALSE(std::filesystem::exists(suite.endpoints_file()));
  // A second start keeps the data.
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  EXPECT_EQ(suite.Itsmctl({"incident", "get", "INC0000001"}, &out), 0) << out;
  EXPECT_NE(out.find("Launcher smoke"), std::string::npos);
  EXPECT_EQ(suite.Stop(), 0);
}

// kill -9 of the launcher leaves nothing running: each process it started gets SIGTERM when it
// dies and shuts down as when stopped (so that the next start finds its ports free).
TEST(LauncherEndToEnd, KilledLauncherLeavesNoProcessBehind) {
  testing::LaunchedSuite suite({"incident", "sla"});
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  const launcher::v1::Endpoints endpoints = suite.Endpoints();
  std::vector<pid_t> started = {endpoints.kafka_pid()};
  for (const auto& service : endpoints.services()) started.push_back(service.pid());
  ASSERT_EQ(started.size(), 3u);
  for (pid_t pid : started) ASSERT_FALSE(testing::ProcessExited(pid)) << pid;

  suite.KillLauncher();
  EXPECT_TRUE(supervisor::WaitUntil(
                  [&] {
                    for (pid_t pid : started) {
                      if (!testing::ProcessExited(pid)) return false;
                    }
                    return true;
                  },
                  absl::Seconds(30), "the launcher's processes to end")
                  .ok())
      << suite.launch_log();
}

}  // namespace
}  // namespace itsm
