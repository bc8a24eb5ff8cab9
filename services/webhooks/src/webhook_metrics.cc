#include "services/webhooks/src/webhook_metrics.h"

#include "absl/strings/ascii.h"

namespace itsm::webhooks {
namespace {

prometheus::Family<prometheus::Counter>& DeliveriesFamily(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("itsm_webhooks_deliveries_total")
      .Help("Deliveries finished, by outcome (delivered, dead_lettered).")
      .Register(registry);
}

}  // namespace

WebhookMetrics::WebhookMetrics(prometheus::Registry& registry)
    : delivered_(DeliveriesFamily(registry).Add({{"outcome", "delivered"}})),
      dead_lettered_(DeliveriesFamily(registry).Add({{"outcome", "dead_lettered"}})),
      latency_(prometheus::BuildHistogram()
                   .Name("itsm_webhooks_attempt_duration_seconds")
                   .Help("Time of a delivery attempt, from resolving the host to the answer.")
                   .Register(registry)
                   .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1,
                                                                    0.25, 0.5, 1, 2.5, 5, 10, 30})),
      in_flight_(prometheus::BuildGauge()
                     .Name("itsm_webhooks_in_flight")
                     .Help("Delivery attempts in flight in this process.")
                     .Register(registry)
                     .Add({})) {
  auto& attempts = prometheus::BuildCounter()
                       .Name("itsm_webhooks_attempts_total")
                       .Help(
                           "Delivery attempts by result (success, http_error, network_error, "
                           "refused).")
                       .Register(registry);
  for (const char* result : {"success", "http_error", "network_error", "refused"}) {
    attempts_[result] = &attempts.Add({{"result", result}});
  }
  auto& counts = prometheus::BuildGauge()
                     .Name("itsm_webhooks_deliveries")
                     .Help("Deliveries in the database per state (pending: the queue).")
                     .Register(registry);
  for (int s = v1::DeliveryState_MIN + 1; s <= v1::DeliveryState_MAX; ++s) {
    std::string name = v1::DeliveryState_Name(s).substr(sizeof("DELIVERY_STATE_") - 1);
    counts_[s] = &counts.Add({{"state", absl::AsciiStrToLower(name)}});
  }
}

void WebhookMetrics::Attempted(const std::string& result, double seconds) {
  if (auto it = attempts_.find(result); it != attempts_.end()) it->second->Increment();
  latency_.Observe(seconds);
}

void WebhookMetrics::SetCount(v1::DeliveryState state, double count) {
  if (auto it = counts_.find(state); it != counts_.end()) it->second->Set(count);
}

}  // namespace itsm::webhooks
