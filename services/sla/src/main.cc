// itsm-sla: business calendars, SLA definitions, due times, and SLA status and compliance reports
// from a projection of the SLA timer's events.
#include <memory>

#include "itsm/base/clock.h"
#include "itsm/base/ids.h"
#include "itsm/events/event_consumer.h"
#include "itsm/outbox/outbox.h"
#include "itsm/outbox/outbox_component.h"
#include "itsm/records/idempotency.h"
#include "itsm/runtime/executor.h"
#include "itsm/runtime/logging.h"
#include "itsm/runtime/service_runtime.h"
#include "itsm/servicedb/service_database.h"
#include "services/sla/src/ci_location_zone.h"
#include "services/sla/src/clock_projection.h"
#include "services/sla/src/sla_grpc_service.h"
#include "services/sla/src/sla_repository.h"
#include "services/sla/src/sla_service_info.h"

int main(int argc, char** argv) {
  using namespace itsm;
  runtime::ServiceRuntime rt(argc, argv, sla::SlaServiceInfo());

  auto db = servicedb::OpenDatabaseOrExit(rt, sla::SlaRepository::Schema());
  records::IdempotencyPruner pruner(*db,
                                    absl::Hours(rt.config().GetInt("idempotency_retention_hours")));
  pruner.Start();
  rt.OnShutdown("idempotency pruner", [&pruner] { pruner.Stop(); });
  auto outbox = outbox::OutboxComponent::StartOrExit(rt, *db);

  // The projection lives in memory and is rebuilt at every start by replaying itsm.sla.v1 from
  // the beginning: a consumer group of its own (never committed offsets to resume from) with
  // auto.offset.reset=earliest. Replicas each hold the whole projection.
  sla::ClockProjection projection;
  std::unique_ptr<events::EventConsumer> consumer;
  if (const std::string bootstrap = rt.config().GetString("kafka_bootstrap_servers");
      !bootstrap.empty()) {
    consumer = std::make_unique<events::EventConsumer>(
        events::EventConsumer::Options{
            .bootstrap_servers = bootstrap,
            .group_id = "itsm-sla-projection-" + base::NewUuid(),
            .topics = {sla::kSlaTopic},
            .client_properties = rt.config().GetString("kafka_client_properties")},
        [&projection](const events::ConsumedEvent& e) { return projection.Apply(e.event); },
        rt.metrics());
    if (absl::Status s = consumer->Start(); !s.ok()) {
      runtime::log::Error("cannot start the SLA event consumer", {{"error", s.ToString()}});
      return 2;
    }
    rt.OnShutdown("sla projection consumer", [&consumer] { consumer->Stop(); });
  } else {
    runtime::log::Warn("kafka_bootstrap_servers is empty: SLA status and reports stay empty", {});
  }

  std::unique_ptr<sla::CiLocationZone> ci_zones;
  if (const std::string address = rt.config().GetString("configuration_address");
      !address.empty()) {
    ci_zones = std::make_unique<sla::CiLocationZone>(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()), base::SystemClock::Get());
  }
  // Blocking work of calls (reads, outbound calls) runs here, never on gRPC's callback threads;
  // one thread per database connection. Stopped after the gRPC server drained its calls.
  runtime::Executor executor("calls", static_cast<int>(rt.config().GetInt("database_pool_size")),
                             4096);
  rt.OnShutdown("call executor", [&executor] { executor.Stop(); });
  sla::SlaGrpcService service(
      *db, base::SystemClock::Get(), projection, executor,
      {.default_time_zone = rt.config().GetString("default_time_zone"),
       .after_commit = [&outbox] { outbox->relay().Wake(); },
       .ci_location_zone =
           ci_zones ? std::function<absl::StatusOr<std::string>(const std::string&)>(
                          [&ci_zones](const std::string& id) { return ci_zones->ZoneOf(id); })
                    : nullptr});
  rt.AddService(&service, "itsm.sla.v1.SlaService");
  return rt.Run();
}
