// Prometheus metrics of a process: one registry, served on the metrics port at /metrics, with
// process metrics (CPU, memory, file descriptors, start time) and the gRPC server metrics that
// GrpcMetricsInterceptorFactory records for every method. Every series served carries the
// process's constant label service="<name>" (ServiceLabelled): the process says who it is, so
// dashboards and alerts work the same under the local scrape config, pod annotations and a
// ServiceMonitor, none of which has to add the label.
#ifndef ITSM_RUNTIME_METRICS_H_
#define ITSM_RUNTIME_METRICS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace itsm::runtime {

// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds — the names Prometheus' own
// client libraries use, so stock dashboards work — read from /proc/self at each scrape.
class ProcessCollector final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

// Serves `inner`'s families with service="<service>" added to every series that has no
// `service` label of its own. The label is added at scrape time, in one place, so no metric
// declaration anywhere has to remember it (prometheus-cpp has no registry-wide constant labels).
class ServiceLabelled final : public prometheus::Collectable {
 public:
  ServiceLabelled(std::string service, std::vector<std::shared_ptr<prometheus::Collectable>> inner)
      : service_(std::move(service)), inner_(std::move(inner)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::string service_;
  std::vector<std::shared_ptr<prometheus::Collectable>> inner_;
};

// Latency buckets for calls in this suite: from 100 µs (a cached read) to 10 s.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

class MetricsServer {
 public:
  // Listens on address:port (port 0 picks one) and serves `registry` and process metrics, every
  // series labelled service="<service>" unless `service` is empty (tests of a bare registry).
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& bind_address, int port, std::shared_ptr<prometheus::Registry> registry,
      const std::string& service = "");
  // Stops serving; see metrics.cc for why this is not the default destructor.
  ~MetricsServer();
  int port() const { return port_; }

 private:
  // Declared first, destroyed last: the exposer's threads stop before what they serve goes.
  std::vector<std::shared_ptr<prometheus::Collectable>> served_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::string bind_address_;
  int port_ = 0;
};

}  // namespace itsm::runtime

#endif  // ITSM_RUNTIME_METRICS_H_
