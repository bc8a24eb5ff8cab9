// The webhook service's own metrics, declared once (label values are fixed sets):
//   itsm_webhooks_attempts_total{result}       attempts by result: success, http_error (a
//                                              non-2xx answer), network_error (no answer),
//                                              refused (no allowed address)
//   itsm_webhooks_deliveries_total{outcome}    deliveries finished: delivered, dead_lettered
//   itsm_webhooks_attempt_duration_seconds     attempt latency (connect to answer), histogram
//   itsm_webhooks_deliveries{state}            deliveries in the database per state: pending is
//                                              the queue depth, dead_lettered the dead letters
//                                              (refreshed by the dispatcher every 15 s)
//   itsm_webhooks_in_flight                    attempts in flight in this process
#ifndef ITSM_SERVICES_WEBHOOKS_WEBHOOK_METRICS_H_
#define ITSM_SERVICES_WEBHOOKS_WEBHOOK_METRICS_H_

#include <map>
#include <string>

#include "itsm/webhooks/v1/webhooks.pb.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace itsm::webhooks {

class WebhookMetrics {
 public:
  explicit WebhookMetrics(prometheus::Registry& registry);

  // result: "success", "http_error", "network_error", "refused".
  void Attempted(const std::string& result, double seconds);
  void Delivered() { delivered_.Increment(); }
  void DeadLettered(int64_t count = 1) { dead_lettered_.Increment(static_cast<double>(count)); }
  void SetCount(v1::DeliveryState state, double count);
  void SetInFlight(double n) { in_flight_.Set(n); }

 private:
  std::map<std::string, prometheus::Counter*> attempts_;
  prometheus::Counter& delivered_;
  prometheus::Counter& dead_lettered_;
  prometheus::Histogram& latency_;
  std::map<int, prometheus::Gauge*> counts_;
  prometheus::Gauge& in_flight_;
};

}  // namespace itsm::webhooks

#endif  // ITSM_SERVICES_WEBHOOKS_WEBHOOK_METRICS_H_
