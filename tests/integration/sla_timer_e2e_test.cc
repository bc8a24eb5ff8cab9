// The SLA timer as it runs: the real itsm-sla-timer and itsm-sla binaries beside redis-server
// (AOF) and the embedded Kafka broker. Definitions with targets of a few seconds on a 24x7
// calendar, so that real clocks fall due during the test. Covers: a breach arrives; a pause over
// the due time prevents it; kill -9 with clocks running loses none and fires none twice; two
// replicas with a rebalance in between fire each clock once.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "itsm/base/time_util.h"
#include "itsm/sla/v1/events.pb.h"
#include "itsm/sla/v1/sla.grpc.pb.h"
#include "itsm/supervisor/backends.h"
#include "itsm/supervisor/suite_service.h"
#include "itsm/testing/kafka_reader.h"
#include "itsm/testing/test_env.h"
#include "itsm/testing/test_issuer.h"
#include "services/sla-timer/tests/test_support.h"

namespace itsm {
namespace {

using sla_timer::testing::Created;
using sla_timer::testing::NewIncident;

constexpr char kSlaTopic[] = "itsm.sla.v1";

class SlaTimerEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = supervisor::RedisServer::Start(dir_.File("redis"), 0, dir_.File("redis.log"));
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = std::move(*redis);
    supervisor::KafkaBroker::Options kafka;
    kafka.dir = dir_.File("kafka");
    kafka.log_file = dir_.File("kafka.log");
    kafka.partitions = 4;
    kafka.topics = {"itsm.incident.v1", kSlaTopic};
    auto broker = supervisor::KafkaBroker::Start(kafka);
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
    supervisor::SuiteService::Options sla;
    sla.name = "sla";
    sla.dir = dir_.File("sla");
    sla.log_file = dir_.File("sla.log");
    sla.env = issuer_.ServiceEnv(dir_.path());
    sla.env.emplace_back("ITSM_KAFKA_BOOTSTRAP_SERVERS", broker_->bootstrap_servers());
    auto service = supervisor::SuiteService::Start(sla);
    ASSERT_TRUE(service.ok()) << service.status();
    sla_ = std::move(*service);
    auto stub = sla::v1::SlaService::NewStub(SlaManagerChannel());
    sla::v1::CreateCalendarRequest cal;
    *cal.mutable_calendar() = sla_timer::testing::AlwaysOpen("", "24x7");
    sla::v1::CreateCalendarResponse cal_out;
    {
      grpc::ClientContext ctx;
      grpc::Status s = stub->CreateCalendar(&ctx, cal, &cal_out);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
    // "fast": P1 resolved in 2 s. "slow": P1 resolved in 4 s (room for a pause before it).
    for (const auto& [service_name, seconds] :
         {std::pair<std::string, int>{"fast", 2}, {"slow", 4}}) {
      sla::v1::CreateSlaDefinitionRequest def;
      *def.mutable_definition() = sla_timer::testing::ShortSla(
          "", service_name, cal_out.calendar().id(), absl::Seconds(seconds));
      sla::v1::CreateSlaDefinitionResponse def_out;
      grpc::ClientContext ctx;
      grpc::Status s = stub->CreateSlaDefinition(&ctx, def, &def_out);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
    producer_ =
        std::make_unique<sla_timer::testing::IncidentProducer>(broker_->bootstrap_servers());
  }

  std::shared_ptr<grpc::Channel> SlaManagerChannel() {
    return issuer_.Channel(sla_->grpc_address(),
                           {.subject = "sla-admin", .roles = {common::v1::ROLE_SLA_MANAGER}});
  }

  std::unique_ptr<supervisor::SuiteService> StartTimer(const std::string& name) {
    supervisor::SuiteService::Options o;
    o.name = "sla-timer";
    o.dir = dir_.File(name);
    o.log_file = dir_.File(name + ".log");
    o.env = {{"ITSM_KAFKA_BOOTSTRAP_SERVERS", broker_->bootstrap_servers()},
             {"ITSM_REDIS_ADDRESS", redis_->address()},
             {"ITSM_SLA_ADDRESS", sla_->grpc_address()},
             {"ITSM_FIRE_POLL_INTERVAL_MS", "50"},
             {"ITSM_PUBLISH_POLL_INTERVAL_MS", "50"}};
    for (auto& setting : issuer_.ServiceEnv(dir_.path())) o.env.push_back(setting);
    auto s = supervisor::SuiteService::Start(o);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }

  incident::v1::Incident Create(const std::string& id, const std::string& service) {
    auto i = NewIncident(id, absl::Now(), service);
    producer_->Send(Created(i), i);
    return i;
  }

  // SlaBreached events on the topic by incident: the distinct ce_ids, and how many messages.
  struct Breaches {
    std::map<std::string, std::set<std::string>> ids;
    std::map<std::string, int> messages;
  };
  Breaches ReadBreaches(size_t at_least, absl::Duration timeout) {
    Breaches b;
    auto records =
        itsm::testing::ReadTopic(broker_->bootstrap_servers(), kSlaTopic, at_least, timeout);
    EXPECT_TRUE(records.ok()) << records.status();
    if (!records.ok()) return b;
    for (const auto& r : *records) {
      if (r.Header("ce_type") != "itsm.sla.v1.SlaBreached") continue;
      sla::v1::SlaBreached m;
      EXPECT_TRUE(m.ParseFromString(r.value));
      b.ids[m.clock().incident_id()].insert(r.Header("ce_id"));
      ++b.messages[m.clock().incident_id()];
    }
    return b;
  }

  int64_t OpenClocks(supervisor::SuiteService& timer) {
    auto metrics = supervisor::ScrapeMetrics(timer.metrics_address());
    if (!metrics.ok()) return -1;
    const std::string key =
        "itsm_sla_timer_open_clocks{kind=\"resolution\",stage=\"running\","
        "service=\"sla-timer\"} ";
    size_t at = metrics->find(key);
    if (at == std::string::npos) return -1;
    return std::stoll(metrics->substr(at + key.size()));
  }

  itsm::testing::ScratchDir dir_;
  itsm::testing::TestIssuer issuer_;
  std::unique_ptr<supervisor::RedisServer> redis_;
  std::unique_ptr<supervisor::KafkaBroker> broker_;
  std::unique_ptr<supervisor::SuiteService> sla_;
  std::unique_ptr<sla_timer::testing::IncidentProducer> producer_;
};

TEST_F(SlaTimerEndToEnd, AP1WithAShortTargetBreachesAndTheEventArrives) {
  auto timer = StartTimer("timer");
  ASSERT_NE(timer, nullptr);
  const auto i = Create("e2e-breach", "fast");
  producer_->Flush();
  // Started, warnings 50/75/90 %, breached.
  Breaches b = ReadBreaches(5, absl::Seconds(60));
  ASSERT_EQ(b.ids[i.id()].size(), 1u);
  EXPECT_EQ(b.messages[i.id()], 1);
  auto metrics = supervisor::ScrapeMetrics(timer->metrics_address());
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->find("itsm_sla_timer_fired_total{event=\"breach\",kind=\"resolution\",service="
                          "\"sla-timer\"} 1"),
            std::string::npos)
      << *metrics;
  EXPECT_NE(metrics->find("itsm_sla_clock_fire_delay_seconds_count{service=\"sla-timer\"} 4"),
            std::string::npos);
  EXPECT_EQ(timer->Stop(), 0);
}

TEST_F(SlaTimerEndToEnd, APauseOverTheDueTimePreventsTheBreach) {
  auto timer = StartTimer("timer");
  ASSERT_NE(timer, nullptr);
  auto i = Create("e2e-pause", "slow");
  i.set_state(incident::v1::INCIDENT_STATE_ON_HOLD);
  i.set_hold_reason(incident::v1::HOLD_REASON_AWAITING_CALLER);
  i.set_version(2);
  *i.mutable_update_time() = base::ToProtoTimestamp(absl::Now());
  producer_->Send(sla_timer::testing::StateChanged(i), i);
  const auto control = Create("e2e-control", "slow");  // not paused: breaches
  producer_->Flush();
  Breaches b = ReadBreaches(9, absl::Seconds(60));
  absl::SleepFor(absl::Seconds(3));  // well past the paused clock's due time
  b = ReadBreaches(9, absl::Seconds(5));
  EXPECT_EQ(b.ids[control.id()].size(), 1u);
  EXPECT_EQ(b.ids.count(i.id()), 0u);
}

TEST_F(SlaTimerEndToEnd, KillDashNineWithClocksRunningFiresEveryDueClockOnce) {
  auto timer = StartTimer("timer");
  ASSERT_NE(timer, nullptr);
  constexpr int kIncidents = 30;
  for (int k = 0; k < kIncidents; ++k) Create("e2e-kill-" + std::to_string(k), "slow");
  producer_->Flush();
  ASSERT_TRUE(supervisor::WaitUntil([&] { return OpenClocks(*timer) == kIncidents; },
                                    absl::Seconds(30), "clocks stored")
                  .ok());
  timer->process().Kill();           // SIGKILL with every clock running
  absl::SleepFor(absl::Seconds(5));  // all of them fall due while no timer runs
  timer = StartTimer("timer");
  ASSERT_NE(timer, nullptr);
  Breaches b = ReadBreaches(kIncidents * 5, absl::Seconds(60));
  ASSERT_EQ(b.ids.size(), static_cast<size_t>(kIncidents));
  for (const auto& [id, ce_ids] : b.ids) {
    EXPECT_EQ(ce_ids.size(), 1u) << id;
    EXPECT_EQ(b.messages[id], 1) << id;
  }
}

TEST_F(SlaTimerEndToEnd, TwoReplicasWithARebalanceFireEachClockOnce) {
  auto a = StartTimer("timer-a");
  ASSERT_NE(a, nullptr);
  constexpr int kIncidents = 40;
  for (int k = 0; k < kIncidents / 2; ++k) Create("e2e-two-" + std::to_string(k), "slow");
  producer_->Flush();
  auto b = StartTimer("timer-b");  // joins the group: partitions move while clocks run
  ASSERT_NE(b, nullptr);
  for (int k = kIncidents / 2; k < kIncidents; ++k) Create("e2e-two-" + std::to_string(k), "slow");
  producer_->Flush();
  Breaches got = ReadBreaches(kIncidents * 5, absl::Seconds(90));
  ASSERT_EQ(got.ids.size(), static_cast<size_t>(kIncidents));
  for (const auto& [id, ce_ids] : got.ids) {
    EXPECT_EQ(ce_ids.size(), 1u) << id;
    EXPECT_EQ(got.messages[id], 1) << id;
  }
  // Both replicas ended up owning partitions.
  auto ma = supervisor::ScrapeMetrics(a->metrics_address());
  auto mb = supervisor::ScrapeMetrics(b->metrics_address());
  ASSERT_TRUE(ma.ok() && mb.ok());
  // Served by both (the label as the process writes it), and 0 by neither.
  EXPECT_NE(ma->find("itsm_sla_timer_owned_partitions{service=\"sla-timer\"} "), std::string::npos);
  EXPECT_NE(mb->find("itsm_sla_timer_owned_partitions{service=\"sla-timer\"} "), std::string::npos);
  EXPECT_EQ(ma->find("itsm_sla_timer_owned_partitions{service=\"sla-timer\"} 0"), std::string::npos)
      << *ma;
  EXPECT_EQ(mb->find("itsm_sla_timer_owned_partitions{service=\"sla-timer\"} 0"), std::string::npos)
      << *mb;
}

// Issue 12's fault test, across processes: Redis stops, then the timer is killed, while records
// are resolved and put on hold well before their due time; everything falls due while neither
// runs. When both are back: no false SlaBreached or SlaWarningReached for the records resolved
// or held in time, and no missing breach for the ones left running.
TEST_F(SlaTimerEndToEnd, ARedisOutageThenATimerKillGiveNoFalseAndNoMissingBreaches) {
  {
    auto stub = sla::v1::SlaService::NewStub(SlaManagerChannel());
    sla::v1::CreateCalendarRequest cal;
    *cal.mutable_calendar() = sla_timer::testing::AlwaysOpen("", "24x7 steady");
    sla::v1::CreateCalendarResponse cal_out;
    grpc::ClientContext cal_ctx;
    ASSERT_TRUE(stub->CreateCalendar(&cal_ctx, cal, &cal_out).ok());
    sla::v1::CreateSlaDefinitionRequest def;
    *def.mutable_definition() =
        sla_timer::testing::ShortSla("", "steady", cal_out.calendar().id(), absl::Seconds(20));
    sla::v1::CreateSlaDefinitionResponse def_out;
    grpc::ClientContext def_ctx;
    grpc::Status s = stub->CreateSlaDefinition(&def_ctx, def, &def_out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  auto timer = StartTimer("timer");
  ASSERT_NE(timer, nullptr);
  constexpr int kEach = 8;
  std::vector<incident::v1::Incident> resolved, held, running;
  const absl::Time created = absl::Now();
  for (int k = 0; k < kEach; ++k) {
    resolved.push_back(Create("fault-resolved-" + std::to_string(k), "steady"));
    held.push_back(Create("fault-held-" + std::to_string(k), "steady"));
    running.push_back(Create("fault-running-" + std::to_string(k), "steady"));
  }
  producer_->Flush();
  ASSERT_TRUE(supervisor::WaitUntil([&] { return OpenClocks(*timer) == 3 * kEach; },
                                    absl::Seconds(30), "clocks stored")
                  .ok());
  const int redis_port = redis_->port();
  redis_->process().Kill();
  // Resolved and held now, before the first warning (50 % of 20 s), and published at once: what
  // the timer did not learn yet it learns from the broker's backlog.
  const absl::Time changed = absl::Now();
  ASSERT_LT(changed - created, absl::Seconds(8)) << "the set-up took too long for the targets";
  for (auto& i : resolved) {
    i.set_state(incident::v1::INCIDENT_STATE_RESOLVED);
    i.set_version(2);
    *i.mutable_update_time() = base::ToProtoTimestamp(changed);
    producer_->Send(sla_timer::testing::StateChanged(i), i);
  }
  for (auto& i : held) {
    i.set_state(incident::v1::INCIDENT_STATE_ON_HOLD);
    i.set_hold_reason(incident::v1::HOLD_REASON_AWAITING_CALLER);
    i.set_version(2);
    *i.mutable_update_time() = base::ToProtoTimestamp(changed);
    producer_->Send(sla_timer::testing::StateChanged(i), i);
  }
  producer_->Flush();
  timer->process().Kill();
  // Every clock falls due (20 s) while neither Redis nor the timer runs.
  absl::SleepFor(created + absl::Seconds(22) - absl::Now());
  auto redis =
      supervisor::RedisServer::Start(dir_.File("redis"), redis_port, dir_.File("redis-2.log"));
  ASSERT_TRUE(redis.ok()) << redis.status();
  redis_ = std::move(*redis);
  timer = StartTimer("timer");
  ASSERT_NE(timer, nullptr);

  // Read until every running record's breach has arrived, then judge everything on the topic.
  std::map<std::string, std::map<std::string, int>> seen;  // incident -> ce_type -> count
  std::map<std::string, std::string> timeline;             // incident -> "type@event_time ..."
  for (int attempt = 0; attempt < 60; ++attempt) {
    auto records =
        itsm::testing::ReadTopic(broker_->bootstrap_servers(), kSlaTopic, 1, absl::Seconds(2));
    ASSERT_TRUE(records.ok()) << records.status();
    seen.clear();
    timeline.clear();
    for (const auto& r : *records) {
      const std::string type = r.Header("ce_type");
      if (type.find("Definition") != std::string::npos ||
          type.find("Calendar") != std::string::npos) {
        continue;  // the SLA service's own events share the topic
      }
      sla::v1::SlaBreached any;  // every clock event starts with its SlaClock (field 1)
      ASSERT_TRUE(any.ParseFromString(r.value));
      ++seen[any.clock().incident_id()][type];
      timeline[any.clock().incident_id()] +=
          type.substr(sizeof("itsm.sla.v1.") - 1) + "@" +
          base::FormatRfc3339(base::FromProtoTimestamp(any.clock().event_time())) + " ";
    }
    const bool all_breached = std::all_of(running.begin(), running.end(), [&](const auto& i) {
      return seen[i.id()]["itsm.sla.v1.SlaBreached"] >= 1;
    });
    if (all_breached) break;
    absl::SleepFor(absl::Milliseconds(500));
  }
  for (const auto& i : running) {
    EXPECT_EQ(seen[i.id()]["itsm.sla.v1.SlaBreached"], 1) << i.id();
  }
  for (const auto& group : {resolved, held}) {
    for (const auto& i : group) {
      EXPECT_EQ(seen[i.id()]["itsm.sla.v1.SlaBreached"], 0) << i.id() << ": " << timeline[i.id()];
      EXPECT_EQ(seen[i.id()]["itsm.sla.v1.SlaWarningReached"], 0)
          << i.id() << ": " << timeline[i.id()];
    }
  }
  for (const auto& i : resolved) EXPECT_EQ(seen[i.id()]["itsm.sla.v1.SlaMet"], 1) << i.id();
  if (HasFailure()) {
    std::cerr << "created at " << base::FormatRfc3339(created) << "\n";
    if (std::getenv("ITSM_DUMP_LOGS") != nullptr) {
      std::ifstream in(dir_.File("timer.log"));
      std::cerr << in.rdbuf();
    }
  }
}

}  // namespace
}  // namespace itsm
