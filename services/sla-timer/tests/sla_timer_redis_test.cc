// The SLA timer in process against a real redis-server (AOF) and the in-process Kafka mock
// cluster, with a ManualClock: events in -> clocks in Redis -> fired exactly once -> events out,
// across restarts, Redis restarts, and partitions moving between two replicas.
#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "itsm/base/clock.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/kafkamock/mock_cluster.h"
#include "itsm/supervisor/backends.h"
#include "itsm/testing/kafka_reader.h"
#include "itsm/testing/test_env.h"
#include "services/sla-timer/src/sla_timer.h"
#include "services/sla-timer/src/timer_admin_service.h"
#include "services/sla-timer/tests/test_support.h"

namespace itsm::sla_timer {
namespace {

using supervisor::WaitUntil;
using testing::Consumed;
using testing::NewIncident;

const absl::Time kT0 = absl::FromUnixSeconds(1'900'000'000);

// The sum of a metric's series whose labels include `labels` (a histogram's: its sample count).
double MetricSum(prometheus::Registry& registry, const std::string& name,
                 const std::map<std::string, std::string>& labels = {}) {
  double sum = 0;
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      size_t matched = 0;
      for (const auto& label : metric.label) {
        auto it = labels.find(label.name);
        if (it != labels.end() && it->second == label.value) ++matched;
      }
      if (matched == labels.size()) {
        sum += metric.counter.value + metric.gauge.value +
               static_cast<double>(metric.histogram.sample_count);
      }
    }
  }
  return sum;
}

// `count` incidents inc-0, inc-1, ... created at kT0, sent to the topic (flushed).
std::vector<incident::v1::Incident> SendCreated(testing::IncidentProducer& producer, int count) {
  std::vector<incident::v1::Incident> incidents;
  for (int k = 0; k < count; ++k) {
    incidents.push_back(NewIncident("inc-" + std::to_string(k), kT0));
    producer.Send(testing::Created(incidents.back()), incidents.back());
  }
  producer.Flush();
  return incidents;
}

// inc-0 ... inc-9 created at kT0 (P1, a response and a resolution clock each); the first three
// put on hold by bob a minute later: their response met, their resolution paused.
void SendTenWithThreeOnHold(testing::IncidentProducer& producer) {
  for (int k = 0; k < 10; ++k) {
    auto i = NewIncident("inc-" + std::to_string(k), kT0);
    producer.Send(testing::Created(i), i);
    if (k < 3) {
      i.set_state(incident::v1::INCIDENT_STATE_ON_HOLD);
      i.set_assignee("bob");
      i.set_version(2);
      *i.mutable_update_time() = base::ToProtoTimestamp(kT0 + absl::Minutes(1));
      producer.Send(testing::StateChanged(i), i);
    }
  }
}

// `i` (created at kT0) resolved by bob a minute later, as its version 2, sent to the topic.
void SendResolvedAfterAMinute(testing::IncidentProducer& producer, incident::v1::Incident& i) {
  i.set_state(incident::v1::INCIDENT_STATE_RESOLVED);
  i.set_assignee("bob");
  i.set_version(2);
  *i.mutable_update_time() = base::ToProtoTimestamp(kT0 + absl::Minutes(1));
  producer.Send(testing::StateChanged(i), i);
}

class SlaTimerRedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = supervisor::RedisServer::Start(dir_.File("redis"), 0, dir_.File("redis.log"));
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = std::move(*redis);
    source_.Put(testing::AlwaysOpen("cal", "24x7"));
    source_.Put(testing::ShortSla("gold", "vpn", "cal", absl::Hours(4), absl::Minutes(30)));
  }

  SlaTimer::Options TimerOptions(const std::string& kafka = "") {
    SlaTimer::Options o;
    o.redis_address = redis_->address();
    o.kafka_bootstrap_servers = kafka;
    o.fire_poll_interval = absl::Milliseconds(20);
    o.publish_poll_interval = absl::Milliseconds(20);
    o.fire_batch = 50;
    return o;
  }
  std::unique_ptr<SlaTimer> NewTimer(prometheus::Registry& registry, const SlaTimer::Options& o,
                                     DefinitionSource* source = nullptr) {
    return std::make_unique<SlaTimer>(o, source ? *source : source_, clock_, registry);
  }
  std::unique_ptr<SlaTimer> NewTimer(prometheus::Registry& registry,
                                     const std::string& kafka = "") {
    return NewTimer(registry, TimerOptions(kafka));
  }
  // A timer whose keys start with `key_prefix`, without Kafka.
  std::unique_ptr<SlaTimer> NewTimerWithPrefix(prometheus::Registry& registry,
                                               const std::string& key_prefix) {
    SlaTimer::Options o = TimerOptions();
    o.key_prefix = key_prefix;
    return NewTimer(registry, o);
  }

  // Feeds an incident event straight to the handler, as the consumer would.
  absl::Status Feed(SlaTimer& timer, const google::protobuf::Message& m,
                    const incident::v1::Incident& i, int32_t partition) {
    return timer.Handle(Consumed(m, i, partition));
  }

  // An embedded broker with the timer's two topics, four partitions each.
  static absl::StatusOr<std::unique_ptr<kafkamock::MockCluster>> StartCluster() {
    ITSM_ASSIGN_OR_RETURN(auto cluster, kafkamock::MockCluster::Start(1));
    ITSM_RETURN_IF_ERROR(cluster->CreateTopic(kIncidentTopic, 4));
    ITSM_RETURN_IF_ERROR(cluster->CreateTopic(kSlaTopic, 4));
    return cluster;
  }

  // FLUSHALL under `replicas` running timers of one group (AnEmptiedRedisIsRebuilt...).
  void EmptyRedisUnderRunningTimers(int replicas);

  // Open clocks of the four partitions by "kind:stage" (the commit script's counts); empty when
  // Redis cannot be read.
  std::map<std::string, int64_t> OpenClocks() {
    ClockStore store(redis_->address());
    std::map<std::string, int64_t> total;
    for (int p = 0; p < 4; ++p) {
      auto open = store.OpenClocks(p);
      if (!open.ok()) return {};
      for (const auto& [k, v] : *open) total[k] += v;
    }
    return total;
  }

  // Every outbox entry of every partition, by ce_id -> count.
  std::map<std::string, int> OutboxIds(int partitions,
                                       std::map<std::string, int>* by_type = nullptr,
                                       const std::string& key_prefix = "itsm:sla") {
    ClockStore store(redis_->address(), key_prefix);
    std::map<std::string, int> ids;
    for (int p = 0; p < partitions; ++p) {
      auto entries = store.PeekOutbox(p, 100000);
      EXPECT_TRUE(entries.ok()) << entries.status();
      if (!entries.ok()) continue;
      for (const auto& raw : *entries) {
        sla::v1::TimerOutboxEntry e;
        EXPECT_TRUE(e.ParseFromString(raw));
        ++ids[e.id()];
        if (by_type) ++(*by_type)[e.type()];
      }
    }
    return ids;
  }

  // What a crashed host's disk will hold: Redis as it is now, stopped cleanly to copy it into
  // redis-before, then started again on the same port (logging to `log`).
  void CopyRedisAndRestart(const std::string& log) {
    redis_->Stop();
    std::filesystem::copy(dir_.File("redis"), dir_.File("redis-before"),
                          std::filesystem::copy_options::recursive);
    auto redis = supervisor::RedisServer::Start(dir_.File("redis"), redis_->port(), dir_.File(log));
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = std::move(*redis);
  }

  itsm::testing::ScratchDir dir_;
  std::unique_ptr<supervisor::RedisServer> redis_;
  StaticDefinitionSource source_;
  base::ManualClock clock_{kT0};
};

TEST_F(SlaTimerRedisTest, ClocksLiveInRedisAndFireOnceAcrossRestarts) {
  prometheus::Registry registry;
  auto timer = NewTimer(registry);
  timer->Assign({0, 1});
  for (int k = 0; k < 20; ++k) {
    auto i = NewIncident("inc-" + std::to_string(k), kT0);
    ASSERT_TRUE(Feed(*timer, testing::Created(i), i, k % 2).ok());
    // A redelivery changes nothing.
    ASSERT_TRUE(Feed(*timer, testing::Created(i), i, k % 2).ok());
  }
  ClockStore store(redis_->address());
  auto open = store.OpenClocks(0);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ((*open)["response:running"], 10);
  EXPECT_EQ((*open)["resolution:running"], 10);
  EXPECT_EQ(OutboxIds(2).size(), 40u);  // two SlaClockStarted per incident

  clock_.Advance(absl::Minutes(31));  // every response clock is due
  auto fired = timer->FireOnce();
  ASSERT_TRUE(fired.ok()) << fired.status();
  EXPECT_EQ(*fired, 20 * 4);  // 50, 75, 90 %, breach
  EXPECT_EQ(*timer->FireOnce(), 0);

  // A new process on the same Redis (and Redis itself restarted from its AOF) fires nothing
  // again; the resolution clocks fire later, once.
  timer.reset();
  redis_->Stop();
  auto redis =
      supervisor::RedisServer::Start(dir_.File("redis"), redis_->port(), dir_.File("redis2.log"));
  ASSERT_TRUE(redis.ok()) << redis.status();
  redis_ = std::move(*redis);
  prometheus::Registry registry2;
  timer = NewTimer(registry2);
  timer->Assign({0, 1});
  EXPECT_EQ(*timer->FireOnce(), 0);
  clock_.Advance(absl::Hours(4));
  EXPECT_EQ(*timer->FireOnce(), 20 * 4);
  EXPECT_EQ(*timer->FireOnce(), 0);
  std::map<std::string, int> types;
  auto ids = OutboxIds(2, &types);
  for (const auto& [id, n] : ids) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(types["itsm.sla.v1.SlaBreached"], 40);
  EXPECT_EQ(types["itsm.sla.v1.SlaWarningReached"], 120);
  // Each clock's events are numbered 1, 2, ... in the order they are published (across the
  // restart too: the count is kept with the clock).
  std::map<std::string, int64_t> last;
  for (int p = 0; p < 2; ++p) {
    auto entries = ClockStore(redis_->address()).PeekOutbox(p, 100000);
    ASSERT_TRUE(entries.ok()) << entries.status();
    for (const auto& raw : *entries) {
      sla::v1::TimerOutboxEntry e;
      ASSERT_TRUE(e.ParseFromString(raw));
      sla::v1::SlaBreached carrier;  // every clock event carries its SlaClock in field 1
      ASSERT_TRUE(carrier.ParseFromString(e.data()));
      int64_t& seq = last[carrier.clock().clock_id()];
      EXPECT_EQ(carrier.clock().sequence(), seq + 1) << e.type();
      seq = carrier.clock().sequence();
    }
  }
  ASSERT_EQ(last.size(), 40u);
  for (const auto& [clock, seq] : last) EXPECT_EQ(seq, 5) << clock;  // started, 3 warnings, breach
}

