#include "services/gateway/src/gateway_metrics.h"

#include "itsm/runtime/metrics.h"

namespace itsm::gateway {

GatewayMetrics::GatewayMetrics(prometheus::Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("itsm_gateway_http_requests_total")
                    .Help("HTTP requests answered by the gateway, by route template, method and "
                          "HTTP status code.")
                    .Register(registry)),
      duration_(prometheus::BuildHistogram()
                    .Name("itsm_gateway_http_request_duration_seconds")
                    .Help("Time from a request read whole to its answer, by route template and "
                          "method.")
                    .Register(registry)) {}

void GatewayMetrics::Observe(const std::string& route, const std::string& method, int code,
                             double seconds) {
  prometheus::Counter* counter;
  prometheus::Histogram* histogram;
  {
    absl::MutexLock lock(&mu_);
    auto [c, new_counter] = counters_.try_emplace(Key(route, method, code), nullptr);
    if (new_counter) {
      c->second =
          &requests_.Add({{"route", route}, {"method", method}, {"code", std::to_string(code)}});
    }
    counter = c->second;
    auto [h, new_histogram] = histograms_.try_emplace(std::make_pair(route, method), nullptr);
    if (new_histogram) {
      h->second = &duration_.Add({{"route", route}, {"method", method}}, runtime::LatencyBuckets());
    }
    histogram = h->second;
  }
  counter->Increment();
  histogram->Observe(seconds);
}

}  // namespace itsm::gateway
