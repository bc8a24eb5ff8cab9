// itsm-configuration: the CMDB (CI classes, CIs, relationships, impact analysis, baselines).
#include "itsm/base/clock.h"
#include "itsm/config/v1/config.pb.h"
#include "itsm/outbox/outbox.h"
#include "itsm/outbox/outbox_component.h"
#include "itsm/records/idempotency.h"
#include "itsm/runtime/executor.h"
#include "itsm/runtime/logging.h"
#include "itsm/runtime/service_runtime.h"
#include "itsm/servicedb/service_database.h"
#include "itsm/servicedb/store_gauges.h"
#include "itsm/storage/group_commit.h"
#include "services/configuration/src/cmdb.h"
#include "services/configuration/src/config_grpc_service.h"
#include "services/configuration/src/config_repository.h"
#include "services/configuration/src/configuration_service_info.h"

int main(int argc, char** argv) {
  using namespace itsm;
  runtime::ServiceRuntime rt(argc, argv, config::ConfigurationServiceInfo());

  auto db = servicedb::OpenDatabaseOrExit(rt, config::ConfigRepository::Schema());
  records::IdempotencyPruner pruner(*db,
                                    absl::Hours(rt.config().GetInt("idempotency_retention_hours")));
  pruner.Start();
  rt.OnShutdown("idempotency pruner", [&pruner] { pruner.Stop(); });
  // The class catalog and the whole dependency graph, in memory before the first call.
  config::Cmdb cmdb(*db, base::SystemClock::Get());
  if (absl::Status loaded = cmdb.Load(); !loaded.ok()) {
    runtime::log::Error("cannot load the CMDB", {{"error", loaded.ToString()}});
    return 1;
  }
  runtime::log::Info("impact graph loaded",
                     {{"configuration_items", std::to_string(cmdb.graph_nodes())},
                      {"relationships", std::to_string(cmdb.graph_edges())}});
  // One writer: every graph change takes the graph head's row lock anyway. The relay marks
  // published events through it too (see OutboxRelay).
  storage::GroupCommitter committer(
      *db, {.max_batch = static_cast<int>(rt.config().GetInt("commit_batch_size")), .writers = 1});
  servicedb::ObserveGroupCommits(committer, rt.metrics());
  auto outbox = outbox::OutboxComponent::StartOrExit(rt, *db, &committer);
  committer.SetAfterCommit([&outbox] { outbox->relay().Wake(); });
  // Registered after the relay, so it stops first: queued writes commit before the relay's last
  // round picks up their events.
  rt.OnShutdown("group committer", [&committer] { committer.Stop(); });
  // The CMDB's size (docs/metrics.md). CI classes are the catalogue's, defined by
  // administrators: tens, not a label per CI.
  auto store_gauges = servicedb::StoreGauges::StartOrExit(
      rt, *db,
      {{.name = "itsm_cmdb_configuration_items",
        .help = "Configuration items by class and lifecycle status, as counted in the database.",
        .sql = "SELECT class_name, status, COUNT(*) FROM config_items GROUP BY class_name, status",
        .labels = {"class", "status"},
        .label_value = servicedb::EnumLabels({nullptr, config::v1::LifecycleStatus_descriptor()})},
       {.name = "itsm_cmdb_relationships",
        .help = "Relationships between configuration items (not deleted) by type.",
        .sql = "SELECT type, COUNT(*) FROM config_relationships WHERE deleted = 0 GROUP BY type",
        .labels = {"type"},
        .always = {{"DEPENDS_ON"}},
        .label_value = servicedb::EnumLabels({config::v1::RelationshipType_descriptor()})}});

  // Blocking work of calls (reads, outbound calls) runs here, never on gRPC's callback threads;
  // one thread per database connection. Stopped after the gRPC server drained its calls.
  runtime::Executor executor("calls", static_cast<int>(rt.config().GetInt("database_pool_size")),
                             4096);
  rt.OnShutdown("call executor", [&executor] { executor.Stop(); });
  config::ConfigGrpcService service(cmdb, committer, executor);
  rt.AddService(&service, "itsm.config.v1.ConfigurationService");
  return rt.Run();
}