// Due clocks that cannot fire (here: states that no longer parse) stay due and are tried again,
// but hold back none of the clocks due after them, however many fill a batch.
TEST_F(SlaTimerRedisTest, UnfireableClocksHoldBackNoOther) {
  constexpr int kBroken = 10, kHealthy = 3;
  SlaTimer::Options o = TimerOptions();
  o.fire_batch = 4;  // the broken clocks fill the first two batches and half the third
  o.unfireable_retry = absl::Hours(1);
  prometheus::Registry registry;
  auto timer = NewTimer(registry, o);
  timer->Assign({0});
  // The broken ones fall due first (50 % of the response at +15 min), the healthy ones at +16.
  for (int k = 0; k < kBroken; ++k) {
    auto i = NewIncident(absl::StrCat("broken-", k), kT0);
    ASSERT_TRUE(Feed(*timer, testing::Created(i), i, 0).ok());
  }
  for (int k = 0; k < kHealthy; ++k) {
    auto i = NewIncident(absl::StrCat("ok-", k), kT0 + absl::Minutes(1));
    ASSERT_TRUE(Feed(*timer, testing::Created(i), i, 0).ok());
  }
  ClockStore store(redis_->address());
  for (int k = 0; k < kBroken; ++k) {
    ASSERT_TRUE(store.redis()
                    .Command({"HSET", absl::StrCat("itsm:sla:clk:{0}:broken-", k), "s", "garbage"})
                    .ok());
  }
  clock_.Advance(absl::Minutes(20));
  auto fired = timer->FireOnce();
  ASSERT_TRUE(fired.ok()) << fired.status();
  EXPECT_EQ(*fired, kHealthy);  // each healthy clock's 50 % warning
  EXPECT_EQ(MetricSum(registry, "itsm_sla_timer_unfireable_clocks"), kBroken);
  // Passed over until their retry, still counted, still due.
  EXPECT_EQ(*timer->FireOnce(), 0);
  EXPECT_EQ(MetricSum(registry, "itsm_sla_timer_unfireable_clocks"), kBroken);
  auto due = store.Due(0, clock_.Now(), 0, 100);
  ASSERT_TRUE(due.ok()) << due.status();
  EXPECT_EQ(due->size(), static_cast<size_t>(kBroken));

  // Later clocks keep firing past them: the healthy ones' 75 % warning (at +23.5 min).
  clock_.Advance(absl::Minutes(4));
  EXPECT_EQ(*timer->FireOnce(), kHealthy);

  // Repaired (here: the broken states deleted), they are tried again and leave the due set.
  for (int k = 0; k < kBroken; ++k) {
    ASSERT_TRUE(store.redis().Command({"DEL", absl::StrCat("itsm:sla:clk:{0}:broken-", k)}).ok());
  }
  o.unfireable_retry = absl::ZeroDuration();
  prometheus::Registry registry2;
  timer = NewTimer(registry2, o);
  timer->Assign({0});
  EXPECT_EQ(*timer->FireOnce(), 0);
  EXPECT_EQ(MetricSum(registry2, "itsm_sla_timer_unfireable_clocks"), 0);
  due = store.Due(0, clock_.Now(), 0, 100);
  ASSERT_TRUE(due.ok()) << due.status();
  EXPECT_TRUE(due->empty());
}

// A partition whose due set Redis refuses fails the pass, but the other partitions still fire.
TEST_F(SlaTimerRedisTest, APartitionThatCannotBeReadHoldsBackNoOther) {
  prometheus::Registry registry;
  auto timer = NewTimer(registry);
  timer->Assign({0, 1});
  for (int32_t p : {0, 1}) {
    auto i = NewIncident(absl::StrCat("inc-", p), kT0);
    ASSERT_TRUE(Feed(*timer, testing::Created(i), i, p).ok());
  }
  ClockStore store(redis_->address());
  ASSERT_TRUE(store.redis().Command({"DEL", store.DueKey(0)}).ok());
  ASSERT_TRUE(store.redis().Command({"SET", store.DueKey(0), "x"}).ok());
  clock_.Advance(absl::Minutes(20));
  auto fired = timer->FireOnce();
  EXPECT_FALSE(fired.ok());
  EXPECT_NE(fired.status().message().find("partition 0"), std::string::npos) << fired.status();
  std::map<std::string, int> types;
  OutboxIds(2, &types);
  EXPECT_EQ(types["itsm.sla.v1.SlaWarningReached"], 1);  // partition 1's 50 % warning
}

// A stored position that is not one sends its partition, and only it, to the beginning.
TEST_F(SlaTimerRedisTest, APositionThatIsNotAnOffsetCostsOnlyItsPartition) {
  ClockStore store(redis_->address());
  ASSERT_TRUE(store.StorePositions("itsm.incident.v1", "cluster-a", {{0, 7}, {1, 9}, {2, 4}}).ok());
  ASSERT_TRUE(store.redis()
                  .Command({"HSET", store.PositionKey(1), "itsm.incident.v1@cluster-a", "x"})
                  .ok());
  ASSERT_TRUE(store.redis().Command({"DEL", store.PositionKey(2)}).ok());
  ASSERT_TRUE(store.redis().Command({"SET", store.PositionKey(2), "not a hash"}).ok());
  auto positions = store.Positions("itsm.incident.v1", "cluster-a", {0, 1, 2, 3});
  ASSERT_TRUE(positions.ok()) << positions.status();
  EXPECT_EQ(*positions, (std::map<int32_t, int64_t>{{0, 7}}));
  // Another cluster's positions are not this one's.
  EXPECT_TRUE(store.Positions("itsm.incident.v1", "cluster-b", {0})->empty());
}

TEST_F(SlaTimerRedisTest, TwoReplicasFiringConcurrentlyFireEachClockOnce) {
  prometheus::Registry ra, rb;
  auto a = NewTimer(ra);
  auto b = NewTimer(rb);
  a->Assign({0, 1, 2, 3});
  constexpr int kIncidents = 400;
  for (int k = 0; k < kIncidents; ++k) {
    auto i = NewIncident("inc-" + std::to_string(k), kT0);
    ASSERT_TRUE(Feed(*a, testing::Created(i), i, k % 4).ok());
  }
  // Worst case: both believe they own every partition (a zombie replica), and fire at once.
  b->Assign({0, 1, 2, 3});
  clock_.Advance(absl::Hours(5));
  std::atomic<int> total{0};
  auto run = [&](SlaTimer* t) {
    for (int round = 0; round < 5; ++round) {
      auto n = t->FireOnce();
      ASSERT_TRUE(n.ok()) << n.status();
      total += *n;
    }
  };
  std::thread ta(run, a.get()), tb(run, b.get());
  ta.join();
  tb.join();
  EXPECT_EQ(total.load(), kIncidents * 8);  // two clocks x (3 warnings + breach)
  std::map<std::string, int> types;
  for (const auto& [id, n] : OutboxIds(4, &types)) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(types["itsm.sla.v1.SlaBreached"], kIncidents * 2);
}

TEST_F(SlaTimerRedisTest, RevokedPartitionsStopFiring) {
  prometheus::Registry registry;
  auto timer = NewTimer(registry);
  timer->Assign({0, 1});
  auto i0 = NewIncident("p0", kT0), i1 = NewIncident("p1", kT0);
  ASSERT_TRUE(Feed(*timer, testing::Created(i0), i0, 0).ok());
  ASSERT_TRUE(Feed(*timer, testing::Created(i1), i1, 1).ok());
  timer->Revoke({1});
  clock_.Advance(absl::Hours(5));
  EXPECT_EQ(*timer->FireOnce(), 8);  // only p0's two clocks
  timer->Assign({1});
  EXPECT_EQ(*timer->FireOnce(), 8);
}

TEST_F(SlaTimerRedisTest, ServiceRequestEventsRunTheSameClocks) {
  prometheus::Registry registry;
  auto timer = NewTimer(registry);
  timer->Assign({0});
  incident::v1::ServiceRequest r;
  r.set_id("req-1");
  r.set_catalog_item("Laptop (standard)");
  r.set_service("vpn");
  r.set_priority(incident::v1::PRIORITY_P1);
  r.set_state(incident::v1::SERVICE_REQUEST_STATE_SUBMITTED);
  r.set_version(1);
  *r.mutable_create_time() = base::ToProtoTimestamp(kT0);
  *r.mutable_update_time() = base::ToProtoTimestamp(kT0);
  auto feed = [&](const google::protobuf::Message& m) {
    events::ConsumedEvent e;
    e.event = events::MakeCloudEvent(m, "itsm/incident", r.id(),
                                     base::FromProtoTimestamp(r.update_time()));
    e.topic = kIncidentTopic;
    e.partition = 0;
    e.key = r.id();
    return timer->Handle(e);
  };
  incident::v1::ServiceRequestCreated created;
  *created.mutable_service_request() = r;
  ASSERT_TRUE(feed(created).ok());
  ASSERT_TRUE(feed(created).ok());  // a redelivery changes nothing
  EXPECT_EQ(OutboxIds(1).size(), 2u);
  clock_.Advance(absl::Hours(1));
  r.set_state(incident::v1::SERVICE_REQUEST_STATE_FULFILLED);
  r.set_version(2);
  *r.mutable_update_time() = base::ToProtoTimestamp(clock_.Now());
  incident::v1::ServiceRequestStateChanged fulfilled;
  *fulfilled.mutable_service_request() = r;
  fulfilled.set_previous_state(incident::v1::SERVICE_REQUEST_STATE_SUBMITTED);
  fulfilled.set_new_state(incident::v1::SERVICE_REQUEST_STATE_FULFILLED);
  ASSERT_TRUE(feed(fulfilled).ok());
  std::map<std::string, int> types;
  for (const auto& [id, n] : OutboxIds(1, &types)) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(types["itsm.sla.v1.SlaClockStarted"], 2);
  // The response clock breached at 30 min (caught up), then completed; resolution met.
  EXPECT_EQ(types["itsm.sla.v1.SlaBreached"], 1);
  EXPECT_EQ(types["itsm.sla.v1.SlaClockCompleted"], 1);
  EXPECT_EQ(types["itsm.sla.v1.SlaMet"], 1);
  ClockStore store(redis_->address());
  auto open = store.OpenClocks(0);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ((*open)["response:running"], 0);
  EXPECT_EQ((*open)["resolution:running"], 0);
}

// The events of three incidents, interleaved as one partition would carry them: creates, a
// redelivered create, a hold and its end, a resolution.
std::vector<events::ConsumedEvent> InterleavedEvents() {
  std::vector<events::ConsumedEvent> out;
  auto consumed = [&](const google::protobuf::Message& m, const incident::v1::Incident& i) {
    out.push_back(Consumed(m, i, 0));
  };
  auto a = NewIncident("a", kT0), b = NewIncident("b", kT0), c = NewIncident("c", kT0);
  consumed(testing::Created(a), a);
  consumed(testing::Created(b), b);
  auto change = [&](incident::v1::Incident& i, incident::v1::IncidentState state,
                    absl::Duration after) {
    i.set_state(state);
    i.set_assignee("bob");
    i.set_version(i.version() + 1);
    *i.mutable_update_time() = base::ToProtoTimestamp(kT0 + after);
    consumed(testing::StateChanged(i), i);
  };
  change(a, incident::v1::INCIDENT_STATE_ON_HOLD, absl::Minutes(5));
  consumed(testing::Created(c), c);
  consumed(testing::Created(b), NewIncident("b", kT0));  // redelivered
  change(a, incident::v1::INCIDENT_STATE_IN_PROGRESS, absl::Minutes(50));
  change(b, incident::v1::INCIDENT_STATE_RESOLVED, absl::Minutes(20));
  change(a, incident::v1::INCIDENT_STATE_RESOLVED, absl::Minutes(70));
  return out;
}

