// The webhook service as an operator runs it: its real binary beside the embedded Kafka broker,
// events in the suite's CloudEvents framing on itsm.incident.v1, a receiver on loopback. A
// kill -9 after the event was consumed and recorded (and attempted against a failing receiver)
// loses nothing: after the restart the delivery is sent again with the same webhook-id and
// succeeds, once — the consumer reads the event again (its offset was not committed) and the
// event's mark keeps it from becoming a second delivery. /metrics counts it (promtool-clean).
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "gtest/gtest.h"
#include "itsm/events/cloud_event.h"
#include "itsm/events/kafka_producer.h"
#include "itsm/incident/v1/events.pb.h"
#include "itsm/supervisor/backends.h"
#include "itsm/supervisor/child_process.h"
#include "itsm/supervisor/suite_service.h"
#include "itsm/testing/http_receiver.h"
#include "itsm/testing/test_env.h"
#include "itsm/testing/test_issuer.h"
#include "itsm/webhooks/v1/webhooks.grpc.pb.h"
#include "services/webhooks/src/signature.h"

namespace itsm {
namespace {

using ::itsm::testing::Answer;
using ::itsm::testing::HttpReceiver;
using ::itsm::testing::ReceivedRequest;
namespace wv1 = ::itsm::webhooks::v1;

class WebhooksEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    supervisor::KafkaBroker::Options kafka;
    kafka.dir = dir_.File("kafka");
    kafka.log_file = dir_.File("kafka.log");
    kafka.partitions = 2;
    kafka.topics = {"itsm.incident.v1", "itsm.change.v1", "itsm.config.v1", "itsm.sla.v1",
                    "itsm.supplier.v1"};
    auto broker = supervisor::KafkaBroker::Start(kafka);
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
    StartService();
  }

  void StartService() {
    supervisor::SuiteService::Options options;
    options.name = "webhooks";
    options.dir = dir_.File("data");
    options.log_file = dir_.File("webhooks.log");
    options.env = {{"ITSM_KAFKA_BOOTSTRAP_SERVERS", broker_->bootstrap_servers()},
                   {"ITSM_OUTBOUND_ALLOW", "127.0.0.1"},
                   {"ITSM_BACKOFF_BASE_MS", "50"},
                   {"ITSM_BACKOFF_MAX_MS", "200"},
                   {"ITSM_DISPATCH_POLL_MS", "50"},
                   {"ITSM_ATTEMPT_TIMEOUT_MS", "2000"},
                   {"ITSM_RETRY_PERIOD_SECONDS", "600"}};
    for (auto& setting : issuer_.ServiceEnv(dir_.path())) options.env.push_back(setting);
    auto service = supervisor::SuiteService::Start(options);
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = std::move(*service);
    stub_ = wv1::WebhookService::NewStub(issuer_.Channel(
        service_->grpc_address(), {.subject = "e2e-admin", .roles = {common::v1::ROLE_ADMIN}}));
  }

  std::vector<wv1::Delivery> Deliveries(const std::string& subscription_id) {
    wv1::ListDeliveriesRequest r;
    r.set_subscription_id(subscription_id);
    wv1::ListDeliveriesResponse out;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    if (!stub_->ListDeliveries(&ctx, r, &out).ok()) return {};
    return {out.deliveries().begin(), out.deliveries().end()};
  }

  // The service's log, for failure messages.
  std::string Log() const {
    return supervisor::ReadFile(dir_.File("webhooks.log")).value_or("(no log)");
  }

  itsm::testing::ScratchDir dir_;
  itsm::testing::TestIssuer issuer_;
  std::unique_ptr<supervisor::KafkaBroker> broker_;
  std::unique_ptr<supervisor::SuiteService> service_;
  std::unique_ptr<wv1::WebhookService::Stub> stub_;
};

