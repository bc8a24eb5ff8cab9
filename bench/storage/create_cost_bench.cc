// create_cost_bench: the CPU of the parts of an incident create that the service runs besides
// its gRPC call, each measured alone in this process (getrusage: every thread of it, SQLite's and
// librdkafka's included), so that the floor under a create's CPU can be summed from parts:
//
//   1. the unit as the service's writer runs it — validation, the number, the incident row and
//      its indexes, the audit entry, the event and its outbox row, no idempotency key — in
//      transactions of --batch creates, each committed with synchronous=FULL and its sync;
//   2. the outbox relay publishing those events to the embedded broker (itsm-kafka, another
//      process, whose CPU is reported apart) and marking them published through a group
//      committer, as in the service;
//      (2b: the marks alone, an UPDATE of a thousand rows a transaction, as the relay's are);
//   3. a bare producer (events::KafkaProducer, batches of 500) sending the same events: what
//      publishing costs with no outbox at all.
//
// The gRPC part and the hand-overs of a committed write are itsm-bench's committed-reference
// scenario. docs/benchmarks.md adds them up.
//
//   build/bench/create_cost_bench [--creates=64000] [--batch=64]
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "bench/load/process_cpu.h"
#include "bench/load/sample_request.h"
#include "itsm/base/clock.h"
#include "itsm/events/cloud_event.h"
#include "itsm/events/kafka_producer.h"
#include "itsm/incident/v1/events.pb.h"
#include "itsm/outbox/outbox_relay.h"
#include "itsm/storage/group_commit.h"
#include "itsm/storage/migrations.h"
#include "itsm/supervisor/backends.h"
#include "itsm/testing/test_env.h"
#include "prometheus/registry.h"
#include "services/incident/src/incident_management.h"
#include "services/incident/src/incident_repository.h"

namespace itsm::bench {
namespace {

constexpr char kTopic[] = "itsm.incident.v1";

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// CPU and wall time of one part, per create.
class Part {
 public:
  explicit Part(std::string name) : name_(std::move(name)) {}
  void Report(int64_t creates, double other_process_cpu = 0, const char* other = "") const {
    const double cpu = SelfCpuSeconds() - cpu_;
    const double wall = absl::ToDoubleSeconds(absl::Now() - start_);
    std::printf("%-58s %8.1f µs CPU a create  %9.0f /s", name_.c_str(), cpu / creates * 1e6,
                creates / wall);
    if (other[0] != '\0') std::printf("  (%s %.1f µs)", other, other_process_cpu / creates * 1e6);
    std::printf("\n");
  }

 private:
  std::string name_;
  double cpu_ = SelfCpuSeconds();
  absl::Time start_ = absl::Now();
};

// itsm_outbox_published_events_total, summed over event types.
double PublishedEvents(prometheus::Registry& registry) {
  double total = 0;
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != "itsm_outbox_published_events_total") continue;
    for (const prometheus::ClientMetric& metric : family.metric) total += metric.counter.value;
  }
  return total;
}

int Fail(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), status.ToString().c_str());
  return 1;
}

