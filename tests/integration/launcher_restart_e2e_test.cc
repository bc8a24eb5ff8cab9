// Black box: itsm-launch keeps the suite running when one of its processes is killed (kill -9,
// as testers do under load). A service comes back on the addresses it had, with a backoff that
// grows while it keeps dying; redis-server comes back on its port with its AOF, and the SLA
// timer goes back to the positions that Redis holds; the suite goes on, and SIGTERM still stops
// everything it started, restarted processes included, with exit code 0.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "itsm/supervisor/suite_service.h"
#include "launched_suite.h"

namespace itsm {
namespace {

// The running children of `parent` whose command is `comm` (redis-server has no pid in
// endpoints.json).
std::vector<pid_t> ChildrenNamed(pid_t parent, const std::string& comm) {
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    const size_t open = line.find('(');
    const size_t close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    // pid (comm) state ppid ...
    std::vector<std::string> rest = absl::StrSplit(line.substr(close + 2), ' ');
    pid_t ppid = 0;
    if (rest.size() < 2 || !absl::SimpleAtoi(rest[1], &ppid)) continue;
    if (ppid == parent && line.substr(open + 1, close - open - 1) == comm && rest[0] != "Z") {
      found.push_back(pid);
    }
  }
  return found;
}

launcher::v1::ServiceEndpoint EndpointOf(const launcher::v1::Endpoints& endpoints,
                                         const std::string& name) {
  for (const auto& service : endpoints.services()) {
    if (service.name() == name) return service;
  }
  return {};
}

// host:port of the service's metrics_url (http://host:port/metrics).
std::string MetricsAddressOf(const launcher::v1::ServiceEndpoint& service) {
  absl::string_view url = service.metrics_url();
  absl::ConsumePrefix(&url, "http://");
  absl::ConsumeSuffix(&url, "/metrics");
  return std::string(url);
}

// The status code of one HTTP/1.0 request ("" body: none), 0 when nothing answers.
int HttpStatus(const std::string& host, int port, const std::string& method,
               const std::string& path, const std::string& authorization,
               const std::string& body = "") {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return 0;
  }
  const std::string request = absl::StrCat(
      method, " ", path, " HTTP/1.0\r\nHost: ", host, ":", port,
      "\r\nAuthorization: ", authorization,
      "\r\nContent-Type: application/json\r\nContent-Length: ", body.size(), "\r\n\r\n", body);
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return 0;
  }
  std::string response;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) response.append(buf, n);
  close(fd);
  int status = 0;
  if (!absl::StartsWith(response, "HTTP/1.") || response.size() < 12 ||
      !absl::SimpleAtoi(response.substr(9, 3), &status)) {
    return 0;
  }
  return status;
}

// The sum of a counter's samples in a /metrics page; -1 when it is not there.
double CounterSum(const std::string& page, const std::string& name) {
  double sum = -1;
  for (absl::string_view line : absl::StrSplit(page, '\n')) {
    if (!absl::StartsWith(line, name) || line.size() <= name.size() ||
        (line[name.size()] != '{' && line[name.size()] != ' ')) {
      continue;
    }
    double value = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value))
      sum = (sum < 0 ? 0 : sum) + value;
  }
  return sum;
}

// Waits until endpoints.json names a new, serving process for `name` (its pid changed), on the
// same gRPC address as before; returns its pid (0 when it did not come back).
pid_t WaitForRestart(testing::LaunchedSuite& suite, const launcher::v1::ServiceEndpoint& before,
                     absl::Duration timeout) {
  pid_t now = 0;
  const absl::Status back = supervisor::WaitUntil(
      [&] {
        if (!std::filesystem::exists(suite.endpoints_file())) return false;
        const launcher::v1::ServiceEndpoint e = EndpointOf(suite.Endpoints(), before.name());
        if (e.pid() == 0 || e.pid() == before.pid() || testing::ProcessExited(e.pid()))
          return false;
        if (!supervisor::IsServing(e.grpc_address())) return false;
        now = e.pid();
        return true;
      },
      timeout, before.name() + " restarted", absl::Milliseconds(100));
  return back.ok() ? now : 0;
}

