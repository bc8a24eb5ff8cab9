// A whole suite started the way a user starts it — itsm-launch with a suite file — in a scratch
// folder, on free ports, and driven with the real itsmctl. Shared by the black-box tests.
#ifndef ITSM_TESTS_INTEGRATION_LAUNCHED_SUITE_H_
#define ITSM_TESTS_INTEGRATION_LAUNCHED_SUITE_H_

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "itsm/launcher/v1/endpoints.pb.h"
#include "itsm/runtime/grpc_tls.h"
#include "itsm/runtime/outbound_identity.h"
#include "itsm/supervisor/child_process.h"
#include "itsm/testing/test_env.h"

namespace itsm::testing {

// The word after `marker` in itsmctl's output, up to a space, line end, quote or comma:
// WordAfter("created INC0000001 (P1, new)  id 0a1b...", " id ") is the id.
inline std::string WordAfter(const std::string& text, const std::string& marker) {
  const size_t at = text.find(marker);
  if (at == std::string::npos) return "";
  const size_t start = at + marker.size();
  return text.substr(start, text.find_first_of(" \n\",", start) - start);
}

// Gone, or a zombie nobody reaped yet (a container's first process may never reap): the process
// runs no more either way.
inline bool ProcessExited(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const size_t after_name = line.rfind(')');
  return after_name != std::string::npos && line.size() > after_name + 2 &&
         (line[after_name + 2] == 'Z' || line[after_name + 2] == 'X');
}

class LaunchedSuite {
 public:
  // `services`: the services to run, in start order (each finds those started before it
  // through the ITSM_<NAME>_ADDRESS the launcher passes on). `env`: settings every service gets
  // (the suite file's env of each, e.g. ITSM_SHUTDOWN_GRACE_MS). `tls`: the suite file's
  // tls.enabled (mutual TLS between the processes, HTTPS at the gateway).
  explicit LaunchedSuite(const std::vector<std::string>& services,
                         const std::map<std::string, std::string>& env = {}, bool tls = false) {
    std::vector<std::string> settings;
    for (const auto& [name, value] : env) {
      settings.push_back(absl::StrCat(R"(")", name, R"(": ")", value, R"(")"));
    }
    std::vector<std::string> entries;
    for (const auto& name : services) {
      entries.push_back(absl::StrCat(R"({"name": ")", name,
                                     R"(", "grpcPort": 0, "metricsPort": 0, "env": {)",
                                     absl::StrJoin(settings, ", "), "}}"));
    }
    suite_ = absl::StrCat(
        R"({"runDir": ")", dir_.File("run"), R"(", "redis": {"port": )", supervisor::FindFreePort(),
        R"(}, "kafka": {"partitions": 2}, "tls": {"enabled": )", tls ? "true" : "false",
        R"(}, "reservePorts": false, "services": [)", absl::StrJoin(entries, ", "), "]}");
  }

