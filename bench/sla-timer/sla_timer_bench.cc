// SLA timer benchmark (issue 5), against a real redis-server with AOF (everysec):
//  1. ingest: N/2 IncidentCreated events through the timer's handler, in batches of 500 events
//     spread over the partitions as the consumer hands them over (decisions, then one pipelined
//     round trip of Redis scripts per batch) -> N running clocks; events/s;
//  2. memory: Redis used_memory before/after, per clock (outbox emptied first: published
//     events do not stay in Redis);
//  3. firing: `burst` more incidents whose clocks all fall due in the same second, with the N
//     clocks still in Redis; the firing loop (8 partitions, poll 50 ms) fires them; delay =
//     fired at - due, p50/p99/max;
//  4. ingest through Kafka: `kafka_events` IncidentCreated events produced to itsm.incident.v1
//     (8 partitions) on the embedded broker first, then a second timer started with its
//     consumer and publisher: events/s from the partitions' assignment until every clock is in
//     Redis (its SlaClockStarted events are published to itsm.sla.v1 meanwhile). The embedded
//     broker keeps ~5 MB per partition: 100,000 events (~3.5 MB per partition) is about the most
//     it holds before dropping the oldest.
// usage: sla_timer_bench [--clocks=1000000] [--burst=10000] [--burst_target_seconds=20]
//                        [--kafka_events=100000] [--results_dir=DIR]
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "bench/load/process_cpu.h"
#include "itsm/base/clock.h"
#include "itsm/kafkamock/mock_cluster.h"
#include "itsm/redis/redis_client.h"
#include "itsm/supervisor/backends.h"
#include "itsm/testing/test_env.h"
#include "services/sla-timer/src/sla_timer.h"
#include "services/sla-timer/tests/test_support.h"

using namespace itsm;

namespace {

int64_t UsedMemory(redis::RedisClient& redis) {
  auto info = redis.Command({"INFO", "memory"});
  if (!info.ok()) return -1;
  const std::string key = "used_memory:";
  size_t at = info->str.find(key);
  int64_t v = -1;
  if (at != std::string::npos) {
    (void)absl::SimpleAtoi(
        info->str.substr(at + key.size(), info->str.find('\r', at) - at - key.size()), &v);
  }
  return v;
}

std::string Flag(int argc, char** argv, const std::string& name, const std::string& def) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]).starts_with(prefix)) return std::string(argv[i]).substr(prefix.size());
  }
  return def;
}