TEST(LauncherRestartsEndToEnd, KilledServicesAndRedisComeBackInPlaceAndTheSuiteGoesOn) {
  // Free ports everywhere (the gateway's HTTP port too): the restart must keep ports it was
  // given as 0 and learnt from the ready file.
  testing::LaunchedSuite suite({"incident", "sla", "sla-timer", "gateway"},
                               {{"ITSM_HTTP_PORT", "0"}});
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  const launcher::v1::Endpoints started = suite.Endpoints();
  std::vector<pid_t> every_pid = {started.kafka_pid()};
  for (const auto& service : started.services()) every_pid.push_back(service.pid());

  // 1. kill -9 of the incident service: back on the same gRPC and metrics addresses, and it
  // works (through itsmctl, straight to it).
  const launcher::v1::ServiceEndpoint incident = EndpointOf(started, "incident");
  ASSERT_GT(incident.pid(), 0);
  ASSERT_EQ(::kill(incident.pid(), SIGKILL), 0);
  const pid_t incident_again = WaitForRestart(suite, incident, absl::Seconds(60));
  ASSERT_GT(incident_again, 0) << suite.launch_log();
  every_pid.push_back(incident_again);
  const launcher::v1::ServiceEndpoint incident_now = EndpointOf(suite.Endpoints(), "incident");
  EXPECT_EQ(incident_now.grpc_address(), incident.grpc_address());
  EXPECT_EQ(incident_now.metrics_url(), incident.metrics_url());
  EXPECT_TRUE(supervisor::ScrapeMetrics(MetricsAddressOf(incident_now)).ok());
  std::string out;
  EXPECT_EQ(suite.Itsmctl({"incident", "create", "--title", "After a kill -9", "--impact", "2",
                           "--urgency", "2"},
                          &out),
            0)
      << out;
  EXPECT_NE(out.find("created INC0000001"), std::string::npos) << out;
  std::string log = suite.launch_log();
  EXPECT_NE(log.find(R"(restarted process="incident" exit="signal 9)"), std::string::npos) << log;
  EXPECT_NE(log.find("restarts=1"), std::string::npos) << log;

  // Killed again soon after: the wait doubles (1 s, then 2 s), and it still comes back.
  ASSERT_EQ(::kill(incident_again, SIGKILL), 0);
  const pid_t incident_third = WaitForRestart(suite, incident_now, absl::Seconds(60));
  ASSERT_GT(incident_third, 0) << suite.launch_log();
  every_pid.push_back(incident_third);
  log = suite.launch_log();
  EXPECT_NE(log.find(R"(restart_in="2s" restarts=1)"), std::string::npos) << log;
  EXPECT_NE(log.find("restarts=2"), std::string::npos) << log;
  // A restart meets the broker it published to: its events (INC0000001's) are not sent again.
  auto incident_log = supervisor::ReadFile(suite.File("run/logs/incident.log"));
  ASSERT_TRUE(incident_log.ok());
  EXPECT_EQ(incident_log->find("re-publishing retained events"), std::string::npos)
      << *incident_log;

  // 2. kill -9 of the gateway: its HTTP port, free-chosen at the first start, is its port again.
  const auto [http_host, http_port] = suite.HttpHostPort("gateway");
  ASSERT_GT(http_port, 0);
  const std::string admin =
      suite.Authorization({.subject = "restart-test", .roles = {common::v1::ROLE_ADMIN}});
  EXPECT_EQ(HttpStatus(http_host, http_port, "GET", "/v1/incidents", admin), 200);
  const launcher::v1::ServiceEndpoint gateway = EndpointOf(suite.Endpoints(), "gateway");
  ASSERT_EQ(::kill(gateway.pid(), SIGKILL), 0);
  const pid_t gateway_again = WaitForRestart(suite, gateway, absl::Seconds(60));
  ASSERT_GT(gateway_again, 0) << suite.launch_log();
  every_pid.push_back(gateway_again);
  EXPECT_EQ(EndpointOf(suite.Endpoints(), "gateway").http_url(), gateway.http_url());
  EXPECT_EQ(HttpStatus(http_host, http_port, "POST", "/v1/incidents", admin,
                       R"({"title":"Through the restarted gateway","impact":2,"urgency":1})"),
            200)
      << suite.ServiceLog("gateway");
  // itsmctl makes keys there: after `apikey`, --roles are the new key's (it once took them as
  // the caller's own token roles, and every create was refused).
  EXPECT_EQ(
      suite.Itsmctl({"apikey", "create", "--name", "after-restart", "--roles", "agent"}, &out), 0)
      << out;
  EXPECT_NE(out.find("itsm_"), std::string::npos) << out;
  EXPECT_NE(out.find("agent"), std::string::npos) << out;

  // 3. kill -9 of redis-server: back on its port with its AOF; the SLA timer notices another
  // Redis process and goes back to the positions it holds (docs/sla-timer.md, section 4).
  const std::string timer_metrics = MetricsAddressOf(EndpointOf(started, "sla-timer"));
  auto rewinds = [&] {
    auto page = supervisor::ScrapeMetrics(timer_metrics);
    return page.ok() ? CounterSum(*page, "itsm_sla_timer_redis_rewinds_total") : -1;
  };
  EXPECT_EQ(rewinds(), 0);
  const std::vector<pid_t> redis = ChildrenNamed(started.launcher_pid(), "redis-server");
  ASSERT_EQ(redis.size(), 1u);
  ASSERT_EQ(::kill(redis[0], SIGKILL), 0);
  std::vector<pid_t> redis_again;
  EXPECT_TRUE(supervisor::WaitUntil(
                  [&] {
                    redis_again = ChildrenNamed(started.launcher_pid(), "redis-server");
                    return redis_again.size() == 1 && redis_again[0] != redis[0];
                  },
                  absl::Seconds(30), "redis-server restarted", absl::Milliseconds(100))
                  .ok())
      << suite.launch_log();
  if (!redis_again.empty()) every_pid.push_back(redis_again[0]);
  // Work through the suite meanwhile: the incident's event reaches the timer, which writes to
  // Redis (and the gateway's rate limiter takes its token from it).
  EXPECT_EQ(HttpStatus(http_host, http_port, "POST", "/v1/incidents", admin,
                       R"({"title":"After Redis came back","impact":1,"urgency":1})"),
            200);
  EXPECT_TRUE(supervisor::WaitUntil([&] { return rewinds() >= 1; }, absl::Seconds(60),
                                    "itsm_sla_timer_redis_rewinds_total >= 1",
                                    absl::Milliseconds(500))
                  .ok())
      << "rewinds: " << rewinds() << "\n"
      << suite.ServiceLog("sla-timer");
  log = suite.launch_log();
  EXPECT_NE(log.find(R"(restarted process="redis-server" exit="signal 9)"), std::string::npos)
      << log;
  // Nothing else was restarted along the way: every other service kept its process.
  for (const std::string name : {"sla", "sla-timer"}) {
    EXPECT_EQ(EndpointOf(suite.Endpoints(), name).pid(), EndpointOf(started, name).pid()) << name;
  }
  std::string status;
  EXPECT_EQ(suite.Itsmctl({"status"}, &status), 0) << status;

  // 4. SIGTERM stops everything, restarted processes included, and exits 0.
  EXPECT_EQ(suite.Stop(), 0) << suite.launch_log();
  for (pid_t pid : every_pid) {
    EXPECT_TRUE(supervisor::WaitUntil([&] { return testing::ProcessExited(pid); },
                                      absl::Seconds(10), "a process of the suite to end")
                    .ok())
        << pid;
  }
  EXPECT_FALSE(std::filesystem::exists(suite.endpoints_file()));
}

}  // namespace
}  // namespace itsm