TEST_F(SlaTimerRedisTest, ABatchAppliesEachIncidentsEventsInOrderAsOneAtATimeWould) {
  prometheus::Registry r1, r2;
  auto single = NewTimerWithPrefix(r1, "single");
  auto batched = NewTimerWithPrefix(r2, "batched");
  const auto events = InterleavedEvents();
  for (const auto& e : events) ASSERT_TRUE(single->Handle(e).ok()) << e.event.type;
  for (const absl::Status& s : batched->HandleBatch(events)) EXPECT_TRUE(s.ok()) << s;

  std::map<std::string, int> single_types, batched_types;
  const auto single_ids = OutboxIds(1, &single_types, "single");
  EXPECT_EQ(OutboxIds(1, &batched_types, "batched"), single_ids);
  EXPECT_EQ(batched_types, single_types);
  EXPECT_EQ(single_types["itsm.sla.v1.SlaClockPaused"], 1);
  // a and b: responded (assigned) and resolved in time.
  EXPECT_EQ(single_types["itsm.sla.v1.SlaMet"], 4);
  ClockStore single_store(redis_->address(), "single"), batched_store(redis_->address(), "batched");
  for (const char* id : {"a", "b", "c"}) {
    auto s = single_store.Load({{0, id}});
    auto b = batched_store.Load({{0, id}});
    ASSERT_TRUE(s.ok() && b.ok());
    ASSERT_TRUE((*s)[0].state && (*b)[0].state) << id;
    EXPECT_EQ((*b)[0].state->SerializeAsString(), (*s)[0].state->SerializeAsString()) << id;
  }
  // The whole batch again (a redelivery after a crash before the offsets were committed).
  for (const absl::Status& s : batched->HandleBatch(events)) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(OutboxIds(1, nullptr, "batched"), single_ids);
}

// The incident's second version: taken by bob and put on hold a minute after kT0.
incident::v1::Incident HeldByBob(incident::v1::Incident i) {
  i.set_state(incident::v1::INCIDENT_STATE_ON_HOLD);
  i.set_assignee("bob");
  i.set_version(2);
  *i.mutable_update_time() = base::ToProtoTimestamp(kT0 + absl::Minutes(1));
  return i;
}

// Fails Resolve for incidents of service "flaky" with `failure` while `failing` is set.
class FlakySource final : public DefinitionSource {
 public:
  explicit FlakySource(DefinitionSource& inner) : inner_(inner) {}
  using DefinitionSource::Resolve;
  absl::StatusOr<std::vector<DefinitionPtr>> Resolve(const RecordQuery& record) override {
    if (failing.load() && record.service == "flaky") return absl::Status(failure, "flaky");
    return inner_.Resolve(record);
  }
  absl::StatusOr<DefinitionPtr> Definition(const std::string& id, int64_t version) override {
    return inner_.Definition(id, version);
  }
  absl::StatusOr<CalendarPtr> Calendar(const std::string& id, int64_t version) override {
    return inner_.Calendar(id, version);
  }
  std::atomic<bool> failing{true};
  absl::StatusCode failure = absl::StatusCode::kUnavailable;

 private:
  DefinitionSource& inner_;
};

// An event that fails in a way that does not park (none the definition source gives today: an
// internal error) is retried, and holds back only its own incident's later events.
TEST_F(SlaTimerRedisTest, InABatchAFailedEventHoldsBackItsIncidentOnly) {
  source_.Put(testing::ShortSla("flaky-sla", "flaky", "cal", absl::Hours(4)));
  FlakySource flaky(source_);
  flaky.failure = absl::StatusCode::kInternal;
  prometheus::Registry registry;
  auto timer = NewTimer(registry, TimerOptions(), &flaky);
  auto f = NewIncident("f", kT0, "flaky"), v = NewIncident("v", kT0);
  const std::vector<events::ConsumedEvent> batch = {
      Consumed(testing::Created(f), f, 0), Consumed(testing::Created(v), v, 0),
      Consumed(testing::StateChanged(HeldByBob(f)), HeldByBob(f), 0),
      Consumed(testing::StateChanged(HeldByBob(v)), HeldByBob(v), 0)};
  auto statuses = timer->HandleBatch(batch);
  ASSERT_EQ(statuses.size(), 4u);
  EXPECT_EQ(statuses[0].code(), absl::StatusCode::kInternal) << statuses[0];
  EXPECT_TRUE(statuses[1].ok()) << statuses[1];
  EXPECT_EQ(statuses[2].code(), absl::StatusCode::kAborted) << statuses[2];  // not applied
  EXPECT_TRUE(statuses[3].ok()) << statuses[3];
  ClockStore store(redis_->address());
  auto loaded = store.Load({{0, "f"}});
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE((*loaded)[0].state) << "an event after the failed one was applied";

  // The consumer hands the two failed events again; now they apply, in order.
  flaky.failing.store(false);
  for (const absl::Status& s : timer->HandleBatch({batch[0], batch[2]})) EXPECT_TRUE(s.ok()) << s;
  auto open = store.OpenClocks(0);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ((*open)["resolution:paused"], 2);
}

// The SLA service down or hung: a new incident's events wait with it (parked), so the consumer
// goes on and its partition's other clocks keep firing; the firing loop applies them, in order,
// once the service answers.
TEST_F(SlaTimerRedisTest, ARecordTheSlaServiceCannotAnswerForIsParkedAndAppliedLater) {
  source_.Put(testing::ShortSla("flaky-sla", "flaky", "cal", absl::Hours(4)));
  FlakySource flaky(source_);
  SlaTimer::Options o = TimerOptions();
  o.unfireable_retry = absl::ZeroDuration();
  prometheus::Registry registry;
  auto timer = NewTimer(registry, o, &flaky);
  timer->Assign({0});
  auto f = NewIncident("f", kT0, "flaky"), v = NewIncident("v", kT0);
  const std::vector<events::ConsumedEvent> batch = {
      Consumed(testing::Created(f), f, 0), Consumed(testing::Created(v), v, 0),
      Consumed(testing::StateChanged(HeldByBob(f)), HeldByBob(f), 0)};
  for (const absl::Status& s : timer->HandleBatch(batch)) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(MetricSum(registry, "itsm_sla_timer_events_total", {{"result", "parked"}}), 2);
  EXPECT_EQ(MetricSum(registry, "itsm_sla_timer_events_total", {{"result", "retry"}}), 0);
  ClockStore store(redis_->address());
  auto loaded = store.Load({{0, "f"}});
  ASSERT_TRUE(loaded.ok() && (*loaded)[0].state);
  EXPECT_EQ((*loaded)[0].state->parked_size(), 2);
  EXPECT_EQ((*loaded)[0].state->clocks_size(), 0);

  // v's response warning (at +15 min) fires while f still waits.
  clock_.Advance(absl::Minutes(16));
  auto fired = timer->FireOnce();
  ASSERT_TRUE(fired.ok()) << fired.status();
  EXPECT_EQ(*fired, 1);
  EXPECT_EQ(MetricSum(registry, "itsm_sla_timer_unfireable_clocks"), 1);  // f

  flaky.failing.store(false);
  fired = timer->FireOnce();
  ASSERT_TRUE(fired.ok()) << fired.status();
  EXPECT_EQ(MetricSum(registry, "itsm_sla_timer_unfireable_clocks"), 0);
  loaded = store.Load({{0, "f"}});
  ASSERT_TRUE(loaded.ok() && (*loaded)[0].state);
  EXPECT_EQ((*loaded)[0].state->parked_size(), 0);
  EXPECT_EQ((*loaded)[0].state->record().state(), "ON_HOLD");
  auto open = store.OpenClocks(0);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ((*open)["resolution:paused"], 1);  // f's, paused from its hold at +1 min
}

// Issue 12, finding 5: an incident created without a service held up every later incident of
// its partition (retried forever). Now it has no clock, is counted, and the others go on.
TEST_F(SlaTimerRedisTest, ARecordNoDefinitionCanCoverHoldsUpNothing) {
  prometheus::Registry registry;
  auto timer = NewTimer(registry);
  auto bare = NewIncident("bare", kT0, /*service=*/""), v = NewIncident("v", kT0);
  auto later = bare;
  later.set_assignee("bob");
  later.set_version(2);
  const std::vector<events::ConsumedEvent> batch = {
      Consumed(testing::Created(bare), bare, 0), Consumed(testing::StateChanged(later), later, 0),
      Consumed(testing::Created(v), v, 0)};
  for (const absl::Status& s : timer->HandleBatch(batch)) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(
      MetricSum(registry, "itsm_sla_timer_records_without_sla_total", {{"reason", "no_service"}}),
      1);
  EXPECT_EQ(MetricSum(registry, "itsm_sla_timer_events_total", {{"result", "retry"}}), 0);
  std::map<std::string, int> types;
  OutboxIds(1, &types);
  EXPECT_EQ(types["itsm.sla.v1.SlaClockStarted"], 2);  // v's
}

// The definitions a timer read outlive it in Redis, one hash per key prefix; a write Redis
// refuses is not remembered as kept, so it is written again at the next read.
TEST_F(SlaTimerRedisTest, DefinitionsAreKeptInRedisBesideTheClocks) {
  RedisDefinitionArchive archive(redis_->address(), {}, "itsm:sla");
  EXPECT_FALSE(archive.Find("d:gold:1").has_value());
  archive.Keep("d:gold:1", "first");
  RedisDefinitionArchive restarted(redis_->address(), {}, "itsm:sla");
  EXPECT_EQ(restarted.Find("d:gold:1").value_or(""), "first");
  RedisDefinitionArchive other(redis_->address(), {}, "itsm:sla-changes");
  EXPECT_FALSE(other.Find("d:gold:1").has_value());
  redis_->Stop();
  archive.Keep("d:gold:2", "second");  // lost, and not remembered as kept
  EXPECT_FALSE(archive.Find("d:gold:1").has_value());
  auto redis =
      supervisor::RedisServer::Start(dir_.File("redis"), redis_->port(), dir_.File("redis2.log"));
  ASSERT_TRUE(redis.ok()) << redis.status();
  redis_ = std::move(*redis);
  archive.Keep("d:gold:2", "second");
  EXPECT_EQ(restarted.Find("d:gold:2").value_or(""), "second");
}

