#include "itsm/runtime/metrics.h"

#include <netdb.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"

namespace itsm::runtime {
namespace {

// Opens and closes a TCP connection to host:port (a listener on this machine); errors ignored.
void WakeListener(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return;
  const int fd = socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
  if (fd >= 0) {
    (void)connect(fd, found->ai_addr, found->ai_addrlen);
    close(fd);
  }
  freeaddrinfo(found);
}

prometheus::MetricFamily Gauge(std::string name, std::string help, double value,
                               prometheus::MetricType type = prometheus::MetricType::Gauge) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(metric);
  return family;
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  // /proc/self/stat fields 14-15 (utime, stime, in ticks), 22 (start time, ticks since boot),
  // 23 (vsize, bytes), 24 (rss, pages). The command name (field 2) may contain spaces: skip past
  // its closing parenthesis first.
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  if (close != std::string::npos) {
    std::istringstream in(stat.substr(close + 2));
    std::vector<std::string> f((std::istream_iterator<std::string>(in)),
                               std::istream_iterator<std::string>());
    // f[0] is field 3.
    if (f.size() > 22) {
      const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
      const double utime = std::stod(f[11]);
      const double stime = std::stod(f[12]);
      const double start_ticks = std::stod(f[19]);
      const double vsize = std::stod(f[20]);
      const double rss_pages = std::stod(f[21]);
      out.push_back(Gauge("process_cpu_seconds_total", "User and system CPU time spent in seconds.",
                          (utime + stime) / ticks, prometheus::MetricType::Counter));
      out.push_back(Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", vsize));
      out.push_back(Gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
                          rss_pages * static_cast<double>(sysconf(_SC_PAGESIZE))));
      std::ifstream uptime_file("/proc/uptime");
      double uptime = 0;
      uptime_file >> uptime;
      const double boot = static_cast<double>(time(nullptr)) - uptime;
      out.push_back(Gauge("process_start_time_seconds",
                          "Start time of the process since unix epoch in seconds.",
                          boot + start_ticks / ticks));
    }
  }
  std::error_code ec;
  double fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  out.push_back(Gauge("process_open_fds", "Number of open file descriptors.", fds));
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out.push_back(Gauge("process_max_fds", "Maximum number of open file descriptors.",
                        static_cast<double>(limit.rlim_cur)));
  }
  return out;
}

std::vector<prometheus::MetricFamily> ServiceLabelled::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  for (const auto& inner : inner_) {
    for (prometheus::MetricFamily& family : inner->Collect()) {
      for (prometheus::ClientMetric& metric : family.metric) {
        const bool has_service = std::any_of(
            metric.label.begin(), metric.label.end(),
            [](const prometheus::ClientMetric::Label& l) { return l.name == "service"; });
        if (!has_service) metric.label.push_back({"service", service_});
      }
      out.push_back(std::move(family));
    }
  }
  return out;
}

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
  return kBuckets;
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& bind_address, int port, std::shared_ptr<prometheus::Registry> registry,
    const std::string& service) {
  auto server = std::make_unique<MetricsServer>();
  try {
    // civetweb's listening spec is host:port; it throws when it cannot bind.
    server->exposer_ =
        std::make_unique<prometheus::Exposer>(absl::StrCat(bind_address, ":", port), 2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", bind_address, ":", port, ": ", e.what()));
  }
  std::vector<std::shared_ptr<prometheus::Collectable>> served = {
      std::move(registry), std::make_shared<ProcessCollector>()};
  if (!service.empty()) {
    served = {std::make_shared<ServiceLabelled>(service, std::move(served))};
  }
  // The Exposer holds weak pointers: the server keeps what it serves alive.
  for (const auto& collectable : served) server->exposer_->RegisterCollectable(collectable);
  server->served_ = std::move(served);
  server->bind_address_ = bind_address;
  auto ports = server->exposer_->GetListeningPorts();
  server->port_ = ports.empty() ? port : ports.front();
  return server;
}

// civetweb's listening thread waits for connections in a poll with a 2 s timeout and looks at
// its stop flag only between polls, so stopping the exposer kept every process from exiting for
// up to 2 s after its shutdown was done (most of a test suite's stops, and of a Ctrl-C). A
// connection to the port while it stops ends that poll at once.
MetricsServer::~MetricsServer() {
  if (exposer_ == nullptr) return;
  std::string host = bind_address_;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);  // civetweb's [v6] form
  }
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  std::atomic<bool> stopped{false};
  std::thread waker([&] {
    while (!stopped.load()) {
      WakeListener(host, port_);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  exposer_.reset();
  stopped.store(true);
  waker.join();
}

}  // namespace itsm::runtime
