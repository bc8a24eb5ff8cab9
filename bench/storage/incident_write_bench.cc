// The cost of one incident create inside a group-commit batch, without gRPC: the savepoint, the
// number, the incident row and its indexes, the outbox row. Tells how much of the create path
// is storage, as opposed to RPC and threading.
#include "benchmark/benchmark.h"
#include "itsm/base/clock.h"
#include "itsm/incident/v1/events.pb.h"
#include "itsm/outbox/outbox.h"
#include "itsm/records/record_diff.h"
#include "itsm/storage/migrations.h"
#include "itsm/testing/test_env.h"
#include "services/incident/src/incident_factory.h"
#include "services/incident/src/incident_repository.h"

namespace itsm {
namespace {

void BM_IncidentCreateUnit(benchmark::State& state) {
  const bool full = state.range(0) == 1;
  const int batch = static_cast<int>(state.range(1));
  testing::ScratchDir dir;
  auto db = storage::OpenDatabase(
      "sqlite://" + dir.File("incident.db"),
      {.pool_size = 1, .busy_timeout_ms = 5000, .sqlite_synchronous_full = full});
  if (!db.ok() || !storage::ApplySchema(**db, incident::IncidentRepository::Schema()).ok()) {
    state.SkipWithError("cannot set up the database");
    return;
  }
  const incident::PriorityMatrix matrix = incident::PriorityMatrix::Default();
  const incident::IncidentFactory factory(matrix, base::SystemClock::Get());
  incident::v1::CreateIncidentRequest request;
  request.set_title("Benchmark incident: checkout latency above threshold");
  request.set_description("Synthetic. Customers report slow checkout; p95 above 2 s since 09:40.");
  request.set_service("checkout");
  request.set_impact(2);
  request.set_urgency(2);
  request.set_assignment_group("payments");
  int64_t units = 0;
  for (auto _ : state) {
    auto txn = (*db)->Begin(storage::TransactionMode::kReadWrite);
    for (int i = 0; i < batch; ++i) {
      (void)(*txn)->Savepoint("unit");
      incident::v1::Incident incident = factory.NewIncident(request, "bench");
      (void)incident::IncidentRepository::Insert(**txn, incident);
      incident::v1::IncidentCreated created;
      *created.mutable_incident() = incident;
      (void)outbox::Outbox::Append(
          **txn, {"itsm.incident.v1", incident.id(),
                  events::MakeCloudEvent(created, "itsm/incident", incident.id(), absl::Now())});
      (void)(*txn)->ReleaseSavepoint("unit");
    }
    (void)(*txn)->Commit();
    units += batch;
  }
  state.SetItemsProcessed(units);
}
// (synchronous FULL?, units per transaction)
BENCHMARK(BM_IncidentCreateUnit)
    ->Args({0, 1})
    ->Args({0, 64})
    ->Args({1, 1})
    ->Args({1, 64})
    ->Unit(benchmark::kMicrosecond);

// The audit entry's field diff (records::DiffFields) of a create (nothing before) and of an
// update that changes one field of an incident with a long description: the diff runs in the
// writer's unit for every write of every record kind.
void BM_AuditDiff(benchmark::State& state) {
  const bool update = state.range(0) == 1;
  const incident::PriorityMatrix matrix = incident::PriorityMatrix::Default();
  const incident::IncidentFactory factory(matrix, base::SystemClock::Get());
  incident::v1::CreateIncidentRequest request;
  request.set_title("Benchmark incident: checkout latency above threshold");
  request.set_description(std::string(4000, 'd'));
  request.set_service("checkout");
  request.set_impact(2);
  request.set_urgency(2);
  request.set_assignment_group("payments");
  const incident::v1::Incident after = factory.NewIncident(request, "bench");
  incident::v1::Incident before;
  if (update) {
    before = after;
    before.set_assignee("someone-else");
  }
  for (auto _ : state) benchmark::DoNotOptimize(records::DiffFields(before, after));
}
// (0: a create, 1: an update of one field)
BENCHMARK(BM_AuditDiff)->Arg(0)->Arg(1)->Unit(benchmark::kNanosecond);

}  // namespace
}  // namespace itsm

BENCHMARK_MAIN();