int Main(int argc, char** argv) {
  int64_t creates = 64000;
  int64_t batch = 64;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--creates=") && absl::SimpleAtoi(arg, &creates)) continue;
    if (absl::ConsumePrefix(&arg, "--batch=") && absl::SimpleAtoi(arg, &batch)) continue;
    std::fprintf(stderr, "usage: create_cost_bench [--creates=N] [--batch=N]\n");
    return 2;
  }
  if (creates < 1 || batch < 1) return Fail("arguments", absl::InvalidArgumentError("must be > 0"));
  testing::ScratchDir dir;
  auto db = storage::OpenDatabase(
      "sqlite://" + dir.File("incident.db"),
      {.pool_size = 2, .busy_timeout_ms = 5000, .sqlite_synchronous_full = true});
  if (!db.ok()) return Fail("open", db.status());
  if (absl::Status s = storage::ApplySchema(**db, incident::IncidentRepository::Schema());
      !s.ok()) {
    return Fail("schema", s);
  }
  const incident::PriorityMatrix matrix = incident::PriorityMatrix::Default();
  const base::Clock& clock = base::SystemClock::Get();
  const incident::IncidentFactory factory(matrix, clock);
  const incident::IncidentWorkflow workflow(matrix, clock, {});
  const incident::IncidentManagement incidents(factory, workflow);
  const base::Caller caller{.actor = "bench"};
  std::vector<incident::v1::CreateIncidentRequest> requests;
  requests.reserve(creates);
  for (int64_t n = 0; n < creates; ++n) requests.push_back(SampleRequest(n));

  std::vector<incident::v1::Incident> created;
  created.reserve(creates);
  {
    const Part part(absl::StrCat("1. the unit, transactions of ", batch, ", synchronous=FULL"));
    for (int64_t first = 0; first < creates; first += batch) {
      auto txn = (*db)->Begin(storage::TransactionMode::kReadWrite);
      if (!txn.ok()) return Fail("begin", txn.status());
      for (int64_t n = first; n < std::min(creates, first + batch); ++n) {
        incident::v1::Incident out;
        if (absl::Status s = incidents.Create(**txn, caller, requests[n], {}, out); !s.ok()) {
          return Fail("create", s);
        }
        created.push_back(std::move(out));
      }
      if (absl::Status s = (*txn)->Commit(); !s.ok()) return Fail("commit", s);
    }
    part.Report(creates);
  }

  supervisor::KafkaBroker::Options broker_options;
  broker_options.dir = dir.File("kafka");
  broker_options.log_file = dir.File("kafka.log");
  broker_options.topics = {kTopic};
  auto broker = supervisor::KafkaBroker::Start(broker_options);
  if (!broker.ok()) return Fail("broker", broker.status());
  const pid_t broker_pid = (*broker)->process().pid();
  {
    prometheus::Registry registry;
    storage::GroupCommitter committer(**db, {});
    outbox::RelayOptions relay_options;
    relay_options.bootstrap_servers = (*broker)->bootstrap_servers();
    outbox::OutboxRelay relay(**db, relay_options, registry, &committer);
    const double broker_cpu = ProcessCpuSeconds(broker_pid);
    const Part part("2. the outbox relay: read, produce, delivery reports, marks");
    // Its own thread, as in the service: rounds back to back while full batches come, the
    // marks coalesced between them.
    if (absl::Status s = relay.Start(); !s.ok()) return Fail("relay", s);
    relay.Wake();
    const absl::Time deadline = absl::Now() + absl::Minutes(5);
    while (PublishedEvents(registry) < creates) {
      if (absl::Now() > deadline) {
        return Fail("relay", absl::DeadlineExceededError(absl::StrCat(
                                 "published ", PublishedEvents(registry), " of ", creates)));
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    relay.Stop();  // the last marks
    committer.Stop();
    part.Report(creates, ProcessCpuSeconds(broker_pid) - broker_cpu, "broker");
  }
  {
    // The marks alone, as the relay's writer makes them (one UPDATE of about a thousand rows a
    // transaction, every 100 ms at ~10,000 creates a second): the rows unmarked again first.
    {
      // Ended before the marks begin: writes share one connection (decision 224).
      auto txn = (*db)->Begin(storage::TransactionMode::kReadWrite);
      if (!txn.ok()) return Fail("begin", txn.status());
      if (auto s = (*txn)->Execute("UPDATE outbox SET published_at_us = NULL", {}); !s.ok()) {
        return Fail("unmark", s.status());
      }
      if (absl::Status s = (*txn)->Commit(); !s.ok()) return Fail("commit", s);
    }
    constexpr int64_t kMarksPerTransaction = 1000;
    const Part part("2b. of which the marks: UPDATE of 1,000 rows a transaction");
    for (int64_t first = 1; first <= creates; first += kMarksPerTransaction) {
      auto marks = (*db)->Begin(storage::TransactionMode::kReadWrite);
      if (!marks.ok()) return Fail("begin", marks.status());
      auto marked = (*marks)->Execute(
          "UPDATE outbox SET published_at_us = $1 WHERE id BETWEEN $2 AND $3",
          {absl::ToUnixMicros(absl::Now()), first, first + kMarksPerTransaction - 1});
      if (!marked.ok()) return Fail("mark", marked.status());
      if (absl::Status s = (*marks)->Commit(); !s.ok()) return Fail("commit", s);
    }
    part.Report(creates);
  }
  std::vector<events::CloudEvent> events;
  events.reserve(creates);
  for (const incident::v1::Incident& i : created) {
    incident::v1::IncidentCreated event;
    *event.mutable_incident() = i;
    events.push_back(events::MakeCloudEvent(event, "itsm/incident", i.id(), absl::Now()));
  }
  auto producer =
      events::KafkaProducer::Create({.bootstrap_servers = (*broker)->bootstrap_servers()});
  if (!producer.ok()) return Fail("producer", producer.status());
  {
    const double broker_cpu = ProcessCpuSeconds(broker_pid);
    const Part part("3. a bare producer, batches of 500: produce, delivery reports");
    constexpr size_t kBatch = 500;
    for (size_t first = 0; first < events.size(); first += kBatch) {
      auto sending = (*producer)->NewBatch();
      if (!sending.ok()) return Fail("producer", sending.status());
      for (size_t n = first; n < std::min(events.size(), first + kBatch); ++n) {
        if (sending->Produce(kTopic, events[n].subject, events[n]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
          return Fail("produce", absl::UnavailableError("not queued"));
        }
      }
      for (const auto& delivery : sending->Wait()) {
        if (!delivery.delivered()) return Fail("produce", absl::UnavailableError("not delivered"));
      }
    }
    part.Report(creates, ProcessCpuSeconds(broker_pid) - broker_cpu, "broker");
  }
  return 0;
}

}  // namespace
}  // namespace itsm::bench

int main(int argc, char** argv) { return itsm::bench::Main(argc, argv); }
