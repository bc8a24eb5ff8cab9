// The gateway's own metrics, beside the process and gRPC metrics every binary has:
//   itsm_gateway_http_requests_total{route,method,code}       answers given
//   itsm_gateway_http_request_duration_seconds{route,method}  request read -> answer given
// `route` is the route's path template ("/v1/incidents/{id}"), or "/openapi.json", "/docs",
// "/healthz", "unmatched" (no route) and "refused" (not read whole: too large, too slow): never
// a raw path, so the label's values are bounded by the API.
#ifndef ITSM_SERVICES_GATEWAY_SRC_GATEWAY_METRICS_H_
#define ITSM_SERVICES_GATEWAY_SRC_GATEWAY_METRICS_H_

#include <string>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace itsm::gateway {

class GatewayMetrics {
 public:
  explicit GatewayMetrics(prometheus::Registry& registry);

  void Observe(const std::string& route, const std::string& method, int code, double seconds);

 private:
  using Key = std::tuple<std::string, std::string, int>;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
  absl::Mutex mu_;
  // Children are looked up once and kept: Family::Add costs a lock and a hash of the labels.
  absl::flat_hash_map<Key, prometheus::Counter*> counters_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::pair<std::string, std::string>, prometheus::Histogram*> histograms_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_GATEWAY_METRICS_H_
