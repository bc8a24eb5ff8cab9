// The webhook service as an operator runs it: its real binary beside the embedded Kafka broker,
// events in the suite's CloudEvents framing on itsm.incident.v1, a receiver on loopback. A
// kill -9 after the event was consumed and recorded (and attempted against a failing receiver)
// loses nothing: after the restart the delivery is sent again with the same webhook-id and
// succeeds, once — the consumer reads the event again (its offset was not committed) and the
// event's mark keeps it from becoming a second delivery. /metrics counts it (promtool-clean).
// And the newcomer's path: a subscription made over REST through the real gateway, a signed
// event on a local receiver.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
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

struct HttpAnswer {
  int status = 0;
  std::string body;
};

// One request to host:port over a fresh connection (Boost.Beast, as the suite's HTTP code).
HttpAnswer Http(const std::string& address, const std::string& method, const std::string& target,
                const std::string& authorization, const std::string& body = "") {
  namespace beast = boost::beast;
  namespace http = beast::http;
  const size_t colon = address.rfind(':');
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  stream.connect(resolver.resolve(address.substr(0, colon), address.substr(colon + 1), ec), ec);
  if (ec) return {};
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, address);
  if (!authorization.empty()) req.set(http::field::authorization, authorization);
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res, ec);
  if (ec) return {};
  return {static_cast<int>(res.result_int()), res.body()};
}

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
  EXPECT_TRUE(absl::StrContains(
      *metrics, "itsm_webhooks_deliveries_total{outcome=\"delivered\",service=\"webhooks\"} 1"))
      << *metrics;
  EXPECT_TRUE(absl::StrContains(
      *metrics, "itsm_webhooks_attempts_total{result=\"success\",service=\"webhooks\"} 1"));
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

// What docs/webhooks.md shows a newcomer: a subscription made over REST through the gateway
// (admin only: a viewer is refused with 403), then an event reaches the local receiver, signed.
TEST_F(WebhooksEndToEnd, SubscribedThroughTheGatewayAReceiverGetsASignedEvent) {
  supervisor::SuiteService::Options options;
  options.name = "gateway";
  options.dir = dir_.File("gateway");
  options.log_file = dir_.File("gateway.log");
  options.env = {{"ITSM_HTTP_PORT", "0"}, {"ITSM_WEBHOOKS_ADDRESS", service_->grpc_address()}};
  for (auto& setting : issuer_.ServiceEnv(dir_.path())) options.env.push_back(setting);
  auto gateway = supervisor::SuiteService::Start(options);
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  const std::string http = (*gateway)->http_address();

  HttpReceiver receiver;
  const std::string request =
      absl::StrCat(R"({"subscription": {"name": "local", "url": ")", receiver.Url("/in"),
                   R"(", "eventTypes": ["itsm.incident.v1.*"], "recordFilter": "mail"}})");
  const std::string viewer =
      issuer_.Authorization({.subject = "vic", .roles = {common::v1::ROLE_VIEWER}});
  EXPECT_EQ(Http(http, "POST", "/v1/webhookSubscriptions", viewer, request).status, 403);
  const std::string admin =
      issuer_.Authorization({.subject = "ada", .roles = {common::v1::ROLE_ADMIN}});
  HttpAnswer created = Http(http, "POST", "/v1/webhookSubscriptions", admin, request);
  ASSERT_EQ(created.status, 200) << created.body;
  google::protobuf::Struct json;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(created.body, &json).ok());
  const std::string secret = json.fields().at("secret").string_value();
  const std::string id =
      json.fields().at("subscription").struct_value().fields().at("id").string_value();
  ASSERT_TRUE(absl::StartsWith(secret, "whsec_")) << created.body;
  HttpAnswer bad = Http(http, "POST", "/v1/webhookSubscriptions", admin,
                        R"({"subscription": {"name": "x", "url": "http://example.com/",
                            "eventTypes": ["*"]}})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(absl::StrContains(bad.body, "subscription.url")) << bad.body;
  // Read by administrators only: a receiver's URL may be a credential (decision 238).
  EXPECT_EQ(Http(http, "GET", absl::StrCat("/v1/webhookSubscriptions/", id), viewer).status, 403);
  HttpAnswer read = Http(http, "GET", absl::StrCat("/v1/webhookSubscriptions/", id), admin);
  EXPECT_EQ(read.status, 200);
  EXPECT_FALSE(absl::StrContains(read.body, secret));

  // One event for another service (filtered out), one for "mail".
  auto producer =
      events::KafkaProducer::Create({.bootstrap_servers = broker_->bootstrap_servers()});
  ASSERT_TRUE(producer.ok()) << producer.status();
  auto batch = (*producer)->NewBatch();
  ASSERT_TRUE(batch.ok());
  for (const char* service : {"web", "mail"}) {
    incident::v1::IncidentCreated event;
    event.mutable_incident()->set_id(absl::StrCat("inc-", service));
    event.mutable_incident()->set_service(service);
    const auto ce =
        events::MakeCloudEvent(event, "itsm/incident", event.incident().id(), absl::Now());
    ASSERT_EQ(batch->Produce("itsm.incident.v1", ce.subject, ce), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  for (const auto& d : batch->Wait()) ASSERT_TRUE(d.delivered());
  ASSERT_TRUE(receiver.WaitFor(1, absl::Seconds(30))) << Log();
  absl::SleepFor(absl::Milliseconds(500));
  const auto requests = receiver.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(absl::StrContains(requests[0].body, R"("service":"mail")")) << requests[0].body;
  int64_t timestamp = 0;
  ASSERT_TRUE(absl::SimpleAtoi(requests[0].Header("webhook-timestamp"), &timestamp));
  EXPECT_TRUE(webhooks::Verify(secret, requests[0].Header("webhook-id"), timestamp,
                               requests[0].body, requests[0].Header("webhook-signature")));
  // The delivery log through the gateway.
  HttpAnswer log =
      Http(http, "GET", absl::StrCat("/v1/webhookSubscriptions/", id, "/deliveries"), viewer);
  EXPECT_EQ(log.status, 200);
  EXPECT_TRUE(absl::StrContains(log.body, requests[0].Header("webhook-id"))) << log.body;
  EXPECT_EQ((*gateway)->Stop(), 0);
}

}  // namespace
}  // namespace itsm
