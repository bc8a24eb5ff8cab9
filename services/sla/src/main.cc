// itsm-sla: business calendars, SLA definitions, due times, and SLA status and compliance reports
// from the SLA history the service keeps in its database (the SLA timer's events).
#include <memory>

#include "itsm/base/clock.h"
#include "itsm/base/ids.h"
#include "itsm/configitems/configuration_items.h"
#include "itsm/events/event_consumer.h"
#include "itsm/outbox/outbox.h"
#include "itsm/outbox/outbox_component.h"
#include "itsm/records/idempotency.h"
#include "itsm/runtime/executor.h"
#include "itsm/runtime/logging.h"
#include "itsm/runtime/service_runtime.h"
#include "itsm/servicedb/service_database.h"
#include "itsm/servicedb/store_gauges.h"
#include "itsm/storage/group_commit.h"
#include "services/sla/src/calendars.h"
#include "services/sla/src/clock_projection.h"
#include "services/sla/src/sla_clocks.h"
#include "services/sla/src/sla_definitions.h"
#include "services/sla/src/sla_events.h"
#include "services/sla/src/sla_grpc_service.h"
#include "services/sla/src/sla_repository.h"
#include "services/sla/src/sla_service_info.h"
#include "services/sla/src/sla_store_gauges.h"

int main(int argc, char** argv) {
  using namespace itsm;
  runtime::ServiceRuntime rt(argc, argv, sla::SlaServiceInfo());

  auto db = servicedb::OpenDatabaseOrExit(rt, sla::SlaRepository::Schema());
  records::IdempotencyPruner pruner(*db,
                                    absl::Hours(rt.config().GetInt("idempotency_retention_hours")));
  pruner.Start();
  rt.OnShutdown("idempotency pruner", [&pruner] { pruner.Stop(); });
  // The one writer of the database: calendar and definition writes, and the relay's "published"
  // marks, share its batched transactions. One writer thread: every SLA write takes the
  // service's write lock first (SlaRepository::SerialiseWrites), so more would only wait on it.
  storage::GroupCommitter committer(
      *db, {.max_batch = static_cast<int>(rt.config().GetInt("commit_batch_size")), .writers = 1});
  servicedb::ObserveGroupCommits(committer, rt.metrics());
  auto outbox = outbox::OutboxComponent::StartOrExit(rt, *db, &committer);
  // Every commit may hold new outbox rows: publish them now instead of at the next poll.
  committer.SetAfterCommit([&outbox] { outbox->relay().Wake(); });
  // Registered after the relay, so it stops first: queued writes commit before the relay's last
  // round picks up their events.
  rt.OnShutdown("group committer", [&committer] { committer.Stop(); });
  // SLA clocks by kind, agreement and priority (docs/metrics.md).
  auto store_gauges = servicedb::StoreGauges::StartOrExit(rt, *db, sla::SlaStoreGauges());

  // The SLA history lives in the database: each batch of itsm.sla.v1 is applied with the
  // consumer's position in one transaction, and a start resumes from the stored positions (not
  // from the group's offsets). The group is this process's own, so that every replica reads
  // every partition (with SQLite each has its own database); with a shared PostgreSQL database
  // replicas write the same idempotent upserts, and a restart resumes from the position the
  // last writer stored (at worst some events are applied again, which changes nothing).
  sla::ClockProjection projection(*db);
  std::unique_ptr<events::EventConsumer> consumer;
  if (const std::string bootstrap = rt.config().GetString("kafka_bootstrap_servers");
      !bootstrap.empty()) {
    consumer = sla::NewHistoryConsumer(
        projection,
        {.bootstrap_servers = bootstrap,
         .group_id = "itsm-sla-projection-" + base::NewUuid(),
         .metrics_group = "itsm-sla-projection",
         .topics = {sla::kSlaTopic},
         .client_properties = rt.config().GetString("kafka_client_properties")},
        rt.metrics());
    if (absl::Status s = consumer->Start(); !s.ok()) {
      runtime::log::Error("cannot start the SLA event consumer", {{"error", s.ToString()}});
      return 2;
    }
    rt.OnShutdown("sla projection consumer", [&consumer] { consumer->Stop(); });
  } else {
    runtime::log::Warn(
        "kafka_bootstrap_servers is empty: SLA status and reports show only the stored history",
        {});
  }

  // The same CI lookups (and cache) as the SLA timer's, so both read a CI's zone alike.
  std::unique_ptr<configitems::GrpcConfigurationItems> ci_zones;
  if (const std::string address = rt.config().GetString("configuration_address");
      !address.empty()) {
    ci_zones = std::make_unique<configitems::GrpcConfigurationItems>(
        rt.ChannelTo(address), base::SystemClock::Get(),
        configitems::GrpcConfigurationItems::Options{.actor = "itsm-sla"});
  }
  // Blocking work of calls (reads, outbound calls) runs here, never on gRPC's callback threads;
  // one thread per database connection. Stopped after the gRPC server drained its calls.
  runtime::Executor executor("calls", static_cast<int>(rt.config().GetInt("database_pool_size")),
                             4096);
  rt.OnShutdown("call executor", [&executor] { executor.Stop(); });
  const base::Clock& clock = base::SystemClock::Get();
  const sla::Calendars calendars(clock);
  const sla::SlaDefinitions definitions(clock);
  const sla::SlaClocks clocks(
      *db, clock, projection,
      {.default_time_zone = rt.config().GetString("default_time_zone"),
       .ci_location_zone =
           ci_zones
               ? std::function<absl::StatusOr<std::string>(const std::string&)>(
                     [&ci_zones](const std::string& id) { return ci_zones->LocationZoneOf(id); })
               : nullptr});
  const sla::ClockExplanations explanations(
      *db, clock, {.default_time_zone = rt.config().GetString("default_time_zone")});
  sla::SlaGrpcService service(*db, committer, executor,
                              {calendars, definitions, clocks, explanations});
  rt.AddService(&service, "itsm.sla.v1.SlaService");
  return rt.Run();
}
