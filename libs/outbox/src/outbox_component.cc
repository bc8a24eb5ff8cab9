#include "itsm/outbox/outbox_component.h"

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "itsm/base/time_util.h"
#include "itsm/limits/field_limits.h"
#include "itsm/outbox/outbox.h"
#include "itsm/runtime/call_context.h"
#include "itsm/runtime/logging.h"

namespace itsm::outbox {

grpc::ServerUnaryReactor* OutboxAdminService::GetOutboxStats(
    grpc::CallbackServerContext* ctx, const outbox::v1::GetOutboxStatsRequest* request,
    outbox::v1::GetOutboxStatsResponse* response) {
  if (absl::Status bad = runtime::Admit(*ctx, *request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  auto* reactor = ctx->DefaultReactor();
  auto stats = Outbox::Stats(db_);
  if (stats.ok()) {
    response->set_pending_events(stats->pending);
    response->set_published_events(stats->published);
    response->set_dead_letter_events(stats->dead_letters);
    if (stats->oldest_pending) {
      *response->mutable_oldest_pending_time() = base::ToProtoTimestamp(*stats->oldest_pending);
    }
  }
  reactor->Finish(runtime::ToGrpcStatus(stats.status(), *ctx));
  return reactor;
}

grpc::ServerUnaryReactor* OutboxAdminService::RepublishEvents(
    grpc::CallbackServerContext* ctx, const outbox::v1::RepublishEventsRequest* request,
    outbox::v1::RepublishEventsResponse* response) {
  if (absl::Status bad = runtime::Admit(*ctx, *request); !bad.ok()) {
    return runtime::Reject(ctx, bad);
  }
  auto* reactor = ctx->DefaultReactor();
  if (!request->has_start_time() || !request->has_end_time()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, request->has_start_time()
                                                                         ? "end_time: required"
                                                                         : "start_time: required"));
    return reactor;
  }
  for (const auto& [field, ts] : {std::pair{"start_time", &request->start_time()},
                                  std::pair{"end_time", &request->end_time()}}) {
    if (absl::Status bad = base::CheckTimestamp(field, *ts); !bad.ok()) {
      reactor->Finish(runtime::ToGrpcStatus(bad, *ctx));
      return reactor;
    }
  }
  const absl::Time start = base::FromProtoTimestamp(request->start_time());
  const absl::Time end = base::FromProtoTimestamp(request->end_time());
  if (end <= start) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "end_time: must be after start_time"));
    return reactor;
  }
  auto n = request->dead_letters() ? Outbox::RequeueDeadLetters(db_, start, end, request->topic())
                                   : Outbox::Republish(db_, start, end, request->topic());
  if (n.ok()) {
    response->set_republished_events(*n);
    // The scope too: a dead-letter requeue is told apart from a re-publish.
    runtime::log::Info(request->dead_letters() ? "dead letters queued for publishing again"
                                               : "events queued for re-publishing",
                       {{"start_time", base::FormatRfc3339(start)},
                        {"end_time", base::FormatRfc3339(end)},
                        {"topic", request->topic()},
                        {"count", *n},
                        {"actor", runtime::Actor(*ctx)},
                        {"request_id", runtime::RequestId(*ctx)}});
    relay_.Rescan();
  }
  reactor->Finish(runtime::ToGrpcStatus(n.status(), *ctx));
  return reactor;
}

std::unique_ptr<OutboxComponent> OutboxComponent::StartOrExit(runtime::ServiceRuntime& rt,
                                                              storage::Database& db,
                                                              storage::GroupCommitter* writer) {
  const runtime::Config& config = rt.config();
  RelayOptions options;
  options.bootstrap_servers = config.GetString("kafka_bootstrap_servers");
  options.client_properties = config.GetString("kafka_client_properties");
  options.client_id = "itsm-" + config.service();
  options.poll_interval = absl::Milliseconds(config.GetInt("outbox_poll_interval_ms"));
  options.retention = absl::Hours(config.GetInt("outbox_retention_hours"));
  options.json_topics =
      absl::StrSplit(config.GetString("kafka_json_topics"), ',', absl::SkipEmpty());
  if (config.GetBool("outbox_republish_on_start")) {
    // Before the relay's first round: queued after it (RepublishEvents), an event would reach
    // the broker behind a later event of its record that was still waiting, and a consumer
    // that never saw it would take it for a replay.
    absl::StatusOr<int64_t> queued =
        Outbox::Republish(db, absl::UnixEpoch(), absl::Now() + absl::Hours(1), "");
    if (!queued.ok()) {
      runtime::log::Error("cannot queue the retained events for the new broker",
                          {{"error", queued.status().ToString()}});
      std::exit(2);
    }
    if (*queued > 0) {
      runtime::log::Info("re-publishing retained events to a new broker", {{"events", *queued}});
    }
  }
  auto component = std::unique_ptr<OutboxComponent>(new OutboxComponent());
  component->relay_ = std::make_unique<OutboxRelay>(db, options, rt.metrics(), writer);
  absl::Status started = component->relay_->Start();
  if (!started.ok()) {
    runtime::log::Error("cannot start the outbox relay", {{"error", started.ToString()}});
    std::exit(2);
  }
  component->admin_ = std::make_unique<OutboxAdminService>(db, *component->relay_);
  rt.AddService(component->admin_.get(), "itsm.outbox.v1.OutboxAdminService");
  OutboxRelay* relay = component->relay_.get();
  rt.OnShutdown("outbox relay", [relay] { relay->Stop(); });
  component->gauges_ = servicedb::StoreGauges::StartOrExit(rt, db, OutboxStoreGauges());
  return component;
}

std::vector<servicedb::StoreGauge> OutboxStoreGauges() {
  // Both read the partial index outbox_pending (rows not yet published), however long the
  // table of published rows kept for RepublishEvents grows.
  return {
      {.name = "itsm_outbox_unpublished_events",
       .help = "Outbox rows not yet acknowledged by Kafka, counted in the database.",
       .sql = "SELECT COUNT(*) FROM outbox WHERE published_at_us IS NULL"},
      {.name = "itsm_outbox_oldest_unpublished_age_seconds",
       .help = "Age of the oldest outbox row not yet acknowledged by Kafka; 0 when none waits.",
       .sql = "SELECT created_at_us FROM outbox WHERE published_at_us IS NULL ORDER BY id LIMIT 1",
       .value = servicedb::StoreGauge::ValueKind::kAgeOfMicros},
  };
}

}  // namespace itsm::outbox
