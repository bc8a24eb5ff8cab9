#include "itsm/supervisor/suite_service.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "itsm/base/ready_file.h"
#include "itsm/base/status_macros.h"
#include "itsm/launcher/v1/endpoints.pb.h"

namespace itsm::supervisor {

namespace {

// The port of "host:port" ("[::1]:port" too); 0 when there is none.
int PortOf(const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) return 0;
  return port;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SuiteService>> SuiteService::Start(const Options& options) {
  ITSM_ASSIGN_OR_RETURN(std::unique_ptr<SuiteService> service, Launch(options));
  for (;;) {
    // An error returns the service, whose destructor kills the process: a start that failed
    // leaves nothing behind.
    ITSM_ASSIGN_OR_RETURN(const bool ready, service->PollReady());
    if (ready) return service;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

absl::StatusOr<std::unique_ptr<SuiteService>> SuiteService::Launch(const Options& options) {
  const std::string program = options.program.empty() ? options.name : options.program;
  ITSM_ASSIGN_OR_RETURN(std::string binary, FindSuiteBinary("itsm-" + program));
  auto service = std::unique_ptr<SuiteService>(new SuiteService());
  service->options_ = options;
  // How errors name the process: its program, and its name when that differs
  // ("itsm-sla-timer (change-sla-timer)").
  service->what_ = program == options.name
                       ? "itsm-" + program
                       : absl::StrCat("itsm-", program, " (", options.name, ")");
  // A data folder that cannot be written (read-only, gone) fails this start, which the caller
  // retries with backoff: thrown, it would end the launcher and every service with it.
  std::error_code error;
  std::filesystem::create_directories(options.dir, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("cannot create ", options.dir, " for ",
                                               service->what_, ": ", error.message()));
  }
  // Removed first: a restart must not take the ready file of the process before it.
  service->ready_file_ = options.dir + "/" + options.name + ".ready.json";
  service->migrating_file_ = base::MigratingFileOf(service->ready_file_);
  for (const std::string& file : {service->ready_file_, service->migrating_file_}) {
    std::filesystem::remove(file, error);
    if (error) {
      return absl::UnavailableError(absl::StrCat("cannot remove ", file, " before starting ",
                                                 service->what_, ": ", error.message()));
    }
  }

  ChildProcess::Options child;
  child.binary = binary;
  child.env = options.env;
  child.env.emplace_back("ITSM_DATA_DIR", options.dir);
  child.env.emplace_back("ITSM_GRPC_PORT", std::to_string(options.grpc_port));
  child.env.emplace_back("ITSM_METRICS_PORT", std::to_string(options.metrics_port));
  child.env.emplace_back("ITSM_READY_FILE", service->ready_file_);
  // The suite's name of the process, not its program's: change-sla-timer runs itsm-sla-timer.
  child.env.emplace_back("ITSM_SERVICE_NAME", options.name);
  child.log_file = options.log_file;

  service->name_ = options.name;
  service->log_start_ = FileSize(options.log_file);
  ITSM_ASSIGN_OR_RETURN(service->process_, ChildProcess::Start(child));
  service->deadline_ = absl::Now() + options.start_timeout;
  return service;
}

absl::StatusOr<bool> SuiteService::PollReady(absl::Duration health_timeout) {
  if (ready_) return true;
  if (!process_->Running()) {
    // What the process said last is usually why (a setting out of bounds, a port taken): the
    // operator reads it here, not only in the process's log.
    const std::string said = LastLogLine(options_.log_file, log_start_);
    return absl::UnavailableError(absl::StrCat(
        what_, " exited during start (",
        process_->exit_status() ? DescribeExit(*process_->exit_status()) : "exit unknown", ")",
        said.empty() ? "" : ": ", said, "; see ", options_.log_file));
  }
  const absl::Time now = absl::Now();
  if (grpc_address_.empty()) {
    std::error_code error;  // an unreadable folder is "not there yet", never a throw
    if (!std::filesystem::exists(ready_file_, error)) {
      // A migration may take minutes on a large database (incident migration 7 copies its
      // table): the timeout counts the time the process is not migrating, so that a first start
      // after an upgrade is not killed half-way, rolled back and begun again at every try.
      if (std::filesystem::exists(migrating_file_, error)) {
        deadline_ = now + options_.start_timeout;
      } else if (now >= deadline_) {
        return absl::DeadlineExceededError(
            absl::StrCat(what_, " not ready after ", absl::FormatDuration(options_.start_timeout),
                         " (not counting its database migrations)"));
      }
      return false;
    }
    ITSM_ASSIGN_OR_RETURN(std::string json, ReadFile(ready_file_));
    launcher::v1::ReadyFile ready;
    if (!google::protobuf::util::JsonStringToMessage(json, &ready).ok()) {
      return absl::InternalError(absl::StrCat("unreadable ready file ", ready_file_, ": ", json));
    }
    grpc_address_ = ready.grpc_address();
    metrics_address_ = ready.metrics_address();
    http_address_ = ready.http_address();
    // The health check has a start_timeout of its own, as it had when it was a second wait.
    deadline_ = now + options_.start_timeout;
  }
  if (IsServing(grpc_address_, "", health_timeout, options_.credentials)) {
    ready_ = true;
    return true;
  }
  if (!process_->Running()) {
    return absl::UnavailableError(absl::StrCat(what_, " exited during start"));
  }
  if (absl::Now() >= deadline_) {
    return absl::DeadlineExceededError(absl::StrCat(what_, " health not ready after ",
                                                    absl::FormatDuration(options_.start_timeout)));
  }
  return false;
}

SuiteService::Options SuiteService::RestartOptions() const {
  // A start that failed before the ready file was read knows no bound port: the options it was
  // started with (a restart's already name the ports of the first start) are the right ones.
  if (grpc_address_.empty()) return options_;
  Options options = options_;
  // It served: what it was told to do once at its first start (re-publish its retained events
  // to a new broker) is done, and a restart meets the same broker.
  std::erase_if(options.env, [](const auto& entry) { return entry.first == kRepublishOnStartEnv; });
  options.grpc_port = PortOf(grpc_address_);
  options.metrics_port = PortOf(metrics_address_);
  // In place of the suite file's ITSM_HTTP_PORT (0 in tests).
  if (!http_address_.empty()) {
    std::erase_if(options.env, [](const auto& entry) { return entry.first == "ITSM_HTTP_PORT"; });
    options.env.emplace_back("ITSM_HTTP_PORT", std::to_string(PortOf(http_address_)));
  }
  return options;
}

bool IsServing(const std::string& grpc_address, const std::string& service, absl::Duration timeout,
               std::shared_ptr<grpc::ChannelCredentials> credentials) {
  auto channel = grpc::CreateChannel(
      grpc_address, credentials != nullptr ? credentials : grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&ctx, request, &response);
  return status.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

absl::StatusOr<std::string> ScrapeMetrics(const std::string& address) {
  // A minimal HTTP/1.0 GET: enough for our own exporter, and no HTTP client library needed.
  std::vector<std::string> parts = absl::StrSplit(address, ':');
  int port = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &port)) {
    return absl::InvalidArgumentError("metrics address must be host:port, got " + address);
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, parts[0] == "localhost" ? "127.0.0.1" : parts[0].c_str(), &addr.sin_addr);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return absl::UnavailableError("nothing listens on " + address);
  }
  const std::string request = "GET /metrics HTTP/1.0\r\nHost: " + address + "\r\n\r\n";
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return absl::UnavailableError("cannot send to " + address);
  }
  std::string response;
  char buf[16384];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) response.append(buf, n);
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.", 0) != 0 || body == std::string::npos) {
    return absl::UnavailableError("not an HTTP response from " + address);
  }
  if (response.find(" 200 ") == std::string::npos || response.find(" 200 ") > body) {
    return absl::UnavailableError("HTTP error from " + address + ": " + response.substr(0, 40));
  }
  return response.substr(body + 4);
}

}  // namespace itsm::supervisor
