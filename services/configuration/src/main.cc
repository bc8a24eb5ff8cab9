// itsm-configuration: the CMDB (CI classes, CIs, relationships, impact analysis, baselines).
#include "itsm/base/clock.h"
#include "itsm/outbox/outbox.h"
#include "itsm/outbox/outbox_component.h"
#include "itsm/records/idempotency.h"
#include "itsm/runtime/executor.h"
#include "itsm/runtime/logging.h"
#include "itsm/runtime/service_runtime.h"
#include "itsm/servicedb/service_database.h"
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

  // Blocking work of calls (reads, outbound calls) runs here, never on gRPC's callback threads;
  // one thread per database connection. Stopped after the gRPC server drained its calls.
  runtime::Executor executor("calls", static_cast<int>(rt.config().GetInt("database_pool_size")),
                             4096);
  rt.OnShutdown("call executor", [&executor] { executor.Stop(); });
  config::ConfigGrpcService service(cmdb, committer, executor);
  rt.AddService(&service, "itsm.config.v1.ConfigurationService");
  return rt.Run();
}
