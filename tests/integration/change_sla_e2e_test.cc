// Issue 14, part 8: SLA clocks on changes as they run — the real itsm-change, itsm-sla and an
// itsm-sla-timer consuming itsm.change.v1 (record_topic), beside redis-server and the embedded
// Kafka broker. A definition for changes with a time to authorise of a few seconds: a change
// left in AUTHORISE breaches and the event arrives; one approved in time is met and never
// breached; and with the timer killed (kill -9) while both clocks run and its restart after
// their due time, the backlog is applied before firing: each clock ends once, the right way.
#include <limits>
#include <map>
#include <set>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "itsm/change/v1/change.grpc.pb.h"
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

namespace cv1 = change::v1;
constexpr char kSlaTopic[] = "itsm.sla.v1";

class ChangeSlaEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    auto redis = supervisor::RedisServer::Start(dir_.File("redis"), 0, dir_.File("redis.log"));
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = std::move(*redis);
    supervisor::KafkaBroker::Options kafka;
    kafka.dir = dir_.File("kafka");
    kafka.log_file = dir_.File("kafka.log");
    kafka.partitions = 2;
    kafka.topics = {"itsm.change.v1", "itsm.incident.v1", "itsm.config.v1", kSlaTopic};
    auto broker = supervisor::KafkaBroker::Start(kafka);
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
    sla_ = StartService("sla", {});
    ASSERT_NE(sla_, nullptr);
    change_ = StartService("change", {});
    ASSERT_NE(change_, nullptr);

    auto stub = sla::v1::SlaService::NewStub(issuer_.Channel(
        sla_->grpc_address(), {.subject = "sla-admin", .roles = {common::v1::ROLE_SLA_MANAGER}}));
    sla::v1::CreateCalendarRequest cal;
    *cal.mutable_calendar() = sla_timer::testing::AlwaysOpen("", "24x7");
    sla::v1::CreateCalendarResponse cal_out;
    {
      grpc::ClientContext ctx;
      grpc::Status s = stub->CreateCalendar(&ctx, cal, &cal_out);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
    // Time to authorise: 3 s on "fast" (breaches while the test waits), 12 s on "medium" (due
    // while the timer is down), 120 s on "slow" (an approval a moment later is in time).
    // Changes without a CMDB are assessed LOW: P4.
    for (const auto& [service, seconds] :
         {std::pair<std::string, int>{"fast", 3}, {"medium", 12}, {"slow", 120}}) {
      sla::v1::CreateSlaDefinitionRequest def;
      sla::v1::SlaDefinition* d = def.mutable_definition();
      d->set_name("Time to authorise " + service);
      d->set_kind(sla::v1::AGREEMENT_KIND_OLA);
      d->set_internal_group("change-management");
      d->set_record_kind(sla::v1::RECORD_KIND_CHANGE);
      d->mutable_coverage()->add_services(service);
      d->set_calendar_id(cal_out.calendar().id());
      auto* t = d->add_targets();
      t->set_priority(incident::v1::PRIORITY_P4);
      t->mutable_response_target()->set_seconds(seconds);
      sla::v1::CreateSlaDefinitionResponse def_out;
      grpc::ClientContext ctx;
      grpc::Status s = stub->CreateSlaDefinition(&ctx, def, &def_out);
      ASSERT_TRUE(s.ok()) << s.error_message();
      EXPECT_EQ(def_out.definition().record_kind(), sla::v1::RECORD_KIND_CHANGE);
    }
    changes_ = cv1::ChangeService::NewStub(issuer_.Channel(
        change_->grpc_address(), {.subject = "cm", .roles = {common::v1::ROLE_CHANGE_MANAGER}}));
    // No one decides the approval of a change they raised (segregation of duties).
    approver_ = cv1::ChangeService::NewStub(issuer_.Channel(
        change_->grpc_address(), {.subject = "cm-2", .roles = {common::v1::ROLE_CHANGE_MANAGER}}));
  }

  std::unique_ptr<supervisor::SuiteService> StartService(
      const std::string& name, std::vector<std::pair<std::string, std::string>> env,
      const std::string& dir_name = "") {
    supervisor::SuiteService::Options o;
    o.name = name;
    o.dir = dir_.File(dir_name.empty() ? name : dir_name);
    o.log_file = dir_.File((dir_name.empty() ? name : dir_name) + ".log");
    o.env = std::move(env);
    o.env.emplace_back("ITSM_KAFKA_BOOTSTRAP_SERVERS", broker_->bootstrap_servers());
    for (auto& setting : issuer_.ServiceEnv(dir_.path())) o.env.push_back(setting);
    auto s = supervisor::SuiteService::Start(o);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }

  // The timer of changes: its own topic, consumer group and Redis keys.
  std::unique_ptr<supervisor::SuiteService> StartTimer(const std::string& name) {
    return StartService("sla-timer",
                        {{"ITSM_RECORD_TOPIC", "itsm.change.v1"},
                         {"ITSM_CONSUMER_GROUP", "itsm-sla-timer-changes"},
                         {"ITSM_REDIS_KEY_PREFIX", "itsm:sla-changes"},
                         {"ITSM_REDIS_ADDRESS", redis_->address()},
                         {"ITSM_SLA_ADDRESS", sla_->grpc_address()},
                         {"ITSM_FIRE_POLL_INTERVAL_MS", "50"},
                         {"ITSM_PUBLISH_POLL_INTERVAL_MS", "50"}},
                        name);
  }

  cv1::Change Create(const std::string& service) {
    cv1::CreateChangeRequest r;
    r.set_type(cv1::CHANGE_TYPE_NORMAL);
    r.set_title("Patch " + service);
    r.add_affected_service_ids(service);
    cv1::CreateChangeResponse out;
    grpc::ClientContext ctx;
    grpc::Status s = changes_->CreateChange(&ctx, r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.change();
  }
  cv1::Change Move(const cv1::Change& c, cv1::ChangeState to) {
    cv1::TransitionChangeRequest r;
    r.set_id(c.id());
    r.set_version(c.version());
    r.set_target_state(to);
    cv1::TransitionChangeResponse out;
    grpc::ClientContext ctx;
    grpc::Status s = changes_->TransitionChange(&ctx, r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.change();
  }
  cv1::Change Approve(const cv1::Change& c) {
    cv1::DecideChangeApprovalRequest r;
    r.set_id(c.id());
    r.set_version(c.version());
    r.set_decision(cv1::APPROVAL_DECISION_APPROVE);
    cv1::DecideChangeApprovalResponse out;
    grpc::ClientContext ctx;
    grpc::Status s = approver_->DecideChangeApproval(&ctx, r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(out.change().approval().outcome(), cv1::APPROVAL_OUTCOME_APPROVED);
    return out.change();
  }

  // Clock events on itsm.sla.v1 by change id: ce_type -> distinct ce_ids, and messages.
  struct Seen {
    std::map<std::string, std::map<std::string, std::set<std::string>>> ids;
    std::map<std::string, std::map<std::string, int>> messages;
  };
  Seen Read(size_t at_least, absl::Duration timeout) {
    Seen seen;
    auto records =
        itsm::testing::ReadTopic(broker_->bootstrap_servers(), kSlaTopic, at_least, timeout);
    EXPECT_TRUE(records.ok()) << records.status();
    if (!records.ok()) return seen;
    for (const auto& r : *records) {
      const std::string type = r.Header("ce_type").substr(sizeof("itsm.sla.v1.") - 1);
      seen.ids[r.key][type].insert(r.Header("ce_id"));
      ++seen.messages[r.key][type];
    }
    return seen;
  }

  itsm::testing::ScratchDir dir_;
  itsm::testing::TestIssuer issuer_;
  std::unique_ptr<supervisor::RedisServer> redis_;
  std::unique_ptr<supervisor::KafkaBroker> broker_;
  std::unique_ptr<supervisor::SuiteService> sla_;
  std::unique_ptr<supervisor::SuiteService> change_;
  std::unique_ptr<cv1::ChangeService::Stub> changes_;
  std::unique_ptr<cv1::ChangeService::Stub> approver_;
};

TEST_F(ChangeSlaEndToEnd, TimeToAuthoriseBreachesOrIsMetOnceAcrossAKilledTimer) {
  auto timer = StartTimer("timer");
  ASSERT_NE(timer, nullptr);
  // Left in AUTHORISE: breaches. Approved at once: met.
  cv1::Change late =
      Move(Move(Create("fast"), cv1::CHANGE_STATE_ASSESS), cv1::CHANGE_STATE_AUTHORISE);
  cv1::Change quick =
      Move(Move(Create("slow"), cv1::CHANGE_STATE_ASSESS), cv1::CHANGE_STATE_AUTHORISE);
  quick = Approve(quick);
  // late: started, warnings 50/75/90 %, breached; quick: started, met.
  Seen seen = Read(7, absl::Seconds(60));
  EXPECT_EQ(seen.ids[late.id()]["SlaBreached"].size(), 1u);
  EXPECT_EQ(seen.messages[late.id()]["SlaBreached"], 1);
  EXPECT_EQ(seen.ids[quick.id()]["SlaMet"].size(), 1u);
  EXPECT_EQ(seen.ids[quick.id()].count("SlaBreached"), 0u);

  // kill -9 while two new clocks run; both fall due while no timer runs. The one approved
  // before its due time (while the timer was down) is met; the other breaches, once.
  cv1::Change down_late =
      Move(Move(Create("fast"), cv1::CHANGE_STATE_ASSESS), cv1::CHANGE_STATE_AUTHORISE);
  cv1::Change down_quick =
      Move(Move(Create("medium"), cv1::CHANGE_STATE_ASSESS), cv1::CHANGE_STATE_AUTHORISE);
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    Seen s = Read(9, absl::Seconds(1));
                    return s.ids[down_late.id()].count("SlaClockStarted") == 1 &&
                           s.ids[down_quick.id()].count("SlaClockStarted") == 1;
                  },
                  absl::Seconds(30), "clocks started")
                  .ok());
  timer->process().Kill();
  down_quick = Approve(down_quick);   // within its 12 s, while no timer runs
  absl::SleepFor(absl::Seconds(14));  // both due instants pass
  timer = StartTimer("timer");
  ASSERT_NE(timer, nullptr);
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    Seen s = Read(9, absl::Seconds(1));
                    return s.ids[down_late.id()].count("SlaBreached") == 1 &&
                           s.ids[down_quick.id()].count("SlaMet") == 1;
                  },
                  absl::Seconds(60), "clocks ended")
                  .ok());
  absl::SleepFor(absl::Seconds(2));  // anything fired twice would be there by now
  // The whole topic, for 5 s: a read that stops 300 ms after its first nine records may miss
  // partitions on a loaded machine, and the four clocks' events are spread over all of them.
  seen = Read(std::numeric_limits<size_t>::max(), absl::Seconds(5));
  for (const auto& id : {late.id(), down_late.id()}) {
    EXPECT_EQ(seen.ids[id]["SlaBreached"].size(), 1u) << id;
    EXPECT_EQ(seen.messages[id]["SlaBreached"], 1) << id;
  }
  for (const auto& id : {quick.id(), down_quick.id()}) {
    EXPECT_EQ(seen.ids[id].count("SlaBreached"), 0u) << id;
    EXPECT_EQ(seen.ids[id]["SlaMet"].size(), 1u) << id;
  }
  EXPECT_EQ(timer->Stop(), 0);
}

}  // namespace
}  // namespace itsm
