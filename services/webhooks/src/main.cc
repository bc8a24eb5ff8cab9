// itsm-webhooks: the suite's domain events delivered to HTTP receivers, signed per the Standard
// Webhooks convention, retried, dead-lettered and replayable.
#include "absl/strings/str_split.h"
#include "itsm/base/clock.h"
#include "itsm/events/event_json.h"
#include "itsm/records/idempotency.h"
#include "itsm/runtime/executor.h"
#include "itsm/runtime/logging.h"
#include "itsm/runtime/service_runtime.h"
#include "itsm/servicedb/service_database.h"
#include "itsm/storage/group_commit.h"
#include "services/webhooks/src/delivery_log.h"
#include "services/webhooks/src/delivery_recorder.h"
#include "services/webhooks/src/dispatcher.h"
#include "services/webhooks/src/http_sender.h"
#include "services/webhooks/src/outbound_policy.h"
#include "services/webhooks/src/subscription_management.h"
#include "services/webhooks/src/webhook_grpc_service.h"
#include "services/webhooks/src/webhook_metrics.h"
#include "services/webhooks/src/webhook_payload.h"
#include "services/webhooks/src/webhook_repository.h"
#include "services/webhooks/src/webhooks_service_info.h"

int main(int argc, char** argv) {
  using namespace itsm;
  runtime::ServiceRuntime rt(argc, argv, webhooks::WebhooksServiceInfo());
  const auto& config = rt.config();

  absl::StatusOr<webhooks::OutboundPolicy> policy =
      webhooks::OutboundPolicy::Parse(config.GetString("outbound_allow"));
  if (!policy.ok()) {
    runtime::log::Error("invalid configuration", {{"error", policy.status().ToString()}});
    return 2;
  }
  auto db = servicedb::OpenDatabaseOrExit(rt, webhooks::WebhookRepository::Schema());
  records::IdempotencyPruner pruner(*db, absl::Hours(config.GetInt("idempotency_retention_hours")));
  pruner.Start();
  rt.OnShutdown("idempotency pruner", [&pruner] { pruner.Stop(); });
  // The one writer: subscription writes, recorded deliveries, leases and attempt results share
  // its batched transactions.
  storage::GroupCommitter committer(
      *db, {.max_batch = static_cast<int>(config.GetInt("commit_batch_size")), .writers = 1});
  servicedb::ObserveGroupCommits(committer, rt.metrics());
  // Registered first of the writers' users, so it stops last: everything queued by the
  // dispatcher and the consumer commits.
  rt.OnShutdown("group committer", [&committer] { committer.Stop(); });

  const base::Clock& clock = base::SystemClock::Get();
  const absl::Duration retry_period = absl::Seconds(config.GetInt("retry_period_seconds"));
  webhooks::WebhookMetrics metrics(rt.metrics());
  webhooks::HttpSender sender(*policy,
                              {.threads = static_cast<int>(config.GetInt("sender_threads"))});
  webhooks::Dispatcher dispatcher(
      *db, committer, sender, clock,
      {.max_in_flight = static_cast<int>(config.GetInt("max_in_flight_per_subscription")),
       .attempt_timeout = absl::Milliseconds(config.GetInt("attempt_timeout_ms")),
       .poll_interval = absl::Milliseconds(config.GetInt("dispatch_poll_ms")),
       .backoff = {.base = absl::Milliseconds(config.GetInt("backoff_base_ms")),
                   .cap = absl::Milliseconds(config.GetInt("backoff_max_ms"))},
       .retention = absl::Hours(24 * config.GetInt("delivery_retention_days"))},
      &metrics);
  // Stopped after the dispatcher (no new attempt starts) and before the committer: attempts
  // still in flight are cut off unrecorded; their leases run out and they are sent again after
  // a restart, with the same webhook-id.
  rt.OnShutdown("http sender", [&sender] { sender.Stop(); });
  dispatcher.Start();
  rt.OnShutdown("dispatcher", [&dispatcher] { dispatcher.Stop(); });

  webhooks::DeliveryRecorder recorder(committer, clock, {.retry_period = retry_period});
  recorder.SetOnRecorded([&dispatcher] { dispatcher.Wake(); });
  const std::vector<std::string> topics =
      absl::StrSplit(config.GetString("webhook_topics"), ',', absl::SkipWhitespace());
  if (absl::Status s = events::CheckEventTypesLinked(topics); !s.ok()) {
    runtime::log::Error("invalid configuration", {{"error", s.ToString()}});
    return 2;
  }
  std::unique_ptr<events::EventConsumer> consumer;
  if (const std::string bootstrap = config.GetString("kafka_bootstrap_servers");
      !bootstrap.empty()) {
    consumer = webhooks::NewDeliveryConsumer(
        recorder,
        {.bootstrap_servers = bootstrap,
         .group_id = config.GetString("consumer_group"),
         .topics = topics,
         .client_properties = config.GetString("kafka_client_properties")},
        rt.metrics());
    if (absl::Status s = consumer->Start(); !s.ok()) {
      runtime::log::Error("cannot start the delivery consumer", {{"error", s.ToString()}});
      return 2;
    }
    // Stopped first: the batch in hand commits (the committer is still running).
    rt.OnShutdown("delivery consumer", [&consumer] { consumer->Stop(); });
  } else {
    runtime::log::Warn("kafka_bootstrap_servers is empty: no event is delivered", {});
  }

  runtime::Executor executor("calls", static_cast<int>(config.GetInt("database_pool_size")), 4096);
  rt.OnShutdown("call executor", [&executor] { executor.Stop(); });
  const webhooks::SubscriptionRules rules(*policy, clock, topics);
  const webhooks::SubscriptionManagement subscriptions(rules, clock, retry_period);
  const webhooks::DeliveryLog deliveries(clock, retry_period);
  webhooks::WebhookGrpcService service(*db, committer, executor, subscriptions, deliveries,
                                       [&dispatcher] { dispatcher.Wake(); });
  rt.AddService(&service, "itsm.webhooks.v1.WebhookService");
  return rt.Run();
}
