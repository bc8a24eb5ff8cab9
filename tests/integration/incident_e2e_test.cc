// The incident service as a user runs it: its real binary beside redis-server and the embedded
// Kafka broker (itsm-kafka), over gRPC on loopback, on SQLite and on PostgreSQL. Covers the
// request -> commit -> outbox -> Kafka path, /metrics, graceful stop, Kafka outages and kill -9.
#include <signal.h>

#include <set>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "itsm/incident/v1/events.pb.h"
#include "itsm/incident/v1/incident.grpc.pb.h"
#include "itsm/outbox/v1/outbox_admin.grpc.pb.h"
#include "itsm/supervisor/backends.h"
#include "itsm/supervisor/suite_service.h"
#include "itsm/testing/kafka_reader.h"
#include "itsm/testing/test_env.h"
#include "itsm/testing/test_issuer.h"

namespace itsm {
namespace {

using incident::v1::CreateIncidentRequest;
using incident::v1::CreateIncidentResponse;
using ::itsm::testing::Backend;

constexpr char kTopic[] = "itsm.incident.v1";

class IncidentEndToEnd : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto redis = supervisor::RedisServer::Start(dir_.File("redis"), 0, dir_.File("redis.log"));
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = std::move(*redis);
    supervisor::KafkaBroker::Options kafka;
    kafka.dir = dir_.File("kafka");
    kafka.log_file = dir_.File("kafka.log");
    kafka.partitions = 4;
    auto broker = supervisor::KafkaBroker::Start(kafka);
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
    if (GetParam() == Backend::kPostgres) {
      auto url = itsm::testing::NewDatabaseUrl(Backend::kPostgres);
      ASSERT_TRUE(url.ok()) << url.status();
      database_url_ = *url;
    }
    StartService();
  }

  void StartService() {
    supervisor::SuiteService::Options options;
    options.name = "incident";
    options.dir = dir_.File("data");
    options.log_file = dir_.File("incident.log");
    options.env = {{"ITSM_KAFKA_BOOTSTRAP_SERVERS", broker_->bootstrap_servers()},
                   {"ITSM_REDIS_ADDRESS", redis_->address()},
                   {"ITSM_OUTBOX_POLL_INTERVAL_MS", "100"},
                   {"ITSM_LOG_LEVEL", "debug"}};
    if (!database_url_.empty()) options.env.emplace_back("ITSM_DATABASE_URL", database_url_);
    for (auto& setting : issuer_.ServiceEnv(dir_.path())) options.env.push_back(setting);
    auto service = supervisor::SuiteService::Start(options);
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = std::move(*service);
    channel_ = issuer_.Channel(service_->grpc_address(),
                               {.subject = "e2e", .roles = {common::v1::ROLE_ADMIN}});
    stub_ = incident::v1::IncidentService::NewStub(channel_);
  }

  absl::StatusOr<incident::v1::Incident> Create(const std::string& title) {
    CreateIncidentRequest request;
    request.set_title(title);
    request.set_impact(1);
    request.set_urgency(2);
    grpc::ClientContext ctx;
    CreateIncidentResponse response;
    grpc::Status s = stub_->CreateIncident(&ctx, request, &response);
    if (!s.ok())
      return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    return response.incident();
  }

  int64_t PendingEvents() {
    auto stub = outbox::v1::OutboxAdminService::NewStub(channel_);
    grpc::ClientContext ctx;
    outbox::v1::GetOutboxStatsResponse stats;
    EXPECT_TRUE(stub->GetOutboxStats(&ctx, {}, &stats).ok());
    return stats.pending_events();
  }

  // Incident ids of the IncidentCreated events on the topic.
  std::set<std::string> PublishedIncidentIds(size_t at_least) {
    auto records = itsm::testing::ReadTopic(broker_->bootstrap_servers(), kTopic, at_least);
    EXPECT_TRUE(records.ok()) << records.status();
    std::set<std::string> ids;
    if (!records.ok()) return ids;
    for (const auto& r : *records) {
      incident::v1::IncidentCreated created;
      if (created.ParseFromString(r.value)) ids.insert(created.incident().id());
    }
    return ids;
  }

  itsm::testing::ScratchDir dir_;
  itsm::testing::TestIssuer issuer_;
  std::string database_url_;
  std::unique_ptr<supervisor::RedisServer> redis_;
  std::unique_ptr<supervisor::KafkaBroker> broker_;
  std::unique_ptr<supervisor::SuiteService> service_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<incident::v1::IncidentService::Stub> stub_;
};