// Phase 4: returns events/s, or -1 when the run failed.
double IngestThroughKafka(const std::string& redis_address, sla_timer::DefinitionSource& source,
                          int64_t events) {
  auto cluster = kafkamock::MockCluster::Start(1);
  if (!cluster.ok()) return -1;
  const std::string bootstrap = (*cluster)->bootstrap_servers();
  if (!(*cluster)->CreateTopic(sla_timer::kIncidentTopic, 8).ok() ||
      !(*cluster)->CreateTopic(sla_timer::kSlaTopic, 8).ok()) {
    return -1;
  }
  {
    sla_timer::testing::IncidentProducer producer(bootstrap);
    for (int64_t k = 0; k < events; ++k) {
      auto i = sla_timer::testing::NewIncident(absl::StrCat("kafka-", k), absl::Now(), "bulk");
      producer.Send(sla_timer::testing::Created(i), i);
    }
  }
  sla_timer::SlaTimer::Options options;
  options.redis_address = redis_address;
  options.key_prefix = "itsm:sla-kafka";
  options.kafka_bootstrap_servers = bootstrap;
  prometheus::Registry registry;
  sla_timer::SlaTimer timer(options, source, base::SystemClock::Get(), registry);
  sla_timer::ClockStore store(redis_address, options.key_prefix);
  if (!timer.Start().ok()) return -1;
  auto running = [&] {
    int64_t n = 0;
    for (int p = 0; p < 8; ++p) {
      auto open = store.OpenClocks(p);
      if (open.ok()) n += (*open)["response:running"] + (*open)["resolution:running"];
    }
    return n;
  };
  // From the assignment: joining the group is not ingest.
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (timer.owned().empty() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(2));
  const absl::Time t0 = absl::Now();
  while (running() < 2 * events && absl::Now() < deadline + absl::Seconds(120)) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  const absl::Time t1 = absl::Now();
  const bool complete = running() == 2 * events;
  timer.StopConsumer();
  timer.StopFiring();
  timer.StopPublisher();
  return complete ? static_cast<double>(events) / absl::ToDoubleSeconds(t1 - t0) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  // As in the service (ServiceRuntime): Debian's Abseil keeps lock-order checks on otherwise.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const int64_t clocks = std::stoll(Flag(argc, argv, "clocks", "1000000"));
  const int burst = std::stoi(Flag(argc, argv, "burst", "10000"));
  // Long enough for the burst's ingest to finish before its clocks fall due.
  const int burst_target_seconds = std::stoi(Flag(argc, argv, "burst_target_seconds", "20"));
  const int64_t kafka_events = std::stoll(Flag(argc, argv, "kafka_events", "100000"));
  const std::string results_dir = Flag(argc, argv, "results_dir", "");
  constexpr int kPartitions = 8;

  itsm::testing::ScratchDir dir;
  auto redis = supervisor::RedisServer::Start(dir.File("redis"), 0, dir.File("redis.log"));
  if (!redis.ok()) {
    std::fprintf(stderr, "redis: %s\n", redis.status().ToString().c_str());
    return 1;
  }
  sla_timer::StaticDefinitionSource source;
  source.Put(sla_timer::testing::AlwaysOpen("cal", "24x7"));
  // 1 h to respond, 8 h to resolve: nothing of the bulk falls due during the run.
  source.Put(sla_timer::testing::ShortSla("bulk", "bulk", "cal", absl::Hours(8), absl::Hours(1)));
  // The burst: resolution only, 20 s, one warning at 50 % (10 s before the breach).
  auto burst_def =
      sla_timer::testing::ShortSla("burst", "burst", "cal", absl::Seconds(burst_target_seconds));
  burst_def.add_warning_thresholds(50);
  source.Put(burst_def);

  std::mutex mu;
  std::vector<double> delays;
  sla_timer::SlaTimer::Options options;
  options.redis_address = (*redis)->address();
  options.fire_poll_interval = absl::Milliseconds(50);
  options.on_fired = [&](const sla_timer::Fired& f, absl::Time at) {
    if (!f.breach) return;
    std::lock_guard<std::mutex> lock(mu);
    delays.push_back(absl::ToDoubleSeconds(at - f.due));
  };
  prometheus::Registry registry;
  sla_timer::SlaTimer timer(options, source, base::SystemClock::Get(), registry);
  std::vector<int32_t> all;
  for (int p = 0; p < kPartitions; ++p) all.push_back(p);
  timer.Assign(all);

  redis::RedisClient admin((*redis)->address());
  sla_timer::ClockStore store((*redis)->address());
  const int64_t before = UsedMemory(admin);
  // As events::EventConsumer hands them over (Options::max_batch).
  constexpr size_t kBatch = 500;
  std::vector<events::ConsumedEvent> batch;
  auto flush = [&] {
    for (const absl::Status& s : timer.HandleBatch(batch)) {
      if (!s.ok()) std::fprintf(stderr, "handle: %s\n", s.ToString().c_str());
    }
    batch.clear();
  };
  auto feed = [&](const incident::v1::Incident& i, int32_t p) {
    batch.push_back(sla_timer::testing::Consumed(sla_timer::testing::Created(i), i, p));
    if (batch.size() == kBatch) flush();
  };

  // 1. Ingest. CPU per event, unlike the rate, barely depends on what else runs: the
  // benchmark's process (the handler, and the events it builds) and redis-server's main process
  // (not its AOF rewrites, which run in children of their own).
  const int64_t incidents = clocks / 2;
  const bench::CpuWatch cpu{
      .processes = {{"timer", getpid()}, {"redis", (*redis)->process().pid()}}};
  const std::vector<double> cpu_before = cpu.Sample();
  const absl::Time t0 = absl::Now();
  for (int64_t k = 0; k < incidents; ++k) {
    feed(sla_timer::testing::NewIncident(absl::StrCat("bulk-", k), absl::Now(), "bulk"),
         static_cast<int32_t>(k % kPartitions));
  }
  flush();
  const double ingest_s = absl::ToDoubleSeconds(absl::Now() - t0);
  const double ingest_rate = static_cast<double>(incidents) / ingest_s;
  const std::vector<bench::CpuPerCall> ingest_cpu =
      bench::CpuPerCallBetween(cpu, cpu_before, cpu.Sample(), incidents);

  // 2. Memory, without the SlaClockStarted events waiting in the outbox (no publisher here).
  for (int p = 0; p < kPartitions; ++p) (void)admin.Command({"DEL", store.OutboxKey(p)});
  const int64_t after = UsedMemory(admin);
  const double per_clock = static_cast<double>(after - before) / static_cast<double>(clocks);

  // 3. Burst: every burst clock created at the same instant, so all are due at due_at.
  if (absl::Status s = timer.Start(); !s.ok()) return 1;
  const absl::Time created = absl::Now();
  const absl::Time due_at = created + absl::Seconds(burst_target_seconds);
  for (int k = 0; k < burst; ++k) {
    feed(sla_timer::testing::NewIncident(absl::StrCat("burst-", k), created, "burst"),
         static_cast<int32_t>(k % kPartitions));
  }
  flush();
  const double burst_ingest_s = absl::ToDoubleSeconds(absl::Now() - created);
  while (absl::Now() < due_at + absl::Seconds(30)) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (static_cast<int>(delays.size()) >= burst) break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  timer.StopFiring();
  std::sort(delays.begin(), delays.end());

  // 4. Through Kafka, with the consumer.
  const double kafka_rate =
      kafka_events > 0 ? IngestThroughKafka((*redis)->address(), source, kafka_events) : 0;
  auto pct = [&](double q) {
    if (delays.empty()) return -1.0;
    return delays[std::min(delays.size() - 1,
                           static_cast<size_t>(q * static_cast<double>(delays.size())))];
  };
  const std::string json = absl::StrFormat(
      "{\"clocks\": %d, \"incidents\": %d, \"ingest_seconds\": %.2f, \"ingest_events_per_second\": "
      "%.0f, "
      "\"redis_used_memory_before\": %d, \"redis_used_memory_after\": %d, \"bytes_per_clock\": "
      "%.1f, "
      "\"burst\": %d, \"burst_ingest_seconds\": %.2f, \"breaches_fired\": %d, "
      "\"fire_delay_p50_seconds\": %.3f, \"fire_delay_p99_seconds\": %.3f, "
      "\"fire_delay_max_seconds\": %.3f, \"kafka_events\": %d, "
      "\"kafka_ingest_events_per_second\": %.0f, \"ingest_cpu_us_per_event_timer\": %.1f, "
      "\"ingest_cpu_us_per_event_redis\": %.1f}\n",
      clocks, incidents, ingest_s, ingest_rate, before, after, per_clock, burst, burst_ingest_s,
      static_cast<int64_t>(delays.size()), pct(0.5), pct(0.99),
      delays.empty() ? -1.0 : delays.back(), kafka_events, kafka_rate, ingest_cpu[0].micros,
      ingest_cpu[1].micros);
  std::printf("%s", json.c_str());
  if (!results_dir.empty()) std::ofstream(results_dir + "/sla_timer.json") << json;
  return delays.size() == static_cast<size_t>(burst) && kafka_rate >= 0 ? 0 : 1;
}