TEST_F(SlaTimerRedisTest, WithRedisDownEveryEventOfABatchComesBack) {
  prometheus::Registry registry;
  auto timer = NewTimer(registry);
  auto a = NewIncident("a", kT0), b = NewIncident("b", kT0);
  const std::vector<events::ConsumedEvent> batch = {Consumed(testing::Created(a), a, 0),
                                                    Consumed(testing::Created(b), b, 1)};
  ASSERT_TRUE(timer->Handle(batch[0]).ok());  // a is stored; b is not
  redis_->Stop();
  for (const absl::Status& s : timer->HandleBatch(batch)) {
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.code(), absl::StatusCode::kInvalidArgument) << s;  // retried, never skipped
  }
  auto redis =
      supervisor::RedisServer::Start(dir_.File("redis"), redis_->port(), dir_.File("redis2.log"));
  ASSERT_TRUE(redis.ok()) << redis.status();
  redis_ = std::move(*redis);
  for (const absl::Status& s : timer->HandleBatch(batch)) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(OutboxIds(2).size(), 4u);  // two SlaClockStarted each, a's not twice
}

// A round is committed in chunks while the next is decided: when the connection drops in the
// middle, the events whose changes were stored say so and the others come back; handling those
// again stores each record once, with its events once.
TEST_F(SlaTimerRedisTest, ARoundCutByALostConnectionReportsExactlyWhatWasStored) {
  prometheus::Registry registry;
  auto timer = NewTimer(registry);
  constexpr int kRecords = 3000;
  std::vector<events::ConsumedEvent> batch;
  for (int k = 0; k < kRecords; ++k) {
    auto i = NewIncident(absl::StrCat("cut-", k), kT0);
    batch.push_back(Consumed(testing::Created(i), i, k % 4));
  }
  std::atomic<bool> done{false};
  std::atomic<int> kills{0};
  std::thread killer([&] {
    redis::RedisClient admin(redis_->address());
    // Once a few chunks of 64 records are stored, so that the cut falls within the round.
    while (!done) {
      if (auto n = admin.Command({"DBSIZE"}); n.ok() && n->integer > 3 * 64) break;
      absl::SleepFor(absl::Microseconds(200));
    }
    while (!done) {
      // Every connection but this one: the handler's commit fails with an I/O error.
      if (auto r = admin.Command({"CLIENT", "KILL", "TYPE", "normal"}); r.ok() && r->integer > 0) {
        ++kills;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
  });
  std::vector<absl::Status> statuses = timer->HandleBatch(batch);
  done = true;
  killer.join();
  ASSERT_GT(kills.load(), 0);
  // Reported stored: it is (nothing has written since).
  ClockStore store(redis_->address());
  std::vector<ClockStore::Key> stored;
  std::vector<events::ConsumedEvent> again;
  for (size_t k = 0; k < batch.size(); ++k) {
    if (statuses[k].ok()) {
      stored.push_back({batch[k].partition, batch[k].event.subject});
    } else {
      EXPECT_EQ(statuses[k].code(), absl::StatusCode::kUnavailable) << statuses[k];
      again.push_back(batch[k]);
    }
  }
  auto loaded = store.Load(stored);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  for (size_t k = 0; k < stored.size(); ++k) {
    EXPECT_TRUE((*loaded)[k].state.has_value()) << stored[k].incident_id;
  }
  EXPECT_FALSE(again.empty()) << "no commit was cut: the test proves nothing";
  EXPECT_FALSE(stored.empty()) << "nothing was stored before the cut";
  for (const absl::Status& s : timer->HandleBatch(again)) EXPECT_TRUE(s.ok()) << s;
  std::map<std::string, int> types;
  const std::map<std::string, int> ids = OutboxIds(4, &types);
  EXPECT_EQ(types["itsm.sla.v1.SlaClockStarted"], 2 * kRecords);
  for (const auto& [id, n] : ids) EXPECT_EQ(n, 1) << id;
}

// Many events of one change (a long-paused clock's warnings and breach, say) all reach the
// outbox, in order, once.
TEST_F(SlaTimerRedisTest, ACommitWithManyEventsQueuesThemAllInOrder) {
  ClockStore store(redis_->address());
  Outcome out;
  out.state.set_incident_id("many");
  constexpr int kEvents = 250;
  for (int k = 0; k < kEvents; ++k) {
    events::CloudEvent e;
    e.id = absl::StrCat("event-", k);
    e.type = "itsm.sla.v1.SlaWarningReached";
    e.time = kT0;
    out.events.push_back(e);
  }
  auto applied = store.Commit({{.key = {0, "many"}, .expected_revision = 0, .outcome = &out}});
  ASSERT_TRUE(applied.ok()) << applied.status();
  ASSERT_TRUE((*applied)[0].ok() && *(*applied)[0]);
  auto entries = store.PeekOutbox(0, 1000);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), static_cast<size_t>(kEvents));
  for (int k = 0; k < kEvents; ++k) {
    sla::v1::TimerOutboxEntry e;
    ASSERT_TRUE(e.ParseFromString((*entries)[k]));
    EXPECT_EQ(e.id(), absl::StrCat("event-", k));
  }
}

// A resolution the timer cannot apply yet (after a restart, its definition does not read: a
// condition field of a newer SLA service, say) is parked with its record, not skipped: the
// partition goes on, the record's clocks wait for it, and once the definition reads again the
// clocks are met, not breached.
TEST_F(SlaTimerRedisTest, AnEventThatCannotApplyYetWaitsWithItsRecord) {
  SlaTimer::Options o = TimerOptions();
  o.unfireable_retry = absl::ZeroDuration();
  auto i = NewIncident("inc-1", kT0);
  {
    prometheus::Registry registry;
    auto timer = NewTimer(registry, o);
    timer->Assign({0});
    ASSERT_TRUE(Feed(*timer, testing::Created(i), i, 0).ok());
  }
  sla::v1::SlaDefinition gold =
      testing::ShortSla("gold", "vpn", "cal", absl::Hours(4), absl::Minutes(30));
  gold.set_version(1);
  sla::v1::SlaDefinition unreadable = gold;
  auto* p = unreadable.mutable_resolution_conditions()->mutable_pause()->add_any_of()->add_all_of();
  p->set_field(static_cast<sla::v1::ConditionField>(99));
  p->set_operator_(sla::v1::CONDITION_OPERATOR_IS_SET);
  source_.Put(unreadable);

  prometheus::Registry registry;
  auto timer = NewTimer(registry, o);
  timer->Assign({0});
  clock_.Advance(absl::Minutes(10));
  i.set_state(incident::v1::INCIDENT_STATE_RESOLVED);
  i.set_version(2);
  *i.mutable_update_time() = base::ToProtoTimestamp(clock_.Now());
  EXPECT_TRUE(Feed(*timer, testing::StateChanged(i), i, 0).ok());  // neither skipped nor retried
  EXPECT_TRUE(Feed(*timer, testing::StateChanged(i), i, 0).ok());  // redelivered: a replay
  i.set_state(incident::v1::INCIDENT_STATE_CLOSED);
  i.set_version(3);
  *i.mutable_update_time() = base::ToProtoTimestamp(clock_.Now() + absl::Minutes(1));
  EXPECT_TRUE(Feed(*timer, testing::StateChanged(i), i, 0).ok());  // behind it
  EXPECT_EQ(MetricSum(registry, "itsm_sla_timer_events_total", {{"result", "parked"}}), 2);
  EXPECT_EQ(MetricSum(registry, "itsm_sla_timer_events_total", {{"result", "replay"}}), 1);
  EXPECT_EQ(MetricSum(registry, "itsm_sla_timer_events_total", {{"result", "rejected"}}), 0);

  clock_.Advance(absl::Hours(5));  // past both due times
  auto fired = timer->FireOnce();
  ASSERT_TRUE(fired.ok()) << fired.status();
  EXPECT_EQ(*fired, 0);
  EXPECT_EQ(MetricSum(registry, "itsm_sla_timer_unfireable_clocks"), 1);
  std::map<std::string, int> types;
  OutboxIds(1, &types);
  EXPECT_EQ(types["itsm.sla.v1.SlaBreached"], 0);

  source_.Put(gold);  // repaired
  fired = timer->FireOnce();
  ASSERT_TRUE(fired.ok()) << fired.status();
  EXPECT_EQ(*fired, 0);  // resolved in time: nothing to fire, both clocks met
  EXPECT_EQ(MetricSum(registry, "itsm_sla_timer_unfireable_clocks"), 0);
  types.clear();
  OutboxIds(1, &types);
  EXPECT_EQ(types["itsm.sla.v1.SlaBreached"], 0);
  EXPECT_EQ(types["itsm.sla.v1.SlaWarningReached"], 0);
  EXPECT_EQ(types["itsm.sla.v1.SlaMet"], 2);
  for (const auto& [kind, open] : OpenClocks()) EXPECT_EQ(open, 0) << kind;
  // Closed by its parked events in the firing loop: it expires like any closed record.
  ClockStore store(redis_->address());
  auto ttl = store.redis().Command({"TTL", store.StateKey(0, "inc-1")});
  ASSERT_TRUE(ttl.ok()) << ttl.status();
  EXPECT_GT(ttl->integer, 0);
}

// A record event stamped ahead of the timer's clock (its service's host clock runs ahead) is
// counted, for the alert ItsmSlaClockSkew; within a second is ordinary.
TEST_F(SlaTimerRedisTest, EventsStampedAheadOfTheTimersClockAreCounted) {
  prometheus::Registry registry;
  auto timer = NewTimer(registry);
  timer->Assign({0});
  auto near = NewIncident("near", kT0 + absl::Milliseconds(500));
  ASSERT_TRUE(Feed(*timer, testing::Created(near), near, 0).ok());
  EXPECT_EQ(MetricSum(registry, "itsm_sla_timer_events_ahead_total"), 0);
  auto ahead = NewIncident("ahead", kT0 + absl::Seconds(90));
  ASSERT_TRUE(Feed(*timer, testing::Created(ahead), ahead, 0).ok());
  EXPECT_EQ(MetricSum(registry, "itsm_sla_timer_events_ahead_total"), 1);
  EXPECT_EQ(MetricSum(registry, "itsm_sla_timer_event_ahead_seconds"), 90);
}

TEST_F(SlaTimerRedisTest, ACorruptStateCostsOnlyItsRecordsEvents) {
  prometheus::Registry registry;
  auto timer = NewTimer(registry);
  timer->Assign({0});
  ClockStore store(redis_->address());
  // "wrong" has a string where the state hash belongs; "garbled" a state that does not parse
  // and a due entry.
  ASSERT_TRUE(store.redis().Command({"SET", store.StateKey(0, "wrong"), "x"}).ok());
  ASSERT_TRUE(store.redis()
                  .Command({"HSET", store.StateKey(0, "garbled"), "r", "1", "s", "\xff\xff"})
                  .ok());
  ASSERT_TRUE(store.redis().Command({"ZADD", store.DueKey(0), "1", "garbled"}).ok());
  auto wrong = NewIncident("wrong", kT0), garbled = NewIncident("garbled", kT0),
       fine = NewIncident("fine", kT0);
  garbled.set_version(2);
  const std::vector<events::ConsumedEvent> batch = {
      Consumed(testing::Created(wrong), wrong, 0),
      Consumed(testing::StateChanged(garbled), garbled, 0),
      Consumed(testing::Created(fine), fine, 0)};
  auto statuses = timer->HandleBatch(batch);
  ASSERT_EQ(statuses.size(), 3u);
  // Skipped (INVALID_ARGUMENT), not retried: retried for ever, they would pause the partition and
  // freeze its firing watermark, and no clock of the partition would fire again.
  for (int k : {0, 1}) {
    EXPECT_EQ(statuses[k].code(), absl::StatusCode::kInvalidArgument) << k << statuses[k];
  }
  EXPECT_NE(statuses[0].message().find("not a state"), std::string::npos) << statuses[0];
  EXPECT_NE(statuses[1].message().find("bad state"), std::string::npos) << statuses[1];
  EXPECT_TRUE(statuses[2].ok()) << statuses[2];
  EXPECT_EQ(MetricSum(registry, "itsm_sla_timer_events_total", {{"result", "rejected"}}), 2);
  // The firing loop skips the unreadable entry and fires the rest.
  clock_.Advance(absl::Hours(5));
  auto fired = timer->FireOnce();
  ASSERT_TRUE(fired.ok()) << fired.status();
  EXPECT_EQ(*fired, 8);  // fine's two clocks: 3 warnings and a breach each
}

