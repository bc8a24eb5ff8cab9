// itsm-sla-timer: runs the SLA clocks of incidents — consumes itsm.incident.v1, keeps clocks in
// Redis, fires warnings and breaches on time, publishes clock events on itsm.sla.v1; re-publishes
// its clocks' states on request (OutboxAdminService.RepublishEvents).
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "itsm/base/clock.h"
#include "itsm/configitems/configuration_items.h"
#include "itsm/redis/redis_settings.h"
#include "itsm/runtime/logging.h"
#include "itsm/runtime/service_runtime.h"
#include "services/sla-timer/src/definition_source.h"
#include "services/sla-timer/src/sla_timer.h"
#include "services/sla-timer/src/sla_timer_service_info.h"
#include "services/sla-timer/src/timer_admin_service.h"

int main(int argc, char** argv) {
  using namespace itsm;
  runtime::ServiceRuntime rt(argc, argv, sla_timer::SlaTimerServiceInfo());
  const auto& config = rt.config();
  if (config.GetString("kafka_bootstrap_servers").empty()) {
    runtime::log::Error("kafka_bootstrap_servers is required: the timer is driven by events", {});
    return 2;
  }
  auto redis_auth = redis::RedisAuthFrom(config);
  if (!redis_auth.ok()) {
    runtime::log::Error("cannot read the Redis credentials",
                        {{"error", redis_auth.status().ToString()}});
    return 2;
  }
  auto channel = rt.ChannelTo(config.GetString("sla_address"));
  sla_timer::GrpcDefinitionSource source(channel, base::SystemClock::Get(),
                                         absl::Seconds(config.GetInt("definition_cache_seconds")));
  // What was read from the SLA service outlives a restart: clocks fire while it is down.
  sla_timer::RedisDefinitionArchive archive(config.GetString("redis_address"), *redis_auth,
                                            config.GetString("redis_key_prefix"));
  source.KeepIn(&archive);
  // CI classes (definitions restricted to them) and CI-location zones.
  // What was read of them outlives a restart too: a timer restarted during a CMDB outage starts
  // the clocks of records on items it knew.
  sla_timer::RedisDefinitionArchive item_archive(config.GetString("redis_address"), *redis_auth,
                                                 config.GetString("redis_key_prefix"),
                                                 "configuration_items");
  std::unique_ptr<configitems::GrpcConfigurationItems> configuration_items;
  if (const std::string address = config.GetString("configuration_address"); !address.empty()) {
    configuration_items = std::make_unique<configitems::GrpcConfigurationItems>(
        rt.ChannelTo(address), base::SystemClock::Get(),
        configitems::GrpcConfigurationItems::Options{
            .actor = "itsm-sla-timer",
            .keep = [&item_archive](const std::string& key,
                                    const std::string& bytes) { item_archive.Keep(key, bytes); },
            .find = [&item_archive](const std::string& key) { return item_archive.Find(key); }});
  } else {
    runtime::log::Warn(
        "configuration_address is empty: definitions restricted to CI classes apply to no record",
        {});
  }
  sla_timer::SlaTimer timer(
      {.redis_address = config.GetString("redis_address"),
       .redis_auth = *std::move(redis_auth),
       .key_prefix = config.GetString("redis_key_prefix"),
       .kafka_bootstrap_servers = config.GetString("kafka_bootstrap_servers"),
       .kafka_client_properties = config.GetString("kafka_client_properties"),
       .group_id = config.GetString("consumer_group"),
       .topic = config.GetString("record_topic"),
       .fire_poll_interval = absl::Milliseconds(config.GetInt("fire_poll_interval_ms")),
       .fire_batch = static_cast<int>(config.GetInt("fire_batch")),
       .publish_poll_interval = absl::Milliseconds(config.GetInt("publish_poll_interval_ms")),
       .closed_retention = absl::Hours(config.GetInt("closed_retention_hours")),
       .logic = {.default_time_zone = config.GetString("default_time_zone"),
                 .configuration_items = configuration_items.get(),
                 .definition_cache_ttl = absl::Seconds(config.GetInt("definition_cache_seconds"))}},
      source, base::SystemClock::Get(), rt.metrics());
  if (absl::Status s = timer.Start(); !s.ok()) {
    runtime::log::Error("cannot start the SLA timer", {{"error", s.ToString()}});
    return 2;
  }
  // A new, empty broker (the launcher's embedded one): every clock's state is sent again, as
  // RepublishEvents would, so that consumers reading the topic from its start see every clock.
  if (config.GetBool("outbox_republish_on_start")) {
    absl::StatusOr<int64_t> queued =
        timer.Republish(absl::UnixEpoch(), absl::Now() + absl::Hours(1));
    if (!queued.ok()) {
      runtime::log::Warn("cannot re-publish the clocks' states to the new broker",
                         {{"error", queued.status().ToString()}});
    } else if (*queued > 0) {
      runtime::log::Info("re-publishing the clocks' states to a new broker", {{"clocks", *queued}});
    }
  }
  // RepublishEvents (after a broker lost its data) and GetOutboxStats, as every publishing
  // service serves them. Its executor stops after the gRPC server drained its calls.
  sla_timer::TimerAdminService admin(timer);
  rt.AddService(&admin, "itsm.outbox.v1.OutboxAdminService");
  rt.OnShutdown("admin calls", [&admin] { admin.Stop(); });
  // Stopped in reverse order of registration: first the consumer (no new changes; its positions
  // are in Redis), then the firing loop, then the publisher drains what both wrote to the outbox.
  rt.OnShutdown("outbox publisher", [&timer] { timer.StopPublisher(); });
  rt.OnShutdown("firing loop", [&timer] { timer.StopFiring(); });
  rt.OnShutdown("incident consumer", [&timer] { timer.StopConsumer(); });
  return rt.Run();
}
