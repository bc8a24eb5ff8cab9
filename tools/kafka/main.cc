// itsm-kafka: the embedded Kafka-protocol broker for local runs and tests (librdkafka's mock
// cluster on loopback). It creates the suite's topics, writes its bootstrap address to a file
// (the mock cluster only listens on random ports), and runs until SIGTERM/SIGINT.
// Not for production: it keeps messages in memory only. See docs/operations.md.
//
// Fault injection for tests: SIGUSR1 takes every broker down (connections refused, as if Kafka
// were unreachable), SIGUSR2 brings them back with their data.
#include <signal.h>

#include <cstdio>

#include "absl/strings/str_split.h"
#include "itsm/kafkamock/mock_cluster.h"
#include "itsm/runtime/config.h"
#include "itsm/runtime/logging.h"
#include "itsm/supervisor/child_process.h"

int main(int argc, char** argv) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGUSR1);
  sigaddset(&stop, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  using itsm::runtime::IntOption;
  using itsm::runtime::StringOption;
  // Bounds: a mock cluster on loopback for local runs, where more brokers or partitions only
  // cost memory (about 5 MB per partition, docs/operations.md).
  itsm::runtime::Config config = itsm::runtime::Config::LoadOrExit(
      argc, argv, "kafka",
      {StringOption("bootstrap_file", "",
                    "Write the bootstrap servers (host:port,...) here once serving."),
       IntOption("brokers", 1, 1, 16, "Number of brokers in the cluster."),
       IntOption("partitions", 8, 1, 256, "Partitions of each topic created at start."),
       StringOption("topics",
                    "itsm.incident.v1,itsm.change.v1,itsm.config.v1,itsm.sla.v1,itsm.supplier.v1",
                    "Comma-separated topics to create at start (others are auto-created with 4 "
                    "partitions)."),
       itsm::runtime::LogLevelOption("info"), itsm::runtime::LogFormatOption("json")});
  itsm::runtime::log::Init("kafka", config.GetString("log_level"), config.GetString("log_format"));

  auto cluster = itsm::kafkamock::MockCluster::Start(static_cast<int>(config.GetInt("brokers")));
  if (!cluster.ok()) {
    itsm::runtime::log::Error("cannot start the mock cluster",
                              {{"error", cluster.status().ToString()}});
    return 1;
  }
  const int partitions = static_cast<int>(config.GetInt("partitions"));
  for (absl::string_view topic :
       absl::StrSplit(config.GetString("topics"), ',', absl::SkipEmpty())) {
    absl::Status created = (*cluster)->CreateTopic(std::string(topic), partitions);
    if (!created.ok()) {
      itsm::runtime::log::Error("cannot create topic",
                                {{"topic", topic}, {"error", created.ToString()}});
      return 1;
    }
  }
  const std::string& bootstrap = (*cluster)->bootstrap_servers();
  if (const std::string file = config.GetString("bootstrap_file"); !file.empty()) {
    absl::Status written = itsm::supervisor::WriteFileAtomically(file, bootstrap + "\n");
    if (!written.ok()) {
      itsm::runtime::log::Error("cannot write the bootstrap file", {{"error", written.ToString()}});
      return 1;
    }
  }
  itsm::runtime::log::Info("serving",
                           {{"bootstrap_servers", bootstrap}, {"partitions", partitions}});
  std::printf("%s\n", bootstrap.c_str());
  std::fflush(stdout);

  const int brokers = static_cast<int>(config.GetInt("brokers"));
  for (;;) {
    int sig = 0;
    sigwait(&stop, &sig);
    if (sig == SIGUSR1 || sig == SIGUSR2) {
      for (int id = 1; id <= brokers; ++id) (*cluster)->SetBrokerDown(id, sig == SIGUSR1);
      itsm::runtime::log::Info(sig == SIGUSR1 ? "brokers down" : "brokers up");
      continue;
    }
    break;
  }
  itsm::runtime::log::Info("stopped");
  return 0;
}