// Redis does not undo a script that fails half-way: an outbox of the wrong kind, or an open count
// that is not a number, fails the commit before it writes anything, so no fired marker or applied
// version is ever stored without its event in the outbox.
TEST_F(SlaTimerRedisTest, ACommitThatCannotCompleteWritesNothing) {
  SlaTimer::Options o = TimerOptions();
  o.unfireable_retry = absl::ZeroDuration();
  prometheus::Registry registry;
  auto timer = NewTimer(registry, o);
  timer->Assign({0});
  ClockStore store(redis_->address());
  auto i = NewIncident("inc-1", kT0);
  ASSERT_TRUE(Feed(*timer, testing::Created(i), i, 0).ok());
  auto revision = [&] {
    auto r = store.redis().Command({"HGET", store.StateKey(0, "inc-1"), "r"});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->str : "";
  };
  const std::string created = revision();
  ASSERT_TRUE(store.redis().Command({"DEL", store.OutboxKey(0)}).ok());  // the two started

  // Firing: the response clock's 50 % warning falls due while the outbox is not a list.
  ASSERT_TRUE(store.redis().Command({"SET", store.OutboxKey(0), "x"}).ok());
  clock_.Advance(absl::Minutes(20));
  EXPECT_EQ(*timer->FireOnce(), 0);
  EXPECT_EQ(revision(), created);
  ASSERT_TRUE(store.redis().Command({"DEL", store.OutboxKey(0)}).ok());  // repaired
  EXPECT_EQ(*timer->FireOnce(), 1);
  std::map<std::string, int> types;
  OutboxIds(1, &types);
  EXPECT_EQ(types["itsm.sla.v1.SlaWarningReached"], 1);
  const std::string fired = revision();
  EXPECT_NE(fired, created);

  // Handling: a resolution while an open count is not a number.
  ASSERT_TRUE(store.redis().Command({"HSET", store.OpenKey(0), "response:running", "x"}).ok());
  i.set_state(incident::v1::INCIDENT_STATE_RESOLVED);
  i.set_version(2);
  *i.mutable_update_time() = base::ToProtoTimestamp(kT0 + absl::Minutes(21));
  absl::Status failed = Feed(*timer, testing::StateChanged(i), i, 0);
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.code(), absl::StatusCode::kInvalidArgument) << failed;  // tried again
  EXPECT_EQ(revision(), fired);
  ASSERT_TRUE(store.redis().Command({"HSET", store.OpenKey(0), "response:running", "1"}).ok());
  // The same while the due set is not a sorted set (its write, the first, raises).
  auto due = store.redis().Command({"DUMP", store.DueKey(0)});
  ASSERT_TRUE(due.ok());
  ASSERT_TRUE(store.redis().Command({"DEL", store.DueKey(0)}).ok());
  ASSERT_TRUE(store.redis().Command({"SET", store.DueKey(0), "x"}).ok());
  failed = Feed(*timer, testing::StateChanged(i), i, 0);
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.code(), absl::StatusCode::kInvalidArgument) << failed;
  EXPECT_EQ(revision(), fired);
  ASSERT_TRUE(store.redis().Command({"DEL", store.DueKey(0)}).ok());
  ASSERT_TRUE(store.redis().Command({"RESTORE", store.DueKey(0), "0", due->str}).ok());
  ASSERT_TRUE(Feed(*timer, testing::StateChanged(i), i, 0).ok());
  types.clear();
  OutboxIds(1, &types);
  EXPECT_GE(types["itsm.sla.v1.SlaMet"], 1);  // the response met: announced, not lost
}

TEST_F(SlaTimerRedisTest, AFinishedRecordsClocksExpireAfterTheRetention) {
  prometheus::Registry registry;
  SlaTimer::Options options = TimerOptions();
  options.closed_retention = absl::Hours(48);
  auto timer = NewTimer(registry, options);
  ClockStore store(redis_->address());
  auto ttl_ms = [&](const std::string& id) {
    auto v = store.redis().Command({"PTTL", store.StateKey(0, id)});
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? v->integer : -3;
  };
  auto move = [&](incident::v1::Incident& i, incident::v1::IncidentState state) {
    i.set_state(state);
    i.set_assignee("bob");
    i.set_version(i.version() + 1);
    *i.mutable_update_time() = base::ToProtoTimestamp(kT0 + absl::Minutes(10 * i.version()));
    return Feed(*timer, testing::StateChanged(i), i, 0);
  };
  auto a = NewIncident("a", kT0), b = NewIncident("b", kT0);
  ASSERT_TRUE(Feed(*timer, testing::Created(a), a, 0).ok());
  ASSERT_TRUE(Feed(*timer, testing::Created(b), b, 0).ok());
  EXPECT_EQ(ttl_ms("a"), -1);  // -1: no expiry
  // Resolved: may still reopen, so it stays.
  ASSERT_TRUE(move(a, incident::v1::INCIDENT_STATE_RESOLVED).ok());
  EXPECT_EQ(ttl_ms("a"), -1);
  ASSERT_TRUE(move(a, incident::v1::INCIDENT_STATE_CLOSED).ok());
  EXPECT_GT(ttl_ms("a"), absl::ToInt64Milliseconds(absl::Hours(47)));
  EXPECT_LE(ttl_ms("a"), absl::ToInt64Milliseconds(absl::Hours(48)));
  // Cancelled while running: its clocks are cancelled, the state expires too.
  ASSERT_TRUE(move(b, incident::v1::INCIDENT_STATE_CANCELLED).ok());
  EXPECT_GT(ttl_ms("b"), 0);
  auto open = store.OpenClocks(0);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ((*open)["resolution:running"], 0);
  EXPECT_EQ((*open)["response:running"], 0);
  // A redelivery within the retention changes nothing.
  ASSERT_TRUE(Feed(*timer, testing::StateChanged(a), a, 0).ok());
  EXPECT_GT(ttl_ms("a"), 0);
}

// A partition log the test scripts: how far the "consumer" applied, what the "broker" holds.
class ScriptedLog final : public PartitionLog {
 public:
  std::optional<int64_t> Applied(int32_t p) override {
    absl::MutexLock lock(&mu);
    auto it = applied.find(p);
    if (it == applied.end()) return std::nullopt;
    return it->second;
  }
  absl::StatusOr<int64_t> HighWatermark(int32_t p) override {
    absl::MutexLock lock(&mu);
    return high[p];
  }
  absl::Mutex mu;
  std::map<int32_t, int64_t> applied, high;
};

// Issue 12, finding 1: the firing loop fired every due clock of a partition without first
// applying the partition's backlog, so a record resolved in time was announced breached.
TEST_F(SlaTimerRedisTest, FiringWaitsUntilThePartitionsBacklogIsApplied) {
  prometheus::Registry registry;
  ScriptedLog log;
  auto timer = NewTimer(registry);
  timer->SetPartitionLog(&log);
  timer->Assign({0});
  auto a = NewIncident("a", kT0), b = NewIncident("b", kT0);
  ASSERT_TRUE(Feed(*timer, testing::Created(a), a, 0).ok());
  ASSERT_TRUE(Feed(*timer, testing::Created(b), b, 0).ok());
  // The broker holds a's resolution, one minute after its creation; it is not applied yet.
  {
    absl::MutexLock lock(&log.mu);
    log.applied[0] = 2;
    log.high[0] = 3;
  }
  clock_.Advance(absl::Hours(5));  // both incidents' clocks are past due
  EXPECT_EQ(*timer->FireOnce(), 0);
  EXPECT_EQ(*timer->FireOnce(), 0);
  // The consumer catches up: a is met, never breached...
  a.set_state(incident::v1::INCIDENT_STATE_RESOLVED);
  a.set_assignee("bob");
  a.set_version(2);
  *a.mutable_update_time() = base::ToProtoTimestamp(kT0 + absl::Minutes(1));
  ASSERT_TRUE(Feed(*timer, testing::StateChanged(a), a, 0).ok());
  {
    absl::MutexLock lock(&log.mu);
    log.applied[0] = 3;
  }
  // ...and b, which nothing stopped, breaches: firing was delayed, not lost.
  EXPECT_EQ(*timer->FireOnce(), 8);
  std::map<std::string, int> types;
  OutboxIds(1, &types);
  EXPECT_EQ(types["itsm.sla.v1.SlaMet"], 2);
  EXPECT_EQ(types["itsm.sla.v1.SlaBreached"], 2);  // b's two clocks only
  ClockStore store(redis_->address());
  auto state = store.Load({{0, "a"}});
  ASSERT_TRUE(state.ok() && (*state)[0].state);
  for (const auto& c : (*state)[0].state->clocks()) EXPECT_FALSE(c.breach_fired());
}

// The same across processes: Redis down while incidents are resolved well before their due
// time; when it returns, every one of them is met and none is breached or warned about.
TEST_F(SlaTimerRedisTest, AfterARedisOutageRecordsResolvedInTimeAreMetNeverBreached) {
  auto cluster = StartCluster();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string bootstrap = (*cluster)->bootstrap_servers();
  prometheus::Registry registry;
  auto timer = NewTimer(registry, bootstrap);
  ASSERT_TRUE(timer->Start().ok());
  testing::IncidentProducer producer(bootstrap);
  constexpr int kIncidents = 8;
  std::vector<incident::v1::Incident> incidents = SendCreated(producer, kIncidents);
  ASSERT_TRUE(WaitUntil([&] { return OpenClocks()["resolution:running"] == kIncidents; },
                        absl::Seconds(30), "clocks stored")
                  .ok());
  redis_->Stop();
  for (auto& i : incidents) SendResolvedAfterAMinute(producer, i);
  producer.Flush();
  ASSERT_TRUE(
      WaitUntil(
          [&] {
            return MetricSum(registry, "itsm_sla_timer_events_total", {{"result", "retry"}}) > 0;
          },
          absl::Seconds(30), "the consumer met the outage")
          .ok());
  clock_.Advance(absl::Hours(5));  // every clock is far past its due time
  auto redis =
      supervisor::RedisServer::Start(dir_.File("redis"), redis_->port(), dir_.File("redis2.log"));
  ASSERT_TRUE(redis.ok()) << redis.status();
  redis_ = std::move(*redis);
  // Started x2 and Met x2 per incident, nothing else.
  auto records = itsm::testing::ReadTopic(bootstrap, kSlaTopic, 4 * kIncidents, absl::Seconds(60));
  ASSERT_TRUE(records.ok()) << records.status();
  std::map<std::string, int> types;
  for (const auto& r : *records) ++types[r.Header("ce_type")];
  EXPECT_EQ(types["itsm.sla.v1.SlaMet"], 2 * kIncidents);
  EXPECT_EQ(types["itsm.sla.v1.SlaBreached"], 0);
  EXPECT_EQ(types["itsm.sla.v1.SlaWarningReached"], 0);
  EXPECT_EQ(MetricSum(registry, "itsm_sla_timer_fired_total"), 0);
  timer->StopConsumer();
  timer->StopFiring();
  timer->StopPublisher();
}

