// itsm-change: change requests, approvals, the change calendar, windows and conflicts.
#include <memory>

#include "itsm/base/clock.h"
#include "itsm/events/event_consumer.h"
#include "itsm/outbox/outbox_component.h"
#include "itsm/records/idempotency.h"
#include "itsm/runtime/executor.h"
#include "itsm/runtime/logging.h"
#include "itsm/runtime/service_runtime.h"
#include "itsm/servicedb/service_database.h"
#include "itsm/servicedb/store_gauges.h"
#include "itsm/storage/group_commit.h"
#include "services/change/src/change_calendar.h"
#include "services/change/src/change_catalogue.h"
#include "services/change/src/change_grpc_service.h"
#include "services/change/src/change_management.h"
#include "services/change/src/change_metrics.h"
#include "services/change/src/change_reactions.h"
#include "services/change/src/change_repository.h"
#include "services/change/src/change_service_info.h"
#include "services/change/src/cmdb_view.h"

int main(int argc, char** argv) {
  using namespace itsm;
  runtime::ServiceRuntime rt(argc, argv, change::ChangeServiceInfo());
  auto db = servicedb::OpenDatabaseOrExit(rt, change::ChangeRepository::Schema());
  records::IdempotencyPruner pruner(*db,
                                    absl::Hours(rt.config().GetInt("idempotency_retention_hours")));
  pruner.Start();
  rt.OnShutdown("idempotency pruner", [&pruner] { pruner.Stop(); });
  storage::GroupCommitter committer(
      *db, {.max_batch = static_cast<int>(rt.config().GetInt("commit_batch_size"))});
  servicedb::ObserveGroupCommits(committer, rt.metrics());
  auto outbox = outbox::OutboxComponent::StartOrExit(rt, *db, &committer);
  committer.SetAfterCommit([&outbox] { outbox->relay().Wake(); });
  // Registered after the relay, so it stops first: queued writes commit before the relay's last
  // round picks up their events.
  rt.OnShutdown("group committer", [&committer] { committer.Stop(); });

  std::unique_ptr<change::GrpcCmdbView> cmdb;
  if (const std::string address = rt.config().GetString("configuration_address");
      !address.empty()) {
    cmdb = std::make_unique<change::GrpcCmdbView>(
        rt.ChannelTo(address), absl::Milliseconds(rt.config().GetInt("configuration_deadline_ms")));
  } else {
    runtime::log::Warn(
        "configuration_address is empty: CIs are not checked, and neither CMDB risk nor "
        "dependency conflicts are computed",
        {});
  }
  std::unique_ptr<change::GrpcLinkedRecords> linked;
  if (const std::string address = rt.config().GetString("incident_address"); !address.empty()) {
    linked = std::make_unique<change::GrpcLinkedRecords>(
        rt.ChannelTo(address), absl::Milliseconds(rt.config().GetInt("incident_deadline_ms")));
  }
  change::ChangeMetrics metrics(rt.metrics());
  auto store_gauges = servicedb::StoreGauges::StartOrExit(rt, *db, change::ChangeStoreGauges());

  const base::Clock& clock = base::SystemClock::Get();
  const change::ChangeWorkflow workflow(clock);
  const change::ChangeManagement changes(*db, cmdb.get(), workflow, linked.get());
  // Caused incidents, open major incidents and conflict re-checks: consumed events applied with
  // their de-duplication marks in the committer's transactions, by one consumer group for every
  // replica. Registered after the committer, so it stops before it: the batch in hand commits.
  change::ChangeReactions reactions(
      *db, committer, cmdb.get(), changes, &metrics, clock,
      {.caused_incident_window = absl::Hours(rt.config().GetInt("caused_incident_window_hours")),
       .caused_incident_depth = static_cast<int>(rt.config().GetInt("caused_incident_depth")),
       .mark_retention = absl::Hours(24 * rt.config().GetInt("event_mark_retention_days")),
       .max_rechecks = static_cast<int>(rt.config().GetInt("max_rechecks_per_event"))});
  std::unique_ptr<events::EventConsumer> consumer;
  if (const std::string bootstrap = rt.config().GetString("kafka_bootstrap_servers");
      !bootstrap.empty()) {
    consumer = change::NewChangeConsumer(
        reactions,
        {.bootstrap_servers = bootstrap,
         .group_id = rt.config().GetString("consumer_group"),
         .client_properties = rt.config().GetString("kafka_client_properties")},
        rt.metrics());
    if (absl::Status s = consumer->Start(); !s.ok()) {
      runtime::log::Error("cannot start the event consumer", {{"error", s.ToString()}});
      return 2;
    }
    rt.OnShutdown("event consumer", [&consumer] { consumer->Stop(); });
  } else {
    runtime::log::Warn(
        "kafka_bootstrap_servers is empty: no incident is linked to changes, and conflicts are "
        "not re-checked on CMDB, window or major incident events",
        {});
  }

  // Blocking work of calls (reads, calls to the CMDB) runs here, never on gRPC's callback
  // threads. Stopped after the gRPC server drained its calls.
  runtime::Executor executor("calls", static_cast<int>(rt.config().GetInt("database_pool_size")),
                             4096);
  rt.OnShutdown("call executor", [&executor] { executor.Stop(); });
  const change::ChangeCatalogue catalogue(clock, cmdb.get());
  const change::ChangeCalendar calendar(clock);
  const change::ReleaseRules release_rules(clock);
  const change::ReleaseManagement releases(cmdb.get(), release_rules);
  change::ChangeGrpcService service(*db, committer, executor,
                                    {changes, catalogue, calendar, metrics, releases});
  rt.AddService(&service, "itsm.change.v1.ChangeService");
  return rt.Run();
}
