// One of the suite's own services (itsm-<name>) started as a child process: with port 0 and a
// ready file, so that it binds free ports without a race and tells us which, then polled with
// the standard gRPC health check until SERVING.
#ifndef ITSM_SUPERVISOR_SUITE_SERVICE_H_
#define ITSM_SUPERVISOR_SUITE_SERVICE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/supervisor/child_process.h"

namespace grpc {
class ChannelCredentials;
}  // namespace grpc

namespace itsm::supervisor {

// The environment variable (option outbox_republish_on_start) that tells a service, at its first
// start with a new embedded broker, to queue its retained events again before it publishes.
inline constexpr char kRepublishOnStartEnv[] = "ITSM_OUTBOX_REPUBLISH_ON_START";

class SuiteService {
 public:
  struct Options {
    std::string name;  // "incident" runs itsm-incident
    // The program when it is not the name: "sla-timer" for a process named "change-sla-timer".
    std::string program = {};
    std::string dir;  // data folder (ITSM_DATA_DIR) and where the ready file goes
    // 0 for a free port, reported back through the ready file.
    int grpc_port = 0;
    int metrics_port = 0;
    std::vector<std::pair<std::string, std::string>> env;  // ITSM_* settings
    std::string log_file;
    absl::Duration start_timeout = absl::Seconds(30);
    // How the health checks reach it: runtime::GrpcTls::ChannelCredentials() of the suite's
    // client certificate when its services run mutual TLS; null is plaintext.
    std::shared_ptr<grpc::ChannelCredentials> credentials = {};
  };

  // Starts the process and waits until it serves (or fails, or start_timeout passes).
  static absl::StatusOr<std::unique_ptr<SuiteService>> Start(const Options& options);

  // The same without waiting, for a caller that must not block (the launcher's loop, which
  // restarts a crashed service while it keeps watching the others): starts the process and
  // returns at once; then call PollReady() until it answers true.
  static absl::StatusOr<std::unique_ptr<SuiteService>> Launch(const Options& options);
  // One look, a health check at most (`health_timeout`): true once the process serves (the
  // addresses below are then set); false while it starts; an error when it exited during start
  // or did not serve within start_timeout (not counting its database migrations). The process
  // is left as it is in every case: the caller stops or kills it.
  absl::StatusOr<bool> PollReady(absl::Duration health_timeout = absl::Milliseconds(500));

  // The options that start this service again where it serves now: its bound gRPC, metrics
  // and (for the gateway) HTTP ports instead of the 0 it may have been given, so that the
  // addresses the other services and endpoints.json hold stay right. A start that failed
  // before it reported its ports gives back the options it was started with.
  // Its env drops kRepublishOnStartEnv: a restart meets the broker its first start published to.
  Options RestartOptions() const;

  const std::string& name() const { return name_; }
  const std::string& grpc_address() const { return grpc_address_; }
  const std::string& metrics_address() const { return metrics_address_; }
  // host:port of its HTTP listener; empty for a service without one (all but the gateway).
  const std::string& http_address() const { return http_address_; }
  ChildProcess& process() { return *process_; }
  // SIGTERM and wait for the graceful exit; returns the exit code.
  int Stop(absl::Duration grace = absl::Seconds(15)) { return process_->Stop(grace); }

 private:
  Options options_;
  std::string what_;  // how errors name the process
  std::string ready_file_;
  std::string migrating_file_;
  // Where its log ended when this process started: what it says comes after.
  int64_t log_start_ = 0;
  absl::Time deadline_;
  bool ready_ = false;
  std::string name_;
  std::string grpc_address_;
  std::string metrics_address_;
  std::string http_address_;
  std::unique_ptr<ChildProcess> process_;
};

// Asks grpc.health.v1.Health/Check for `service` ("" = the whole server); true when SERVING.
// `credentials` as in SuiteService::Options (null: plaintext).
bool IsServing(const std::string& grpc_address, const std::string& service = "",
               absl::Duration timeout = absl::Milliseconds(500),
               std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

// GET http://<address>/metrics, the body; UNAVAILABLE when nothing answers.
absl::StatusOr<std::string> ScrapeMetrics(const std::string& address);

}  // namespace itsm::supervisor

#endif  // ITSM_SUPERVISOR_SUITE_SERVICE_H_