// Redis acknowledges writes before they reach its disk: a crash of its host (or a failover to a
// replica behind the primary) comes back without the last of them, while the timer's consumer
// stands past them. Here Redis comes back as it was before every incident was resolved: the
// timer must notice that it is another Redis, go back to the positions that Redis holds, and
// apply the resolutions again — met, never breached.
TEST_F(SlaTimerRedisTest, ARedisThatLostItsLastWritesTakesTheConsumerBackToThem) {
  auto cluster = StartCluster();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string bootstrap = (*cluster)->bootstrap_servers();
  prometheus::Registry registry;
  auto timer = NewTimer(registry, bootstrap);
  ASSERT_TRUE(timer->Start().ok());
  testing::IncidentProducer producer(bootstrap);
  constexpr int kIncidents = 8;
  std::vector<incident::v1::Incident> incidents = SendCreated(producer, kIncidents);
  // The positions Redis holds, summed over the partitions: one event each so far.
  redis::RedisClient client(redis_->address());
  auto stored_positions = [&] {
    int64_t sum = 0;
    for (int p = 0; p < 4; ++p) {
      auto values = client.Command({"HVALS", "itsm:sla:pos:{" + std::to_string(p) + "}"});
      if (!values.ok()) return int64_t{-1};
      for (const auto& v : values->elements) sum += std::stoll(v.str);
    }
    return sum;
  };
  ASSERT_TRUE(WaitUntil([&] { return stored_positions() == kIncidents; }, absl::Seconds(30),
                        "creations applied and their positions stored")
                  .ok());
  ASSERT_NO_FATAL_FAILURE(CopyRedisAndRestart("redis2.log"));
  // A restart that lost nothing: the timer goes back to the positions all the same.
  auto rewinds = [&] { return MetricSum(registry, "itsm_sla_timer_redis_rewinds_total"); };
  ASSERT_TRUE(WaitUntil([&] { return rewinds() == 1; }, absl::Seconds(30), "first rewind").ok());
  for (auto& i : incidents) SendResolvedAfterAMinute(producer, i);
  producer.Flush();
  ASSERT_TRUE(WaitUntil([&] { return stored_positions() == 2 * kIncidents; }, absl::Seconds(30),
                        "resolutions applied and their positions stored")
                  .ok());
  EXPECT_EQ(OpenClocks()["resolution:running"], 0);
  // The host crashes: Redis comes back without the resolutions, and their positions.
  redis_->process().Kill();
  std::filesystem::remove_all(dir_.File("redis"));
  std::filesystem::rename(dir_.File("redis-before"), dir_.File("redis"));
  auto redis =
      supervisor::RedisServer::Start(dir_.File("redis"), redis_->port(), dir_.File("redis3.log"));
  ASSERT_TRUE(redis.ok()) << redis.status();
  redis_ = std::move(*redis);
  clock_.Advance(absl::Hours(5));  // every clock is far past its due time
  // Without going back, the timer would go on from the resolutions and breach every clock.
  ASSERT_TRUE(WaitUntil(
                  [&] {
                    return rewinds() == 2 && stored_positions() == 2 * kIncidents &&
                           OpenClocks()["resolution:running"] == 0 &&
                           OpenClocks()["response:running"] == 0;
                  },
                  absl::Seconds(60), "the resolutions applied again")
                  .ok())
      << "open: " << OpenClocks()["resolution:running"]
      << ", fired: " << MetricSum(registry, "itsm_sla_timer_fired_total");
  // Two SlaMet per incident (with the ids published before the crash), no warning nor breach.
  // Those lost with Redis' last writes are published again once applied again: read until they
  // are all there (a loaded machine publishes them after the positions are stored).
  std::map<std::string, std::set<std::string>> ids_by_type;
  ASSERT_TRUE(WaitUntil(
                  [&] {
                    auto records = itsm::testing::ReadTopic(bootstrap, kSlaTopic, 4 * kIncidents,
                                                            absl::Seconds(10));
                    if (!records.ok()) return false;
                    ids_by_type.clear();
                    for (const auto& r : *records) {
                      ids_by_type[r.Header("ce_type")].insert(r.Header("ce_id"));
                    }
                    return ids_by_type["itsm.sla.v1.SlaMet"].size() >= 2u * kIncidents;
                  },
                  absl::Seconds(60), "every SlaMet published")
                  .ok());
  EXPECT_EQ(ids_by_type["itsm.sla.v1.SlaMet"].size(), 2u * kIncidents);
  EXPECT_EQ(ids_by_type["itsm.sla.v1.SlaBreached"].size(), 0u);
  EXPECT_EQ(ids_by_type["itsm.sla.v1.SlaWarningReached"].size(), 0u);
  EXPECT_EQ(MetricSum(registry, "itsm_sla_timer_fired_total"), 0);
  timer->StopConsumer();
  timer->StopFiring();
  timer->StopPublisher();
}

// And with the timer stopped instead: a new process applies the backlog before it fires.
TEST_F(SlaTimerRedisTest, ARestartedTimerAppliesTheBacklogBeforeFiring) {
  auto cluster = StartCluster();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string bootstrap = (*cluster)->bootstrap_servers();
  testing::IncidentProducer producer(bootstrap);
  constexpr int kIncidents = 8;
  std::vector<incident::v1::Incident> incidents = SendCreated(producer, kIncidents);
  {
    prometheus::Registry registry;
    auto timer = NewTimer(registry, bootstrap);
    ASSERT_TRUE(timer->Start().ok());
    ASSERT_TRUE(WaitUntil([&] { return OpenClocks()["resolution:running"] == kIncidents; },
                          absl::Seconds(30), "clocks stored")
                    .ok());
    timer->StopConsumer();
    timer->StopFiring();
    timer->StopPublisher();
  }
  // While no timer runs: all resolved in time (the last one only its response), then the
  // clocks fall due.
  for (int k = 0; k + 1 < kIncidents; ++k) SendResolvedAfterAMinute(producer, incidents[k]);
  producer.Flush();
  clock_.Advance(absl::Hours(5));
  prometheus::Registry registry;
  auto timer = NewTimer(registry, bootstrap);
  ASSERT_TRUE(timer->Start().ok());
  // Started x2 each; Met x2 for the resolved ones; the last one's clocks warn and breach (the
  // real breaches still fire, after the backlog).
  const size_t expected = 2 * kIncidents + 2 * (kIncidents - 1) + 8;
  auto records = itsm::testing::ReadTopic(bootstrap, kSlaTopic, expected, absl::Seconds(60));
  ASSERT_TRUE(records.ok()) << records.status();
  std::map<std::string, int> types;
  std::set<std::string> breached;
  for (const auto& r : *records) {
    ++types[r.Header("ce_type")];
    if (r.Header("ce_type") == "itsm.sla.v1.SlaBreached") breached.insert(r.key);
  }
  EXPECT_EQ(records->size(), expected);
  EXPECT_EQ(types["itsm.sla.v1.SlaMet"], 2 * (kIncidents - 1));
  EXPECT_EQ(types["itsm.sla.v1.SlaBreached"], 2);
  EXPECT_EQ(breached, std::set<std::string>{"inc-" + std::to_string(kIncidents - 1)});
  timer->StopConsumer();
  timer->StopFiring();
  timer->StopPublisher();
}

// A breach published just before Redis' host crashed, whose marker Redis lost with its last
// writes: a resolution stamped before the due time, applied by the restarted timer from the
// positions Redis kept, withdraws it, because the timer reads back what it had published.
TEST_F(SlaTimerRedisTest, ABreachRedisForgotIsWithdrawnByALateResolution) {
  auto cluster = StartCluster();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string bootstrap = (*cluster)->bootstrap_servers();
  testing::IncidentProducer producer(bootstrap);
  constexpr int kIncidents = 4;
  std::vector<incident::v1::Incident> incidents = SendCreated(producer, kIncidents);
  // Distinct ce_ids published, by type.
  auto published = [&](size_t at_least) {
    std::map<std::string, std::set<std::string>> ids_by_type;
    auto records = itsm::testing::ReadTopic(bootstrap, kSlaTopic, at_least, absl::Seconds(10));
    if (records.ok()) {
      for (const auto& r : *records) ids_by_type[r.Header("ce_type")].insert(r.Header("ce_id"));
    }
    return ids_by_type;
  };
  // Delivered offsets noted at once (an hour later in production): the restored Redis holds
  // those of the clocks' starts, from where the read-back starts.
  SlaTimer::Options options = TimerOptions(bootstrap);
  options.published_offsets_lag = absl::ZeroDuration();
  {
    prometheus::Registry registry;
    auto timer = NewTimer(registry, options);
    ASSERT_TRUE(timer->Start().ok());
    // Started, published, and the offsets of each partition they went to noted.
    auto noted_partitions = [&] {
      auto n = redis::RedisClient(redis_->address()).Command({"HLEN", "itsm:sla:published"});
      return n.ok() ? n->integer : -1;
    };
    ASSERT_TRUE(WaitUntil(
                    [&] {
                      auto records = itsm::testing::ReadTopic(bootstrap, kSlaTopic, 2 * kIncidents,
                                                              absl::Seconds(10));
                      if (!records.ok() || records->size() != 2u * kIncidents) return false;
                      std::set<int32_t> partitions;
                      for (const auto& r : *records) partitions.insert(r.partition);
                      return noted_partitions() == static_cast<int64_t>(partitions.size());
                    },
                    absl::Seconds(30), "clocks started, published and noted")
                    .ok());
    // Redis before the breaches.
    ASSERT_NO_FATAL_FAILURE(CopyRedisAndRestart("redis2.log"));
    clock_.Advance(absl::Hours(5));
    ASSERT_TRUE(WaitUntil(
                    [&] {
                      return published(4 * kIncidents)["itsm.sla.v1.SlaBreached"].size() ==
                             2u * kIncidents;
                    },
                    absl::Seconds(60), "every clock breached and published")
                    .ok());
    timer->StopConsumer();
    timer->StopFiring();
    timer->StopPublisher();
  }
  // The host crashes: Redis comes back without the breaches. Resolutions stamped a minute after
  // the creations, relayed late, arrive while the timer is down.
  redis_->process().Kill();
  std::filesystem::remove_all(dir_.File("redis"));
  std::filesystem::rename(dir_.File("redis-before"), dir_.File("redis"));
  auto redis =
      supervisor::RedisServer::Start(dir_.File("redis"), redis_->port(), dir_.File("redis3.log"));
  ASSERT_TRUE(redis.ok()) << redis.status();
  redis_ = std::move(*redis);
  // The offsets it noted before the breaches: the read-back starts after them, not at the
  // topic's beginning, and still finds every breach.
  auto records = itsm::testing::ReadTopic(bootstrap, kSlaTopic, 12 * kIncidents, absl::Seconds(5));
  ASSERT_TRUE(records.ok()) << records.status();
  std::map<int32_t, int64_t> first_breach;
  for (const auto& r : *records) {
    if (r.Header("ce_type") == "itsm.sla.v1.SlaBreached" && !first_breach.contains(r.partition)) {
      first_breach[r.partition] = r.offset;
    }
  }
  auto noted = redis::RedisClient(redis_->address()).Command({"HGETALL", "itsm:sla:published"});
  ASSERT_TRUE(noted.ok()) << noted.status();
  ASSERT_FALSE(noted->elements.empty());
  for (size_t k = 0; k + 1 < noted->elements.size(); k += 2) {
    const std::string& field = noted->elements[k].str;
    const int32_t partition = std::stoi(field.substr(field.find('/') + 1));
    if (first_breach.contains(partition)) {
      EXPECT_LT(std::stoll(noted->elements[k + 1].str), first_breach[partition]) << field;
    }
  }
  for (auto& i : incidents) SendResolvedAfterAMinute(producer, i);
  producer.Flush();
  prometheus::Registry registry;
  auto timer = NewTimer(registry, options);
  ASSERT_TRUE(timer->Start().ok());
  // Met, and every breach published is withdrawn; no new breach.
  std::map<std::string, std::set<std::string>> ids_by_type;
  ASSERT_TRUE(WaitUntil(
                  [&] {
                    ids_by_type = published(8 * kIncidents);
                    return ids_by_type["itsm.sla.v1.SlaMet"].size() == 2u * kIncidents;
                  },
                  absl::Seconds(60), "every clock met")
                  .ok());
  ids_by_type = published(8 * kIncidents);  // a moment later: nothing more
  EXPECT_EQ(ids_by_type["itsm.sla.v1.SlaBreachWithdrawn"].size(), 2u * kIncidents);
  EXPECT_EQ(ids_by_type["itsm.sla.v1.SlaBreached"].size(), 2u * kIncidents);
  EXPECT_EQ(ids_by_type["itsm.sla.v1.SlaMet"].size(), 2u * kIncidents);
  EXPECT_EQ(OpenClocks()["resolution:running"], 0);
  timer->StopConsumer();
  timer->StopFiring();
  timer->StopPublisher();
}