TEST_F(WebhooksEndToEnd, AKillAfterTheEventWasConsumedStillDeliversOnceAfterRestart) {
  std::atomic<bool> up{false};
  HttpReceiver receiver([&](const ReceivedRequest&) { return Answer{.status = up ? 200 : 503}; });
  wv1::CreateSubscriptionRequest create;
  create.mutable_subscription()->set_name("on-call");
  create.mutable_subscription()->set_url(receiver.Url("/hook"));
  create.mutable_subscription()->add_event_types("itsm.incident.v1.*");
  wv1::CreateSubscriptionResponse created;
  {
    grpc::ClientContext ctx;
    grpc::Status s = stub_->CreateSubscription(&ctx, create, &created);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  const std::string sub = created.subscription().id();

  incident::v1::IncidentCreated event;
  event.mutable_incident()->set_id("inc-kill-9");
  event.mutable_incident()->set_title("Core switch down");
  const events::CloudEvent ce =
      events::MakeCloudEvent(event, "itsm/incident", "inc-kill-9", absl::Now());
  {
    auto producer =
        events::KafkaProducer::Create({.bootstrap_servers = broker_->bootstrap_servers()});
    ASSERT_TRUE(producer.ok()) << producer.status();
    auto batch = (*producer)->NewBatch();
    ASSERT_TRUE(batch.ok());
    ASSERT_EQ(batch->Produce("itsm.incident.v1", ce.subject, ce), RD_KAFKA_RESP_ERR_NO_ERROR);
    for (const auto& d : batch->Wait()) ASSERT_TRUE(d.delivered());
  }
  // Consumed, recorded and attempted (the receiver answers 503): then the process dies.
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    auto d = Deliveries(sub);
                    return d.size() == 1 && d[0].attempt_count() >= 1;
                  },
                  absl::Seconds(30), "a recorded, attempted delivery")
                  .ok())
      << Log();
  service_->process().Kill();
  const size_t failed = receiver.Requests().size();
  up = true;

  StartService();
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    auto d = Deliveries(sub);
                    return d.size() == 1 && d[0].state() == wv1::DELIVERY_STATE_DELIVERED;
                  },
                  absl::Seconds(30), "the delivery delivered after the restart")
                  .ok())
      << Log();
  const auto requests = receiver.Requests();
  ASSERT_GT(requests.size(), failed);
  for (const auto& r : requests) {
    EXPECT_EQ(r.Header("webhook-id"), requests[0].Header("webhook-id"));
    EXPECT_EQ(r.target, "/hook");
  }
  int64_t timestamp = 0;
  ASSERT_TRUE(absl::SimpleAtoi(requests.back().Header("webhook-timestamp"), &timestamp));
  EXPECT_TRUE(webhooks::Verify(created.secret(), requests.back().Header("webhook-id"), timestamp,
                               requests.back().body, requests.back().Header("webhook-signature")));
  EXPECT_NE(requests.back().body.find(ce.id), std::string::npos);
  // The event came again after the restart (its offset had not been committed): still one
  // delivery.
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(Deliveries(sub).size(), 1u);

  auto metrics = supervisor::ScrapeMetrics(service_->metrics_address());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_TRUE(
      absl::StrContains(*metrics, "itsm_webhooks_deliveries_total{outcome=\"delivered\"} 1"))
      << *metrics;
  EXPECT_TRUE(absl::StrContains(*metrics, "itsm_webhooks_attempts_total{result=\"success\"} 1"));
  // The exposition passes promtool's checks (names, help, units), as every process's must.
  const std::string file = dir_.File("webhooks.prom");
  ASSERT_TRUE(supervisor::WriteFileAtomically(file, *metrics).ok());
  supervisor::ChildProcess::Options check;
  check.binary = "/bin/sh";
  check.args = {"-c", "promtool check metrics < " + file};
  check.log_file = dir_.File("webhooks.promtool");
  auto promtool = supervisor::ChildProcess::Start(check);
  ASSERT_TRUE(promtool.ok());
  EXPECT_EQ((*promtool)->Wait(absl::Seconds(60)), 0)
      << supervisor::ReadFile(check.log_file).value_or("");
  EXPECT_EQ(service_->Stop(), 0);
}

}  // namespace
}  // namespace itsm
