// itsm-supplier: suppliers, contracts and underpinning contracts, their deadlines, reviews,
// scorecards and the cost of services.
#include "itsm/base/clock.h"
#include "itsm/outbox/outbox_component.h"
#include "itsm/records/idempotency.h"
#include "itsm/runtime/executor.h"
#include "itsm/runtime/logging.h"
#include "itsm/runtime/service_runtime.h"
#include "itsm/servicedb/service_database.h"
#include "itsm/storage/group_commit.h"
#include "services/supplier/src/contract_deadlines.h"
#include "services/supplier/src/scorecard_projection.h"
#include "services/supplier/src/supplier_grpc_service.h"
#include "services/supplier/src/supplier_metrics.h"
#include "services/supplier/src/supplier_repository.h"
#include "services/supplier/src/supplier_service_info.h"

int main(int argc, char** argv) {
  using namespace itsm;
  runtime::ServiceRuntime rt(argc, argv, supplier::SupplierServiceInfo());

  auto notice_leads = supplier::ParseLeadDays(rt.config().GetString("notice_lead_days"));
  auto expiry_leads = supplier::ParseLeadDays(rt.config().GetString("expiry_lead_days"));
  if (!notice_leads.ok() || !expiry_leads.ok()) {
    runtime::log::Error(
        "invalid configuration",
        {{"error",
          (notice_leads.ok() ? expiry_leads.status() : notice_leads.status()).ToString()}});
    return 2;
  }
  auto db = servicedb::OpenDatabaseOrExit(rt, supplier::SupplierRepository::Schema());
  records::IdempotencyPruner pruner(*db,
                                    absl::Hours(rt.config().GetInt("idempotency_retention_hours")));
  pruner.Start();
  rt.OnShutdown("idempotency pruner", [&pruner] { pruner.Stop(); });
  // The one writer of the database: record writes, deadline firings and the relay's "published"
  // marks share its batched transactions.
  storage::GroupCommitter committer(
      *db, {.max_batch = static_cast<int>(rt.config().GetInt("commit_batch_size")), .writers = 1});
  servicedb::ObserveGroupCommits(committer, rt.metrics());
  auto outbox = outbox::OutboxComponent::StartOrExit(rt, *db, &committer);
  committer.SetAfterCommit([&outbox] { outbox->relay().Wake(); });
  // Registered after the relay, so it stops first: queued writes commit before the relay's last
  // round picks up their events.
  rt.OnShutdown("group committer", [&committer] { committer.Stop(); });

  const base::Clock& clock = base::SystemClock::Get();
  const supplier::SupplierRules supplier_rules(clock);
  const supplier::ContractRules contract_rules(clock);
  const supplier::DeadlineSchedule schedule(
      {.notice_lead_days = *notice_leads, .expiry_lead_days = *expiry_leads}, clock);
  // Outbound calls carry this service's own identity (ChannelTo).
  auto channel = [&rt](const char* option) -> std::shared_ptr<grpc::Channel> {
    const std::string address = rt.config().GetString(option);
    return address.empty() ? nullptr : rt.ChannelTo(address);
  };
  supplier::GrpcReferenceChecks references(channel("configuration_address"), channel("sla_address"),
                                           {});

  supplier::SupplierMetrics metrics(*db, clock, rt.metrics());
  // Registered after the committer, so it stops before it: a round in progress commits.
  supplier::DeadlineScheduler scheduler(
      committer, contract_rules, schedule, clock,
      {.poll_interval = absl::Seconds(rt.config().GetInt("deadline_poll_seconds"))});
  scheduler.SetObserver([&metrics](const supplier::v1::Deadline& d) { metrics.Fired(d); });
  scheduler.Start();
  rt.OnShutdown("deadline scheduler", [&scheduler] { scheduler.Stop(); });
  // Scorecards: incident and SLA events applied with their de-duplication marks in the
  // committer's transactions. One consumer group for every replica: each event is applied by one
  // of them (and once: a redelivery after a rebalance finds its mark). Registered after the
  // committer, so it stops before it: the batch in hand commits.
  supplier::ScorecardProjection projection(
      committer, clock,
      {.mark_retention = absl::Hours(24 * rt.config().GetInt("scorecard_mark_retention_days"))});
  // Facts stored before the roll-ups existed (schema migration 2) are rolled up once, before the
  // consumer changes them: by the first replica to start, the others wait for its commit.
  if (absl::StatusOr<bool> rebuilt = supplier::RebuildRollupsIfPending(committer); !rebuilt.ok()) {
    runtime::log::Error("cannot roll up the stored scorecard facts",
                        {{"error", rebuilt.status().ToString()}});
    return 1;  // the database's failure, not a bad option (code 2): the supervisor retries
  } else if (*rebuilt) {
    runtime::log::Info("scorecard facts rolled up (schema migration 2)", {});
  }
  std::unique_ptr<events::EventConsumer> consumer;
  if (const std::string bootstrap = rt.config().GetString("kafka_bootstrap_servers");
      !bootstrap.empty()) {
    consumer = supplier::NewScorecardConsumer(
        projection,
        {.bootstrap_servers = bootstrap,
         .group_id = rt.config().GetString("consumer_group"),
         .client_properties = rt.config().GetString("kafka_client_properties")},
        rt.metrics());
    if (absl::Status s = consumer->Start(); !s.ok()) {
      runtime::log::Error("cannot start the scorecard consumer", {{"error", s.ToString()}});
      return 2;
    }
    rt.OnShutdown("scorecard consumer", [&consumer] { consumer->Stop(); });
  } else {
    runtime::log::Warn("kafka_bootstrap_servers is empty: scorecards show only stored facts", {});
  }
  metrics.Start();
  rt.OnShutdown("supplier metrics", [&metrics] { metrics.Stop(); });

  // Blocking work of calls (reads, outbound checks) runs here, never on gRPC's callback threads.
  runtime::Executor executor("calls", static_cast<int>(rt.config().GetInt("database_pool_size")),
                             4096);
  rt.OnShutdown("call executor", [&executor] { executor.Stop(); });
  const supplier::SupplierManagement suppliers(supplier_rules, schedule, references);
  const supplier::ContractManagement contracts(contract_rules, schedule, references);
  const supplier::Scorecards scorecards(clock);
  const supplier::ServiceCosts costs(clock);
  supplier::SupplierGrpcService service(*db, committer, executor,
                                        {suppliers, contracts, scorecards, costs});
  rt.AddService(&service, "itsm.supplier.v1.SupplierService");
  return rt.Run();
}