// An outbox entry that does not parse (not written by a timer) is removed, and neither the
// events behind it nor the other partitions' wait for it.
TEST_F(SlaTimerRedisTest, AnOutboxEntryThatDoesNotParseIsRemovedAndHoldsNothingBack) {
  auto cluster = StartCluster();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string bootstrap = (*cluster)->bootstrap_servers();
  ClockStore store(redis_->address());
  std::set<std::string> expected;
  for (int p = 0; p < 4; ++p) {
    events::CloudEvent e;
    e.id = absl::StrCat("ce-", p);
    e.source = "itsm/sla-timer";
    e.type = sla::v1::SlaBreached::descriptor()->full_name();
    e.time = kT0;
    e.subject = absl::StrCat("inc-", p);
    ASSERT_TRUE(
        store.redis().Command({"RPUSH", store.OutboxKey(p), ClockStore::OutboxEntry(e)}).ok());
    expected.insert(e.id);
  }
  ASSERT_TRUE(store.redis().Command({"LPUSH", store.OutboxKey(0), "\xff\xff not an entry"}).ok());
  prometheus::Registry registry;
  auto timer = NewTimer(registry, bootstrap);
  ASSERT_TRUE(timer->Start().ok());
  auto records = itsm::testing::ReadTopic(bootstrap, kSlaTopic, 4, absl::Seconds(30));
  ASSERT_TRUE(records.ok()) << records.status();
  std::set<std::string> published;
  for (const auto& r : *records) published.insert(r.Header("ce_id"));
  EXPECT_EQ(published, expected);
  ASSERT_TRUE(WaitUntil(
                  [&] {
                    for (int p = 0; p < 4; ++p) {
                      auto n = store.OutboxLength(p);
                      if (!n.ok() || *n != 0) return false;
                    }
                    return true;
                  },
                  absl::Seconds(10), "outboxes empty")
                  .ok());
  timer->StopConsumer();
  timer->StopFiring();
  timer->StopPublisher();
}

TEST_F(SlaTimerRedisTest, ConsumesIncidentEventsAndPublishesClockEvents) {
  auto cluster = StartCluster();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string bootstrap = (*cluster)->bootstrap_servers();
  prometheus::Registry registry;
  auto timer = NewTimer(registry, bootstrap);
  ASSERT_TRUE(timer->Start().ok());
  testing::IncidentProducer producer(bootstrap);
  auto a = NewIncident("inc-a", kT0), b = NewIncident("inc-b", kT0);
  producer.Send(testing::Created(a), a);
  producer.Send(testing::Created(b), b);
  // b goes on hold before anything is due: no breach for its resolution clock.
  b.set_state(incident::v1::INCIDENT_STATE_ON_HOLD);
  b.set_assignee("bob");
  b.set_version(2);
  *b.mutable_update_time() = base::ToProtoTimestamp(kT0 + absl::Minutes(1));
  producer.Send(testing::StateChanged(b), b);
  producer.Flush();
  ASSERT_TRUE(WaitUntil(
                  [&] {
                    auto open = OpenClocks();
                    return open["resolution:paused"] == 1 && open["resolution:running"] == 1;
                  },
                  absl::Seconds(30), "clocks stored")
                  .ok());
  clock_.Advance(absl::Hours(5));
  // Started x2 (a) + Started x2, Met (response), Paused (b) + a: 3 warnings + breach x2 clocks.
  auto records = itsm::testing::ReadTopic(bootstrap, kSlaTopic, 14, absl::Seconds(30));
  ASSERT_TRUE(records.ok()) << records.status();
  std::map<std::string, int> types;
  std::set<std::string> ids;
  for (const auto& r : *records) {
    ++types[r.Header("ce_type")];
    EXPECT_TRUE(ids.insert(r.Header("ce_id")).second) << "duplicate " << r.Header("ce_id");
    EXPECT_EQ(r.Header("ce_source"), "itsm/sla-timer");
    if (r.Header("ce_type") == "itsm.sla.v1.SlaBreached") {
      sla::v1::SlaBreached m;
      ASSERT_TRUE(m.ParseFromString(r.value));
      EXPECT_EQ(m.clock().incident_id(), "inc-a");
      EXPECT_EQ(r.key, "inc-a");
    }
  }
  EXPECT_EQ(records->size(), 14u);
  EXPECT_EQ(types["itsm.sla.v1.SlaBreached"], 2);
  EXPECT_EQ(types["itsm.sla.v1.SlaClockPaused"], 1);
  EXPECT_EQ(types["itsm.sla.v1.SlaMet"], 1);
  // Published events left the Redis outbox.
  ASSERT_TRUE(
      WaitUntil([&] { return OutboxIds(4).empty(); }, absl::Seconds(10), "outbox drained").ok());
  timer->StopConsumer();
  timer->StopFiring();
  timer->StopPublisher();
}

TEST_F(SlaTimerRedisTest, AWipedRedisIsRebuiltByReplayingTheTopic) {
  auto cluster = StartCluster();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string bootstrap = (*cluster)->bootstrap_servers();
  ClockStore store(redis_->address());
  {
    testing::IncidentProducer producer(bootstrap);
    SendTenWithThreeOnHold(producer);
  }
  // Started x20, Met x3, Paused x3, then at 16 min the 50 % warning of 7 response clocks.
  constexpr size_t kBefore = 20 + 3 + 3 + 7;
  std::map<std::string, int64_t> open_before;
  std::map<std::string, int> ids_before;
  {
    prometheus::Registry registry;
    auto timer = NewTimer(registry, bootstrap);
    ASSERT_TRUE(timer->Start().ok());
    ASSERT_TRUE(WaitUntil([&] { return OpenClocks()["resolution:paused"] == 3; }, absl::Seconds(30),
                          "clocks stored")
                    .ok());
    clock_.Advance(absl::Minutes(16));
    auto records = itsm::testing::ReadTopic(bootstrap, kSlaTopic, kBefore, absl::Seconds(30));
    ASSERT_TRUE(records.ok()) << records.status();
    for (const auto& r : *records) ++ids_before[r.Header("ce_id")];
    ASSERT_EQ(records->size(), kBefore);
    open_before = OpenClocks();
    timer->StopConsumer();
    timer->StopFiring();
    timer->StopPublisher();
  }

  // Redis loses everything, the consumer's positions with it: a restarted timer, in the same
  // consumer group, replays the incident topic from its beginning.
  ASSERT_TRUE(store.redis().Command({"FLUSHALL"}).ok());
  ASSERT_TRUE(OpenClocks().empty());
  prometheus::Registry registry;
  auto timer = NewTimer(registry, bootstrap);
  ASSERT_TRUE(timer->Start().ok());
  ASSERT_TRUE(
      WaitUntil([&] { return OpenClocks() == open_before; }, absl::Seconds(30), "rebuilt").ok());
  // The same clocks again, and their events with the same ce_ids (consumers drop them).
  auto records = itsm::testing::ReadTopic(bootstrap, kSlaTopic, 2 * kBefore, absl::Seconds(30));
  ASSERT_TRUE(records.ok()) << records.status();
  std::map<std::string, int> ids_after;
  for (const auto& r : *records) ++ids_after[r.Header("ce_id")];
  EXPECT_EQ(records->size(), 2 * kBefore);
  for (const auto& [id, n] : ids_before) EXPECT_EQ(ids_after[id], 2) << id;
  EXPECT_EQ(ids_after.size(), ids_before.size());

  // And they go on: the running response clocks breach once each.
  clock_.Advance(absl::Minutes(15));
  records = itsm::testing::ReadTopic(bootstrap, kSlaTopic, 2 * kBefore + 7 * 3, absl::Seconds(30));
  ASSERT_TRUE(records.ok()) << records.status();
  std::map<std::string, int> breaches;
  for (const auto& r : *records) {
    if (r.Header("ce_type") == "itsm.sla.v1.SlaBreached") ++breaches[r.Header("ce_id")];
  }
  EXPECT_EQ(breaches.size(), 7u);
  for (const auto& [id, n] : breaches) EXPECT_EQ(n, 1) << id;
  timer->StopConsumer();
  timer->StopFiring();
  timer->StopPublisher();
}

