// The newcomer's path, black box: itsm-launch starts the suite from a suite file, itsmctl talks
// to it through the endpoints file, and SIGTERM stops everything it started.
#include <signal.h>

#include <filesystem>

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "itsm/launcher/v1/endpoints.pb.h"
#include "itsm/supervisor/child_process.h"
#include "itsm/supervisor/suite_service.h"
#include "itsm/testing/test_env.h"

namespace itsm {
namespace {

class LauncherEndToEnd : public ::testing::Test {
 protected:
  // Runs itsmctl against the suite; returns its exit code, its output in *out.
  int Itsmctl(const std::vector<std::string>& args, std::string* out) {
    auto binary = supervisor::FindSuiteBinary("itsmctl");
    EXPECT_TRUE(binary.ok());
    supervisor::ChildProcess::Options options;
    options.binary = *binary;
    options.args = {"--endpoints", dir_.File("run/endpoints.json")};
    options.args.insert(options.args.end(), args.begin(), args.end());
    const std::string log = dir_.File("itsmctl-" + std::to_string(calls_++) + ".out");
    options.log_file = log;
    auto proc = supervisor::ChildProcess::Start(options);
    EXPECT_TRUE(proc.ok());
    const int code = (*proc)->Wait(absl::Seconds(30));
    *out = supervisor::ReadFile(log).value_or("");
    return code;
  }

  itsm::testing::ScratchDir dir_;
  int calls_ = 0;
};

TEST_F(LauncherEndToEnd, StartsTheSuiteServesItsmctlAndStopsEverything) {
  const std::string suite = R"({
    "runDir": ")" + dir_.File("run") + R"(",
    "redis": {"port": )" + std::to_string(supervisor::FindFreePort()) + R"(},
    "kafka": {"partitions": 2, "topics": ["itsm.incident.v1"]},
    "services": [{"name": "incident", "grpcPort": 0, "metricsPort": 0}]
  })";
  ASSERT_TRUE(supervisor::WriteFileAtomically(dir_.File("suite.json"), suite).ok());
  auto launch_binary = supervisor::FindSuiteBinary("itsm-launch");
  ASSERT_TRUE(launch_binary.ok()) << launch_binary.status();
  supervisor::ChildProcess::Options options;
  options.binary = *launch_binary;
  options.args = {"--config", dir_.File("suite.json")};
  options.log_file = dir_.File("launch.log");
  auto launcher = supervisor::ChildProcess::Start(options);
  ASSERT_TRUE(launcher.ok());
  const std::string endpoints_file = dir_.File("run/endpoints.json");
  ASSERT_TRUE(supervisor::WaitUntil([&] { return std::filesystem::exists(endpoints_file); },
                                    absl::Seconds(60), "endpoints.json")
                  .ok())
      << supervisor::ReadFile(dir_.File("launch.log")).value_or("");

  launcher::v1::Endpoints endpoints;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*supervisor::ReadFile(endpoints_file),
                                                          &endpoints)
                  .ok());
  ASSERT_EQ(endpoints.services_size(), 1);
  const pid_t service_pid = endpoints.services(0).pid();
  EXPECT_TRUE(supervisor::IsServing(endpoints.services(0).grpc_address()));
  EXPECT_FALSE(endpoints.kafka_bootstrap_servers().empty());

  std::string out;
  EXPECT_EQ(Itsmctl({"status"}, &out), 0) << out;
  EXPECT_NE(out.find("SERVING"), std::string::npos) << out;
  EXPECT_EQ(Itsmctl({"incident", "create", "--title", "Launcher smoke", "--impact", "2",
                     "--urgency", "1"},
                    &out),
            0)
      << out;
  EXPECT_NE(out.find("created INC0000001 (P2, new)"), std::string::npos) << out;
  EXPECT_EQ(Itsmctl({"--output", "json", "incident", "list"}, &out), 0) << out;
  EXPECT_NE(out.find("\"title\": \"Launcher smoke\""), std::string::npos) << out;
  EXPECT_EQ(Itsmctl({"events", "tail", "itsm.incident.v1", "--from-beginning", "--count", "1",
                     "--timeout", "20"},
                    &out),
            0)
      << out;
  EXPECT_NE(out.find("itsm.incident.v1.IncidentCreated"), std::string::npos) << out;
  EXPECT_NE(out.find("Launcher smoke"), std::string::npos) << out;
  // Bad input: one clear line, non-zero exit.
  EXPECT_EQ(Itsmctl({"incident", "create", "--title", "x", "--impact", "9", "--urgency", "1"}, &out), 2);
  EXPECT_EQ(out, "error: impact: must be 1..3, got 9\n");

  EXPECT_EQ((*launcher)->Stop(absl::Seconds(60)), 0)
      << supervisor::ReadFile(dir_.File("launch.log")).value_or("");
  EXPECT_NE(kill(service_pid, 0), 0) << "the service outlived the launcher";
  EXPECT_FALSE(std::filesystem::exists(endpoints_file));
  // A second start keeps the data.
  auto again = supervisor::ChildProcess::Start(options);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(supervisor::WaitUntil([&] { return std::filesystem::exists(endpoints_file); },
                                    absl::Seconds(60), "endpoints.json again")
                  .ok());
  EXPECT_EQ(Itsmctl({"incident", "get", "INC0000001"}, &out), 0) << out;
  EXPECT_NE(out.find("Launcher smoke"), std::string::npos);
  EXPECT_EQ((*again)->Stop(absl::Seconds(60)), 0);
}

}  // namespace
}  // namespace itsm
