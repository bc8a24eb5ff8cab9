// Prometheus metrics of a process: one registry, served on the metrics port at /metrics, with
// process metrics (CPU, memory, file descriptors, start time) and the gRPC server metrics that
// GrpcMetricsInterceptorFactory records for every method.
#ifndef ITSM_RUNTIME_METRICS_H_
#define ITSM_RUNTIME_METRICS_H_

#include <memory>
#include <string>

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

// Latency buckets for calls in this suite: from 100 µs (a cached read) to 10 s.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

class MetricsServer {
 public:
  // Listens on address:port (port 0 picks one) and serves `registry` and process metrics.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& bind_address, int port, std::shared_ptr<prometheus::Registry> registry);
  int port() const { return port_; }

 private:
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<ProcessCollector> process_;
  int port_ = 0;
};

}  // namespace itsm::runtime

#endif  // ITSM_RUNTIME_METRICS_H_