// Redis emptied under a running timer (FLUSHALL: the same process, so no new identity): the
// first look for due clocks, or the first write, finds the partition's marker gone, and the
// timer replays the topic from its beginning without a restart. An event arriving after the
// emptying is not applied into the empty Redis (its position stored there would start the
// replay past every clock before it). With two replicas, each finds out for its own partitions,
// including one whose partitions were given back, by the rebalance of the other's rewind, with
// their markers already set again.
void SlaTimerRedisTest::EmptyRedisUnderRunningTimers(int replicas) {
  auto cluster = StartCluster();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string bootstrap = (*cluster)->bootstrap_servers();
  testing::IncidentProducer producer(bootstrap);
  SendTenWithThreeOnHold(producer);
  producer.Flush();
  // As docs/security.md restricts the timer's Redis user: every key it touches, the markers
  // included, must be under its prefix.
  ClockStore store(redis_->address());
  ASSERT_TRUE(
      store.redis().Command({"ACL", "SETUSER", "timer", "on", ">s3cret", "~itsm:*", "+@all"}).ok());
  SlaTimer::Options options = TimerOptions(bootstrap);
  options.redis_auth = {.username = "timer", .password = "s3cret"};
  std::vector<std::unique_ptr<prometheus::Registry>> registries;
  std::vector<std::unique_ptr<SlaTimer>> timers;
  for (int r = 0; r < replicas; ++r) {
    registries.push_back(std::make_unique<prometheus::Registry>());
    timers.push_back(NewTimer(*registries.back(), options));
    ASSERT_TRUE(timers.back()->Start().ok());
  }
  ASSERT_TRUE(WaitUntil([&] { return OpenClocks()["resolution:paused"] == 3; }, absl::Seconds(30),
                        "clocks stored")
                  .ok());
  // Started x20, Met x3, Paused x3, then at 16 min the 50 % warning of 7 response clocks.
  constexpr size_t kBefore = 20 + 3 + 3 + 7;
  clock_.Advance(absl::Minutes(16));
  auto records = itsm::testing::ReadTopic(bootstrap, kSlaTopic, kBefore, absl::Seconds(30));
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), kBefore);
  std::map<std::string, int64_t> open = OpenClocks();
  auto rewinds = [&] {
    double sum = 0;
    for (auto& registry : registries) {
      sum += MetricSum(*registry, "itsm_sla_timer_redis_rewinds_total");
    }
    return sum;
  };
  ASSERT_EQ(rewinds(), 0);

  ASSERT_TRUE(store.redis().Command({"FLUSHALL"}).ok());
  // Created 16 minutes ago too: its response clock's warning is due at once.
  auto late = NewIncident("inc-10", kT0);
  producer.Send(testing::Created(late), late);
  producer.Flush();
  open["response:running"] += 1;
  open["resolution:running"] += 1;
  ASSERT_TRUE(WaitUntil([&] { return OpenClocks() == open; }, absl::Seconds(60),
                        "every clock rebuilt, the late incident's with them")
                  .ok())
      << "rewinds: " << rewinds()
      << ", response clocks running: " << OpenClocks()["response:running"];
  EXPECT_GE(rewinds(), replicas);

  // And they go on: the running response clocks breach once each, the late incident's too.
  clock_.Advance(absl::Minutes(15));
  std::map<std::string, int> breaches;
  ASSERT_TRUE(WaitUntil(
                  [&] {
                    auto all = itsm::testing::ReadTopic(bootstrap, kSlaTopic, 1, absl::Seconds(2));
                    if (!all.ok()) return false;
                    breaches.clear();
                    for (const auto& r : *all) {
                      if (r.Header("ce_type") == "itsm.sla.v1.SlaBreached") {
                        ++breaches[r.Header("ce_id")];
                      }
                    }
                    return breaches.size() >= 8u;
                  },
                  absl::Seconds(60), "eight breaches")
                  .ok())
      << breaches.size();
  EXPECT_EQ(breaches.size(), 8u);
  for (const auto& [id, n] : breaches) EXPECT_EQ(n, 1) << id;
  if (replicas == 1) {
    // The seven warnings published again by the replay are copies (read back before it): kept
    // out of the publish delay, which observes each firing once: the seven 50 % warnings, the
    // late incident's, then for eight clocks the 75 % and 90 % warnings and the breach.
    constexpr double kFirings = 7 + 1 + 8 * 3;
    prometheus::Registry& registry = *registries[0];
    EXPECT_TRUE(
        WaitUntil(
            [&] { return MetricSum(registry, "itsm_sla_event_publish_delay_seconds") >= kFirings; },
            absl::Seconds(10), "every delivery observed")
            .ok());
    EXPECT_EQ(MetricSum(registry, "itsm_sla_event_publish_delay_seconds"), kFirings);
    EXPECT_EQ(MetricSum(registry, "itsm_sla_timer_firings_published_again_total"), 7);
  }
  for (auto& timer : timers) {
    timer->StopConsumer();
    timer->StopFiring();
    timer->StopPublisher();
  }
}

TEST_F(SlaTimerRedisTest, AnEmptiedRedisIsRebuiltWhileTheTimerRuns) {
  EmptyRedisUnderRunningTimers(1);
}

TEST_F(SlaTimerRedisTest, AnEmptiedRedisIsRebuiltWhileTwoReplicasRun) {
  EmptyRedisUnderRunningTimers(2);
}

// A Redis that may evict keys when full could drop clocks, marker spared, with nothing to see:
// the timer reports its policy on a gauge (and an alert, ItsmSlaRedisMayEvict, reads it).
TEST_F(SlaTimerRedisTest, ARedisThatMayEvictKeysIsReported) {
  ClockStore store(redis_->address());
  prometheus::Registry registry;
  auto timer = NewTimer(registry);
  ASSERT_TRUE(store.redis().Command({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}).ok());
  ASSERT_TRUE(timer->Start().ok());
  EXPECT_TRUE(WaitUntil([&] { return MetricSum(registry, "itsm_sla_timer_redis_may_evict") == 1; },
                        absl::Seconds(10), "the policy reported")
                  .ok());
  timer->StopFiring();
}

// The broker lost its data (a fresh cluster, empty topics) while Redis kept the clocks:
// RepublishEvents on the timer (through its gRPC admin API) publishes one SlaClockRepublished
// per clock, carrying the same state as the clock's last event on the lost broker, with ids
// that stay the same when asked again.
TEST_F(SlaTimerRedisTest, RepublishEventsSendsEveryClocksStateToAFreshBroker) {
  // Every clock event carries `SlaClock clock = 1`: read any of them as this one.
  auto clock_of = [](const std::string& value) {
    sla::v1::SlaClockRepublished m;
    EXPECT_TRUE(m.ParseFromString(value));
    return m.clock();
  };
  std::map<std::string, sla::v1::SlaClock> last;  // clock id -> state of its last event
  constexpr size_t kClocks = 20;
  {
    auto lost = StartCluster();
    ASSERT_TRUE(lost.ok()) << lost.status();
    const std::string bootstrap = (*lost)->bootstrap_servers();
    {
      testing::IncidentProducer producer(bootstrap);
      SendTenWithThreeOnHold(producer);
    }
    prometheus::Registry registry;
    auto timer = NewTimer(registry, bootstrap);
    ASSERT_TRUE(timer->Start().ok());
    // Started x20, Met x3, Paused x3; then the 50 % warning of the 7 running response clocks.
    auto records = itsm::testing::ReadTopic(bootstrap, kSlaTopic, 26, absl::Seconds(30));
    ASSERT_TRUE(records.ok()) << records.status();
    clock_.Advance(absl::Minutes(16));
    records = itsm::testing::ReadTopic(bootstrap, kSlaTopic, 33, absl::Seconds(30));
    ASSERT_TRUE(records.ok()) << records.status();
    ASSERT_EQ(records->size(), 33u);
    for (const auto& r : *records) {
      sla::v1::SlaClock c = clock_of(r.value);
      auto& slot = last[c.clock_id()];
      if (slot.clock_id().empty() ||
          base::FromProtoTimestamp(c.event_time()) >= base::FromProtoTimestamp(slot.event_time())) {
        slot = c;
      }
    }
    ASSERT_EQ(last.size(), kClocks);
    timer->StopConsumer();
    timer->StopFiring();
    timer->StopPublisher();
  }

  auto fresh = StartCluster();
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  const std::string bootstrap = (*fresh)->bootstrap_servers();
  prometheus::Registry registry;
  auto timer = NewTimer(registry, bootstrap);
  ASSERT_TRUE(timer->Start().ok());
  TimerAdminService admin(*timer);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&admin);
  auto server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  auto stub = outbox::v1::OutboxAdminService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  auto republish = [&](bool dead_letters = false) {
    grpc::ClientContext ctx;
    outbox::v1::RepublishEventsRequest request;
    *request.mutable_start_time() = base::ToProtoTimestamp(absl::UnixEpoch());
    *request.mutable_end_time() = base::ToProtoTimestamp(kT0 + absl::Hours(24));
    request.set_dead_letters(dead_letters);
    outbox::v1::RepublishEventsResponse response;
    grpc::Status status = stub->RepublishEvents(&ctx, request, &response);
    return std::pair(status, response.republished_events());
  };
  auto [status, queued] = republish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(queued, static_cast<int64_t>(kClocks));
  auto records = itsm::testing::ReadTopic(bootstrap, kSlaTopic, kClocks, absl::Seconds(30));
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), kClocks);
  std::set<std::string> ids;
  for (const auto& r : *records) {
    EXPECT_EQ(r.Header("ce_type"), "itsm.sla.v1.SlaClockRepublished");
    ids.insert(r.Header("ce_id"));
    sla::v1::SlaClock c = clock_of(r.value);
    EXPECT_EQ(r.key, c.incident_id());
    // The same state; what caused it is "republished", not the last event's change.
    sla::v1::SlaClock expected = last[c.clock_id()];
    EXPECT_GT(expected.calendar_version(), 0);
    expected.set_cause("republished");
    expected.clear_changed_fields();
    expected.clear_record_version();
    expected.clear_change_time();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(c, expected))
        << c.DebugString() << " vs " << expected.DebugString();
  }
  EXPECT_EQ(ids.size(), kClocks);
  // Asked again: the same events, the same ids (consumers drop them as duplicates).
  std::tie(status, queued) = republish();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(queued, static_cast<int64_t>(kClocks));
  records = itsm::testing::ReadTopic(bootstrap, kSlaTopic, 2 * kClocks, absl::Seconds(30));
  ASSERT_TRUE(records.ok()) << records.status();
  std::set<std::string> again;
  for (const auto& r : *records) again.insert(r.Header("ce_id"));
  EXPECT_EQ(again, ids);
  // The timer keeps no dead letters.
  EXPECT_EQ(republish(true).first.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  {
    grpc::ClientContext ctx;
    outbox::v1::GetOutboxStatsResponse stats;
    ASSERT_TRUE(stub->GetOutboxStats(&ctx, {}, &stats).ok());
    EXPECT_GE(stats.pending_events(), 0);
  }
  server->Shutdown();
  admin.Stop();
  timer->StopConsumer();
  timer->StopFiring();
  timer->StopPublisher();
}

}  // namespace
}  // namespace itsm::sla_timer