  // The suite a user runs (a suite file such as deploy/local/suite.json), moved to the scratch
  // folder and to free ports: every service's gRPC, metrics and HTTP port, and Redis', become
  // 0 or free; what it runs and each service's own settings stay as written.
  struct FromSuiteFile {};
  LaunchedSuite(FromSuiteFile, const std::string& path) {
    auto text = supervisor::ReadFile(path);
    EXPECT_TRUE(text.ok()) << text.status();
    launcher::v1::SuiteConfig suite;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(text.value_or("{}"), &suite).ok())
        << path;
    suite.set_run_dir(dir_.File("run"));
    suite.set_reserve_ports(false);  // random ports: nothing worth keeping reserved
    suite.mutable_redis()->set_port(supervisor::FindFreePort());
    for (auto& service : *suite.mutable_services()) {
      service.set_grpc_port(0);
      service.set_metrics_port(0);
      if (service.env().contains("ITSM_HTTP_PORT"))
        (*service.mutable_env())["ITSM_HTTP_PORT"] = "0";
    }
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(suite, &suite_).ok());
  }

  // Starts itsm-launch and waits (up to `timeout`) for its endpoints file (its own: one a
  // killed launcher left behind does not count).
  void Start(absl::Duration timeout = absl::Seconds(60)) {
    ASSERT_TRUE(supervisor::WriteFileAtomically(dir_.File("suite.json"), suite_).ok());
    auto binary = supervisor::FindSuiteBinary("itsm-launch");
    ASSERT_TRUE(binary.ok()) << binary.status();
    options_.binary = *binary;
    options_.args = {"--config", dir_.File("suite.json")};
    options_.log_file = dir_.File("launch.log");
    auto launcher = supervisor::ChildProcess::Start(options_);
    ASSERT_TRUE(launcher.ok());
    launcher_ = std::move(*launcher);
    const pid_t pid = launcher_->pid();
    ASSERT_TRUE(supervisor::WaitUntil(
                    [&] {
                      launcher::v1::Endpoints endpoints;
                      auto text = supervisor::ReadFile(endpoints_file());
                      return text.ok() &&
                             google::protobuf::util::JsonStringToMessage(*text, &endpoints).ok() &&
                             endpoints.launcher_pid() == pid;
                    },
                    timeout, "endpoints.json")
                    .ok())
        << supervisor::ReadFile(dir_.File("launch.log")).value_or("");
  }

  // Runs a second itsm-launch on the same suite file while this one runs; its exit code, its
  // output in *out.
  int LaunchAnother(std::string* out) {
    supervisor::ChildProcess::Options options = options_;
    options.log_file = dir_.File("launch-another.log");
    auto other = supervisor::ChildProcess::Start(options);
    EXPECT_TRUE(other.ok());
    if (!other.ok()) return -1;
    const int code = (*other)->Wait(absl::Seconds(60));
    *out = supervisor::ReadFile(options.log_file).value_or("");
    return code;
  }

  // SIGTERM to the launcher; its exit code.
  int Stop() { return launcher_->Stop(absl::Seconds(60)); }
  // SIGKILL to the launcher, as a crash or an OOM kill would; reaps it.
  void KillLauncher() { launcher_->Kill(); }
  // SIGKILL to the embedded broker, which loses every event it held: the launcher stops the
  // rest of the suite and exits. Its exit code.
  int KillBroker() {
    const int pid = Endpoints().kafka_pid();
    EXPECT_GT(pid, 0);
    if (pid > 0) ::kill(pid, SIGKILL);
    return launcher_->Wait(absl::Seconds(60));
  }

  // Runs itsmctl against the suite; returns its exit code, its output (stdout and stderr) in *out.
  int Itsmctl(const std::vector<std::string>& args, std::string* out) {
    std::string log;
    auto proc = StartItsmctl(args, &log);
    const int code = proc ? proc->Wait(absl::Seconds(60)) : -1;
    *out = supervisor::ReadFile(log).value_or("");
    return code;
  }
  // Starts itsmctl against the suite and leaves it running; its output goes to *log (a file).
  std::unique_ptr<supervisor::ChildProcess> StartItsmctl(const std::vector<std::string>& args,
                                                         std::string* log) {
    auto binary = supervisor::FindSuiteBinary("itsmctl");
    EXPECT_TRUE(binary.ok());
    supervisor::ChildProcess::Options options;
    options.binary = *binary;
    options.args = {"--endpoints", endpoints_file()};
    options.args.insert(options.args.end(), args.begin(), args.end());
    *log = dir_.File("itsmctl-" + std::to_string(calls_++) + ".out");
    options.log_file = *log;
    auto proc = supervisor::ChildProcess::Start(options);
    EXPECT_TRUE(proc.ok()) << proc.status();
    return proc.ok() ? std::move(*proc) : nullptr;
  }

  std::string endpoints_file() const { return dir_.File("run/endpoints.json"); }
  // A file in the test's scratch folder (the run directory is "run").
  std::string File(const std::string& name) const { return dir_.File(name); }
  // What the running launcher wrote to endpoints.json (every service's addresses and pid, the
  // broker's bootstrap servers).
  launcher::v1::Endpoints Endpoints() const {
    launcher::v1::Endpoints endpoints;
    auto text = supervisor::ReadFile(endpoints_file());
    EXPECT_TRUE(text.ok()) << text.status();
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(text.value_or("{}"), &endpoints).ok());
    return endpoints;
  }
  // The gRPC address of the running service `name` ("" if it does not run).
  std::string GrpcAddress(const std::string& name) const {
    const launcher::v1::Endpoints endpoints = Endpoints();
    for (const auto& service : endpoints.services()) {
      if (service.name() == name) return service.grpc_address();
    }
    return "";
  }
  // The host and port of the running service's HTTP address (the gateway's `httpUrl`
  // http://host:port); port 0 when it has none.
  std::pair<std::string, int> HttpHostPort(const std::string& name) const {
    const launcher::v1::Endpoints endpoints = Endpoints();
    for (const auto& service : endpoints.services()) {
      absl::string_view url = service.http_url();
      if (service.name() != name || !absl::ConsumePrefix(&url, "http://")) continue;
      const size_t colon = url.rfind(':');
      int port = 0;
      if (colon == absl::string_view::npos || !absl::SimpleAtoi(url.substr(colon + 1), &port)) {
        continue;
      }
      return {std::string(url.substr(0, colon)), port};
    }
    return {"", 0};
  }
  // A channel to the running service `name` whose calls carry `identity`, signed with the
  // suite's key as itsmctl signs its user's.
  std::shared_ptr<grpc::Channel> Channel(const std::string& name, auth::Identity identity) const {
    const launcher::v1::LocalAuth local = Endpoints().auth();
    auto signed_identity = runtime::OutboundIdentity::FromKeyFile(
        local.signing_key_file(), local.issuer(), local.audience(), std::move(identity));
    EXPECT_TRUE(signed_identity.ok()) << signed_identity.status();
    return runtime::OutboundChannel(GrpcAddress(name), signed_identity.value_or(nullptr),
                                    Credentials());
  }
  // What itsmctl presents: the client certificate the launcher issued when the suite runs TLS,
  // plaintext otherwise.
  std::shared_ptr<grpc::ChannelCredentials> Credentials() const {
    const launcher::v1::LocalTls tls = Endpoints().tls();
    auto credentials = runtime::GrpcTls::FromFiles({.cert_file = tls.client_cert_file(),
                                                    .key_file = tls.client_key_file(),
                                                    .ca_file = tls.ca_file()});
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    return credentials.ok() ? credentials->ChannelCredentials() : nullptr;
  }
  // "Bearer <token>" for `identity`, signed with the suite's key (for HTTP through the gateway).
  std::string Authorization(auth::Identity identity) const {
    const launcher::v1::LocalAuth local = Endpoints().auth();
    auto signed_identity = runtime::OutboundIdentity::FromKeyFile(
        local.signing_key_file(), local.issuer(), local.audience(), std::move(identity));
    EXPECT_TRUE(signed_identity.ok()) << signed_identity.status();
    if (!signed_identity.ok()) return "";
    return (*signed_identity)->AuthorizationHeader().value_or("");
  }
  // The same for an administrator named "test-admin".
  std::shared_ptr<grpc::Channel> AdminChannel(const std::string& name) const {
    return Channel(name, {.subject = "test-admin", .roles = {common::v1::ROLE_ADMIN}});
  }
  // What service `name` logged (its log file in the run folder).
  std::string ServiceLog(const std::string& name) const {
    return supervisor::ReadFile(dir_.File("run") + "/logs/" + name + ".log").value_or("");
  }
  std::string launch_log() const {
    return supervisor::ReadFile(dir_.File("launch.log")).value_or("");
  }

 private:
  ScratchDir dir_;
  std::string suite_;
  supervisor::ChildProcess::Options options_;
  std::unique_ptr<supervisor::ChildProcess> launcher_;
  int calls_ = 0;
};

// Runs `args` (a program and its arguments, e.g. python3 and a checker) to its end, up to five
// minutes; its exit code, its output (stdout and stderr) in *out, also kept in `log`.
inline int RunTool(const std::vector<std::string>& args, const std::string& log, std::string* out) {
  supervisor::ChildProcess::Options options;
  options.binary = args.front();
  options.args.assign(args.begin() + 1, args.end());
  options.log_file = log;
  auto proc = supervisor::ChildProcess::Start(options);
  EXPECT_TRUE(proc.ok()) << proc.status();
  if (!proc.ok()) return -1;
  const int code = (*proc)->Wait(absl::Seconds(300));
  *out = supervisor::ReadFile(log).value_or("");
  return code;
}

}  // namespace itsm::testing

#endif  // ITSM_TESTS_INTEGRATION_LAUNCHED_SUITE_H_