TEST_P(IncidentEndToEnd, CreatedIncidentArrivesAsACloudEventAndShowsInMetrics) {
  EXPECT_TRUE(supervisor::IsServing(service_->grpc_address(), "itsm.incident.v1.IncidentService"));
  auto incident = Create("Payment API returns 500");
  ASSERT_TRUE(incident.ok()) << incident.status();
  EXPECT_EQ(incident->number(), "INC0000001");

  auto records = itsm::testing::ReadTopic(broker_->bootstrap_servers(), kTopic, 1);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  const auto& r = (*records)[0];
  EXPECT_EQ(r.key, incident->id());
  EXPECT_EQ(r.Header("ce_specversion"), "1.0");
  EXPECT_EQ(r.Header("ce_type"), "itsm.incident.v1.IncidentCreated");
  EXPECT_EQ(r.Header("ce_source"), "itsm/incident");
  EXPECT_EQ(r.Header("ce_subject"), incident->id());
  EXPECT_EQ(r.Header("content-type"), "application/protobuf");
  EXPECT_EQ(r.Header("ce_id").size(), 36u);
  EXPECT_FALSE(r.Header("ce_time").empty());
  incident::v1::IncidentCreated created;
  ASSERT_TRUE(created.ParseFromString(r.value));
  EXPECT_EQ(created.incident().title(), "Payment API returns 500");
  EXPECT_EQ(created.incident().created_by(), "e2e");

  auto metrics = supervisor::ScrapeMetrics(service_->metrics_address());
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_NE(metrics->find(
                "itsm_grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"CreateIncident\","
                "grpc_service=\"itsm.incident.v1.IncidentService\",service=\"incident\"} 1"),
            std::string::npos)
      << *metrics;
  EXPECT_NE(
      metrics->find("itsm_grpc_server_handling_seconds_bucket{grpc_method=\"CreateIncident\""),
      std::string::npos);
  EXPECT_NE(metrics->find("itsm_outbox_published_events_total{service=\"incident\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics->find("process_resident_memory_bytes"), std::string::npos);
}

TEST_P(IncidentEndToEnd, BadInputIsRejectedNamingTheField) {
  CreateIncidentRequest request;
  request.set_impact(1);
  request.set_urgency(1);
  grpc::ClientContext ctx;
  CreateIncidentResponse response;
  grpc::Status s = stub_->CreateIncident(&ctx, request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "title: required");
  EXPECT_EQ(PendingEvents(), 0);
}

TEST_P(IncidentEndToEnd, SigtermStopsGracefullyWithExitCodeZero) {
  ASSERT_TRUE(Create("before stop").ok());
  // The test's channel stays connected: gRPC waits (about 5 s here) for it to see the GOAWAY,
  // well inside the shutdown budget.
  EXPECT_EQ(service_->Stop(absl::Seconds(30)), 0);
}

TEST_P(IncidentEndToEnd, WritesWaitInTheOutboxWhileKafkaIsDownAndArriveWhenItReturns) {
  broker_->process().Signal(SIGUSR1);  // brokers down
  std::set<std::string> created;
  for (int i = 0; i < 3; ++i) {
    auto incident = Create("during outage " + std::to_string(i));
    ASSERT_TRUE(incident.ok()) << incident.status();
    created.insert(incident->id());
  }
  EXPECT_EQ(PendingEvents(), 3);
  broker_->process().Signal(SIGUSR2);  // brokers up
  ASSERT_TRUE(supervisor::WaitUntil([&] { return PendingEvents() == 0; }, absl::Seconds(60),
                                    "outbox drained")
                  .ok());
  EXPECT_EQ(PublishedIncidentIds(3), created);
}

TEST_P(IncidentEndToEnd, KillDashNineBetweenCommitAndPublishLosesNoEvent) {
  broker_->process().Signal(SIGUSR1);  // acknowledged writes cannot be published yet
  std::set<std::string> created;
  for (int i = 0; i < 5; ++i) {
    auto incident = Create("before crash " + std::to_string(i));
    ASSERT_TRUE(incident.ok()) << incident.status();
    created.insert(incident->id());
  }
  service_->process().Kill();  // SIGKILL: no shutdown step runs
  broker_->process().Signal(SIGUSR2);
  StartService();
  ASSERT_TRUE(supervisor::WaitUntil([&] { return PendingEvents() == 0; }, absl::Seconds(60),
                                    "outbox drained after restart")
                  .ok());
  EXPECT_EQ(PublishedIncidentIds(5), created);
  // Numbers continue after the crash: nothing acknowledged was lost.
  auto next = Create("after restart");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->number(), "INC0000006");
}

INSTANTIATE_TEST_SUITE_P(Backends, IncidentEndToEnd,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

}  // namespace
}  // namespace itsm
