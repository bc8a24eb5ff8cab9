// The newcomer's path, black box: itsm-launch starts the suite from a suite file, itsmctl talks
// to it through the endpoints file, and SIGTERM stops everything it started.
#include <signal.h>

#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "itsm/storage/database.h"
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
  // The README's walk-through: a tail shows an event made as soon as it says it follows.
  std::string tail_log;
  auto tail = suite.StartItsmctl(
      {"events", "tail", "itsm.incident.v1", "--count", "1", "--timeout", "20"}, &tail_log);
  ASSERT_NE(tail, nullptr);
  EXPECT_TRUE(supervisor::WaitUntil(
                  [&] {
                    return supervisor::ReadFile(tail_log).value_or("").find("following") !=
                           std::string::npos;
                  },
                  absl::Seconds(20), "the tail says it follows")
                  .ok());
  EXPECT_EQ(suite.Itsmctl({"incident", "create", "--title", "Made as the tail began", "--impact",
                           "3", "--urgency", "3"},
                          &out),
            0)
      << out;
  EXPECT_EQ(tail->Wait(absl::Seconds(30)), 0) << supervisor::ReadFile(tail_log).value_or("");
  out = supervisor::ReadFile(tail_log).value_or("");
  EXPECT_NE(out.find("Made as the tail began"), std::string::npos) << out;
  EXPECT_EQ(out.find("Launcher smoke"), std::string::npos) << "began at the end, not before it";
  // A topic the broker does not have is said to be none, not followed forever (the embedded
  // broker creates a topic asked for by name).
  EXPECT_EQ(suite.Itsmctl({"events", "tail", "itsm.nope.v1", "--timeout", "3"}, &out), 1) << out;
  EXPECT_NE(out.find("topic: no topic itsm.nope.v1"), std::string::npos) << out;
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

// The embedded broker keeps nothing across starts: each service queues its retained events again
// before its relay's first round, so that the new broker gets them in the order they were
// written, those published to the broker now gone before an older one's later event still
// waiting. Queued later (as the launcher once did, by RepublishEvents once the service served),
// an older event could reach a consumer behind a newer one of its record (the SLA timer, which
// had not seen it, would take it for a replay).
TEST(LauncherEndToEnd, ANewEmbeddedBrokerGetsTheRetainedEventsInTheOrderWritten) {
  testing::LaunchedSuite suite({"incident"});
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  std::string out;
  ASSERT_EQ(
      suite.Itsmctl({"incident", "create", "--title", "Ordered", "--impact", "2", "--urgency", "2"},
                    &out),
      0)
      << out;
  ASSERT_EQ(suite.Itsmctl({"incident", "start", "INC0000001"}, &out), 0) << out;
  ASSERT_EQ(
      suite.Itsmctl({"incident", "resolve", "INC0000001", "--code", "fixed", "--notes", "rebooted"},
                    &out),
      0)
      << out;
  ASSERT_EQ(suite.Stop(), 0) << suite.launch_log();
  int64_t events = 0;
  {
    // As if the suite had stopped before the relay published the last event (the resolution):
    // it waits in the outbox; the ones before it were published to the broker now gone.
    auto db = storage::OpenDatabase("sqlite://" + suite.File("run/data/incident.db"));
    ASSERT_TRUE(db.ok()) << db.status();
    auto txn = (*db)->Begin(storage::TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    auto marked = (*txn)->Execute(
        "UPDATE outbox SET published_at_us = NULL WHERE id = (SELECT MAX(id) FROM outbox)");
    ASSERT_TRUE(marked.ok()) << marked.status();
    ASSERT_EQ(*marked, 1);
    auto rows = (*txn)->Query("SELECT COUNT(*) FROM outbox");
    ASSERT_TRUE(rows.ok() && rows->size() == 1) << rows.status();
    events = rows->row(0)[0].AsInt();
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  ASSERT_EQ(
      suite.Itsmctl({"--output", "json", "events", "tail", "itsm.incident.v1", "--from-beginning",
                     "--count", std::to_string(events), "--timeout", "30"},
                    &out),
      0)
      << out;
  const size_t created = out.find("itsm.incident.v1.IncidentCreated");
  const size_t resolved = out.find("itsm.incident.v1.IncidentResolved");
  ASSERT_NE(created, std::string::npos) << out;
  ASSERT_NE(resolved, std::string::npos) << out;
  EXPECT_LT(created, resolved) << out;
  // Queued by the service itself as it started, before its relay ran (the order above holds
  // however the relay's first round and the launcher's calls interleave): not by a call once it
  // served.
  auto log = supervisor::ReadFile(suite.File("run/logs/incident.log"));
  ASSERT_TRUE(log.ok());
  const size_t queued = log->rfind("re-publishing retained events to a new broker");
  const size_t serving = log->rfind("\"msg\":\"serving\"");
  ASSERT_NE(queued, std::string::npos) << *log;
  ASSERT_NE(serving, std::string::npos) << *log;
  EXPECT_LT(queued, serving) << *log;
  EXPECT_EQ(log->find("events queued for re-publishing"), std::string::npos) << *log;
  EXPECT_EQ(suite.Stop(), 0) << suite.launch_log();
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

// A launcher started again at once after a kill -9 of the last one waits for the processes that
// one left stopping (bound to their ports until their shutdown ends) and then serves the same
// data; a second launcher started while one runs is refused and changes nothing.
TEST(LauncherEndToEnd, AStartAfterAKilledLauncherWaitsForItsProcessesAndOneBesideItIsRefused) {
  // After SIGTERM the service answers NOT_SERVING for 5 s before it stops: the processes of the
  // killed launcher are still there when the next one starts.
  testing::LaunchedSuite suite({"incident"}, {{"ITSM_SHUTDOWN_GRACE_MS", "5000"}});
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  std::string out;
  ASSERT_EQ(suite.Itsmctl({"incident", "create", "--title", "Before the kill", "--impact", "2",
                           "--urgency", "1"},
                          &out),
            0)
      << out;
  const launcher::v1::Endpoints first = suite.Endpoints();
  ASSERT_EQ(first.services_size(), 1);
  const pid_t old_incident = first.services(0).pid();

  std::string refused;
  EXPECT_EQ(suite.LaunchAnother(&refused), 1) << refused;
  EXPECT_NE(refused.find(absl::StrCat("another itsm-launch (pid ", first.launcher_pid(), ")")),
            std::string::npos)
      << refused;
  EXPECT_EQ(suite.Endpoints().launcher_pid(), first.launcher_pid());
  EXPECT_TRUE(supervisor::IsServing(first.services(0).grpc_address()));

  suite.KillLauncher();
  ASSERT_FALSE(testing::ProcessExited(old_incident));  // in its 5 s of grace
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  EXPECT_TRUE(testing::ProcessExited(old_incident));
  const std::string log = suite.launch_log();
  EXPECT_NE(log.find("waiting for the processes of an earlier launch"), std::string::npos) << log;
  EXPECT_NE(log.find(absl::StrCat("itsm-incident (pid ", old_incident, ")")), std::string::npos)
      << log;
  EXPECT_EQ(suite.Itsmctl({"incident", "list"}, &out), 0) << out;
  EXPECT_NE(out.find("Before the kill"), std::string::npos) << out;
  EXPECT_EQ(suite.Stop(), 0) << suite.launch_log();
}

}  // namespace
}  // namespace itsm
