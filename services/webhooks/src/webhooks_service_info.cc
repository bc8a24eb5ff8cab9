#include "services/webhooks/src/webhooks_service_info.h"

namespace itsm::webhooks {

runtime::ServiceInfo WebhooksServiceInfo() {
  using runtime::IntOption;
  using runtime::StringOption;
  return {"webhooks",
          50057,
          9157,
          {
              IntOption("commit_batch_size", 64, 1, 10000,
                        "Most writes committed in one transaction (group commit)."),
              StringOption("consumer_group", "itsm-webhooks",
                           "Kafka consumer group of the delivery consumer; replicas share it."),
              StringOption("webhook_topics",
                           "itsm.incident.v1,itsm.change.v1,itsm.config.v1,itsm.sla.v1,"
                           "itsm.supplier.v1",
                           "Topics whose events are delivered, comma-separated."),
              // Checked by OutboundPolicy::Parse at start.
              StringOption("outbound_allow", "",
                           "Host names and CIDRs deliveries may reach even when internal "
                           "(loopback, private, link-local), comma-separated; also the only "
                           "destinations plain http is allowed to. Empty: public https only."),
              IntOption("max_in_flight_per_subscription", 2, 1, 16,
                        "Delivery attempts of one subscription in flight at once."),
              IntOption("attempt_timeout_ms", 10000, 100, 120000,
                        "Deadline of one delivery attempt (resolve, connect, send, answer)."),
              IntOption("retry_period_seconds", 86400, 1, 30 * 86400,
                        "How long a delivery is retried after it was recorded (or replayed) "
                        "before it is dead-lettered."),
              IntOption("backoff_base_ms", 5000, 1, 3600000,
                        "Ceiling of the first retry's random delay; doubles with each attempt."),
              IntOption("backoff_max_ms", 3600000, 1, 86400000,
                        "Largest ceiling of a retry's random delay."),
              IntOption("dispatch_poll_ms", 1000, 10, 60000,
                        "Longest the dispatcher waits between looks for due deliveries."),
              IntOption("sender_threads", 2, 1, 64, "Threads of the asynchronous HTTP client."),
              IntOption("delivery_retention_days", 30, 1, 3650,
                        "Days finished deliveries, their attempts and events are kept."),
          }};
}

}  // namespace itsm::webhooks
