// itsm-incident: incidents, service requests, problems and known errors.
#include <memory>

#include "itsm/base/clock.h"
#include "itsm/outbox/outbox.h"
#include "itsm/outbox/outbox_component.h"
#include "itsm/records/idempotency.h"
#include "itsm/runtime/executor.h"
#include "itsm/runtime/logging.h"
#include "itsm/runtime/service_runtime.h"
#include "itsm/servicedb/service_database.h"
#include "itsm/storage/group_commit.h"
#include "prometheus/counter.h"
#include "services/incident/src/alert_grpc_service.h"
#include "services/incident/src/alert_intake.h"
#include "services/incident/src/alert_rules.h"
#include "services/incident/src/cmdb_lookup.h"
#include "services/incident/src/incident_factory.h"
#include "services/incident/src/incident_grpc_service.h"
#include "services/incident/src/incident_repository.h"
#include "services/incident/src/incident_service_info.h"
#include "services/incident/src/incident_store_gauges.h"
#include "services/incident/src/priority_matrix.h"
#include "services/incident/src/resolved_incident_closer.h"

int main(int argc, char** argv) {
  using namespace itsm;
  runtime::ServiceRuntime rt(argc, argv, incident::IncidentServiceInfo());

  auto matrix = incident::PriorityMatrix::Parse(rt.config().GetString("priority_matrix"));
  if (!matrix.ok()) {
    runtime::log::Error("invalid configuration", {{"error", matrix.status().ToString()}});
    return 2;
  }
  auto alert_settings = incident::AlertSettings::Parse(
      {.ci_labels = rt.config().GetString("alert_ci_labels"),
       .service_labels = rt.config().GetString("alert_service_labels"),
       .severity_label = rt.config().GetString("alert_severity_label"),
       .severity_priorities = rt.config().GetString("alert_severity_priorities"),
       .resolution = rt.config().GetString("alert_resolution")},
      *matrix);
  if (!alert_settings.ok()) {
    runtime::log::Error("invalid configuration", {{"error", alert_settings.status().ToString()}});
    return 2;
  }
  alert_settings->cmdb_depth = static_cast<int>(rt.config().GetInt("alert_cmdb_depth"));
  alert_settings->storm_threshold = static_cast<int>(rt.config().GetInt("alert_storm_threshold"));
  alert_settings->storm_window = absl::Seconds(rt.config().GetInt("alert_storm_window_seconds"));
  alert_settings->category = rt.config().GetString("alert_category");
  alert_settings->assignment_group = rt.config().GetString("alert_assignment_group");
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
  // Incidents, requests and problems by state and priority, the backlog's age (docs/metrics.md).
  auto store_gauges = servicedb::StoreGauges::StartOrExit(rt, *db, incident::IncidentStoreGauges());

  const base::Clock& clock = base::SystemClock::Get();
  incident::IncidentFactory factory(*matrix, clock);
  incident::IncidentWorkflow incidents(*matrix, clock,
                                       {.reopen_window = absl::Hours(reopen_window_hours)});
  incident::ProblemWorkflow problems(*matrix, clock);
  incident::ServiceRequestWorkflow requests(
      *matrix, clock, {.allow_self_approval = rt.config().GetBool("request_self_approval")});
  // Blocking work of calls (reads, outbound calls) runs here, never on gRPC's callback threads;
  // one thread per database connection. Stopped after the gRPC server drained its calls.
  runtime::Executor executor("calls", static_cast<int>(rt.config().GetInt("database_pool_size")),
                             4096);
  rt.OnShutdown("call executor", [&executor] { executor.Stop(); });
  // The CIs records name are checked with the CMDB (ci_references.h); without one, they are
  // stored as given.
  std::unique_ptr<incident::GrpcCmdbLookup> cmdb;
  if (const std::string address = rt.config().GetString("configuration_address");
      !address.empty()) {
    cmdb = std::make_unique<incident::GrpcCmdbLookup>(
        rt.ChannelTo(address), absl::Milliseconds(rt.config().GetInt("configuration_deadline_ms")));
  }
  // A synchroniser's lists wait for the writes under way (settled_writes.h).
  const incident::SettledWrites settled_writes(committer, clock);
  const incident::IncidentManagement incident_management(factory, incidents, &settled_writes);
  // Resolved incidents nobody can reopen any more are closed (decision 269).
  std::unique_ptr<incident::ResolvedIncidentCloser> closer;
  if (rt.config().GetBool("auto_close_resolved")) {
    closer = std::make_unique<incident::ResolvedIncidentCloser>(
        *db, committer, incident_management, clock,
        incident::ResolvedIncidentCloser::Options{
            .reopen_window = absl::Hours(reopen_window_hours),
            .poll_interval = absl::Seconds(rt.config().GetInt("auto_close_interval_seconds"))});
    prometheus::Counter& closed = prometheus::BuildCounter()
                                      .Name("itsm_incident_auto_closed_total")
                                      .Help(
                                          "Resolved incidents closed by the service after their "
                                          "reopen window.")
                                      .Register(rt.metrics())
                                      .Add({});
    closer->SetObserver([&closed] { closed.Increment(); });
    closer->Start();
    // Before the committer stops (shutdown runs in reverse order of registration).
    rt.OnShutdown("resolved incident closer", [&closer] { closer->Stop(); });
  }
  const incident::RequestFulfilment request_fulfilment(requests);
  const incident::ProblemManagement problem_management(problems, incidents);
  incident::IncidentGrpcService service(
      *db, committer, executor, {incident_management, request_fulfilment, problem_management},
      cmdb.get());
  rt.AddService(&service, "itsm.incident.v1.IncidentService");

  // Alertmanager notifications (docs/observability.md). Without the CMDB, alerts still open
  // incidents; their CI labels are noted instead of mapped.
  const incident::AlertIntake alert_intake(*db, cmdb.get(), *alert_settings, *matrix,
                                           incident_management, clock);
  incident::AlertMetrics alert_metrics(rt.metrics());
  incident::AlertGrpcService alert_service(committer, executor, alert_intake, &alert_metrics);
  rt.AddService(&alert_service, "itsm.incident.v1.AlertIntakeService");
  return rt.Run();
}
