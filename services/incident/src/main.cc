// itsm-incident: incidents, service requests, problems and known errors.
#include "itsm/base/clock.h"
#include "itsm/outbox/outbox.h"
#include "itsm/outbox/outbox_component.h"
#include "itsm/records/idempotency.h"
#include "itsm/runtime/executor.h"
#include "itsm/runtime/logging.h"
#include "itsm/runtime/service_runtime.h"
#include "itsm/servicedb/service_database.h"
#include "itsm/storage/group_commit.h"
#include "services/incident/src/incident_factory.h"
#include "services/incident/src/incident_grpc_service.h"
#include "services/incident/src/incident_repository.h"
#include "services/incident/src/incident_service_info.h"
#include "services/incident/src/priority_matrix.h"

int main(int argc, char** argv) {
  using namespace itsm;
  runtime::ServiceRuntime rt(argc, argv, incident::IncidentServiceInfo());

  auto matrix = incident::PriorityMatrix::Parse(rt.config().GetString("priority_matrix"));
  if (!matrix.ok()) {
    runtime::log::Error("invalid configuration", {{"error", matrix.status().ToString()}});
    return 2;
  }
  const int64_t reopen_window_hours = rt.config().GetInt("reopen_window_hours");
  auto db = servicedb::OpenDatabaseOrExit(rt, incident::IncidentRepository::Schema());
  records::IdempotencyPruner pruner(*db,
                                    absl::Hours(rt.config().GetInt("idempotency_retention_hours")));
  pruner.Start();
  rt.OnShutdown("idempotency pruner", [&pruner] { pruner.Stop(); });
  // The one writer of the database: creates, and the relay's "published" marks, share its
  // batched transactions.
  storage::GroupCommitter committer(
      *db, {.max_batch = static_cast<int>(rt.config().GetInt("commit_batch_size")), .writers = [&] {
              const int configured = static_cast<int>(rt.config().GetInt("commit_writers"));
              if (configured > 0) return configured;
              return db->dialect() == storage::Dialect::kPostgres ? 4 : 1;
            }()});
  servicedb::ObserveGroupCommits(committer, rt.metrics());
  auto outbox = outbox::OutboxComponent::StartOrExit(rt, *db, &committer);
  // Every commit may hold new outbox rows: publish them now instead of at the next poll.
  committer.SetAfterCommit([&outbox] { outbox->relay().Wake(); });
  // Registered after the relay, so it stops first: queued writes commit before the relay's last
  // round picks up their events.
  rt.OnShutdown("group committer", [&committer] { committer.Stop(); });

  const base::Clock& clock = base::SystemClock::Get();
  incident::IncidentFactory factory(*matrix, clock);
  incident::IncidentWorkflow incidents(*matrix, clock,
                                       {.reopen_window = absl::Hours(reopen_window_hours)});
  incident::ProblemWorkflow problems(*matrix, clock);
  incident::ServiceRequestWorkflow requests(*matrix, clock);
  // Blocking work of calls (reads, outbound calls) runs here, never on gRPC's callback threads;
  // one thread per database connection. Stopped after the gRPC server drained its calls.
  runtime::Executor executor("calls", static_cast<int>(rt.config().GetInt("database_pool_size")),
                             4096);
  rt.OnShutdown("call executor", [&executor] { executor.Stop(); });
  const incident::IncidentManagement incident_management(factory, incidents);
  const incident::RequestFulfilment request_fulfilment(requests);
  const incident::ProblemManagement problem_management(problems, incidents);
  incident::IncidentGrpcService service(
      *db, committer, executor, {incident_management, request_fulfilment, problem_management});
  rt.AddService(&service, "itsm.incident.v1.IncidentService");
  return rt.Run();
}
