// itsm-incident: incidents, service requests, problems and known errors.
#include "itsm/base/clock.h"
#include "itsm/outbox/outbox.h"
#include "itsm/outbox/outbox_component.h"
#include "itsm/records/idempotency.h"
#include "itsm/runtime/logging.h"
#include "itsm/runtime/service_runtime.h"
#include "itsm/servicedb/service_database.h"
#include "itsm/storage/group_commit.h"
#include "services/incident/src/incident_factory.h"
#include "services/incident/src/incident_grpc_service.h"
#include "services/incident/src/incident_repository.h"
#include "services/incident/src/priority_matrix.h"

int main(int argc, char** argv) {
  using namespace itsm;
  runtime::ServiceRuntime rt(
      argc, argv,
      {"incident", 50051, 9151,
       {{"priority_matrix", "1,2,3;2,3,4;3,4,5",
         "Priority by impact (rows) and urgency (columns), 1 = P1; rows separated by ';'."},
        {"commit_batch_size", "512", "Most creates committed in one transaction (group commit)."},
        {"commit_writers", "0",
         "Writer threads of the group committer; 0: one on SQLite (a single writer anyway), "
         "four on PostgreSQL (each statement is a round trip: writers overlap them)."},
        {"reopen_window_hours", "168",
         "How long after its resolution an incident may be reopened (RESOLVED -> IN_PROGRESS)."}}});

  auto matrix = incident::PriorityMatrix::Parse(rt.config().GetString("priority_matrix"));
  if (!matrix.ok()) {
    runtime::log::Error("invalid configuration", {{"error", matrix.status().ToString()}});
    return 2;
  }
  const int64_t reopen_window_hours = rt.config().GetInt("reopen_window_hours");
  if (reopen_window_hours < 0) {
    runtime::log::Error("invalid configuration",
                        {{"error", "reopen_window_hours: must be 0 or more"}});
    return 2;
  }
  auto db = servicedb::OpenDatabaseOrExit(rt, incident::IncidentRepository::Schema());
  records::IdempotencyPruner pruner(*db,
                                    absl::Hours(rt.config().GetInt("idempotency_retention_hours")));
  pruner.Start();
  rt.OnShutdown("idempotency pruner", [&pruner] { pruner.Stop(); });
  // The one writer of the database: creates, and the relay's "published" marks, share its
  // batched transactions.
  storage::GroupCommitter committer(
      *db, {.max_batch = static_cast<int>(rt.config().GetInt("commit_batch_size")),
            .writers = [&] {
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
  incident::IncidentWorkflow incidents(*matrix, clock, {.reopen_window = absl::Hours(reopen_window_hours)});
  incident::ProblemWorkflow problems(*matrix, clock);
  incident::ServiceRequestWorkflow requests(*matrix, clock);
  incident::IncidentGrpcService service(*db, committer, {factory, incidents, problems, requests});
  rt.AddService(&service, "itsm.incident.v1.IncidentService");
  return rt.Run();
}
