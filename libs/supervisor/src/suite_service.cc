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

absl::StatusOr<std::unique_ptr<SuiteService>> SuiteService::Start(const Options& options) {
  const std::string program = options.program.empty() ? options.name : options.program;
  ITSM_ASSIGN_OR_RETURN(std::string binary, FindSuiteBinary("itsm-" + program));
  // How errors name the process: its program, and its name when that differs
  // ("itsm-sla-timer (change-sla-timer)").
  const std::string what = program == options.name
                               ? "itsm-" + program
                               : absl::StrCat("itsm-", program, " (", options.name, ")");
  std::filesystem::create_directories(options.dir);
  const std::string ready_file = options.dir + "/" + options.name + ".ready.json";
  std::filesystem::remove(ready_file);
  const std::string migrating_file = base::MigratingFileOf(ready_file);
  std::filesystem::remove(migrating_file);

  ChildProcess::Options child;
  child.binary = binary;
  child.env = options.env;
  child.env.emplace_back("ITSM_DATA_DIR", options.dir);
  child.env.emplace_back("ITSM_GRPC_PORT", std::to_string(options.grpc_port));
  child.env.emplace_back("ITSM_METRICS_PORT", std::to_string(options.metrics_port));
  child.env.emplace_back("ITSM_READY_FILE", ready_file);
  // The suite's name of the process, not its program's: change-sla-timer runs itsm-sla-timer.
  child.env.emplace_back("ITSM_SERVICE_NAME", options.name);
  child.log_file = options.log_file;

  auto service = std::unique_ptr<SuiteService>(new SuiteService());
  service->name_ = options.name;
  ITSM_ASSIGN_OR_RETURN(service->process_, ChildProcess::Start(child));
  ChildProcess* proc = service->process_.get();
  // A migration may take minutes on a large database (incident migration 7 copies its table):
  // the timeout counts the time the process is not migrating, so that a first start after an
  // upgrade is not killed half-way, rolled back and begun again at every try.
  absl::Time deadline = absl::Now() + options.start_timeout;
  while (proc->Running() && !std::filesystem::exists(ready_file)) {
    if (std::filesystem::exists(migrating_file)) {
      deadline = absl::Now() + options.start_timeout;
    } else if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(what, " not ready after ",
                                                      absl::FormatDuration(options.start_timeout),
                                                      " (not counting its database migrations)"));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  if (!proc->Running()) {
    return absl::UnavailableError(
        absl::StrCat(what, " exited during start; see ", options.log_file));
  }
  ITSM_ASSIGN_OR_RETURN(std::string json, ReadFile(ready_file));
  launcher::v1::ReadyFile ready;
  if (!google::protobuf::util::JsonStringToMessage(json, &ready).ok()) {
    return absl::InternalError(absl::StrCat("unreadable ready file ", ready_file, ": ", json));
  }
  service->grpc_address_ = ready.grpc_address();
  service->metrics_address_ = ready.metrics_address();
  service->http_address_ = ready.http_address();
  const std::string address = service->grpc_address_;
  ITSM_RETURN_IF_ERROR(WaitUntil(
      [&] {
        return !proc->Running() ||
               IsServing(address, "", absl::Milliseconds(500), options.credentials);
      },
      options.start_timeout, what + " health"));
  if (!proc->Running()) {
    return absl::UnavailableError(absl::StrCat(what, " exited during start"));
  }
  return service;
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
