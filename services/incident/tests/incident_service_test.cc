// The incident service through a real gRPC channel on loopback, on both storage backends, with
// the real group committer and outbox relay publishing to an in-process Kafka-protocol broker.
#include <set>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "itsm/events/cloud_event.h"
#include "itsm/events/outbox.h"
#include "itsm/events/outbox_relay.h"
#include "itsm/incident/v1/events.pb.h"
#include "itsm/kafkamock/mock_cluster.h"
#include "itsm/storage/migrations.h"
#include "itsm/testing/kafka_reader.h"
#include "itsm/testing/test_env.h"
#include "src/incident_grpc_service.h"
#include "src/incident_repository.h"

namespace itsm::incident {
namespace {

using ::itsm::testing::Backend;

class IncidentServiceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto db = itsm::testing::NewDatabase(GetParam());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    ASSERT_TRUE(storage::ApplyMigrations(*db_, "outbox", events::Outbox::Migrations()).ok());
    ASSERT_TRUE(storage::ApplyMigrations(*db_, "incident", IncidentRepository::Migrations()).ok());
    auto cluster = kafkamock::MockCluster::Start(1);
    ASSERT_TRUE(cluster.ok());
    cluster_ = std::move(*cluster);
    ASSERT_TRUE(cluster_->CreateTopic(kIncidentTopic, 4).ok());
    committer_ = std::make_unique<storage::GroupCommitter>(*db_, storage::GroupCommitter::Options{});
    service_ = std::make_unique<IncidentGrpcService>(*db_, *committer_, factory_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::IncidentService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    server_->Shutdown();
    committer_->Stop();
  }

  grpc::Status Create(const v1::CreateIncidentRequest& r, v1::Incident* out = nullptr,
                      const std::string& actor = "") {
    grpc::ClientContext ctx;
    if (!actor.empty()) ctx.AddMetadata("x-itsm-actor", actor);
    v1::CreateIncidentResponse response;
    grpc::Status s = stub_->CreateIncident(&ctx, r, &response);
    if (out) *out = response.incident();
    return s;
  }
  v1::CreateIncidentRequest Request(const std::string& title, int impact = 2, int urgency = 2) {
    v1::CreateIncidentRequest r;
    r.set_title(title);
    r.set_impact(impact);
    r.set_urgency(urgency);
    return r;
  }
  grpc::Status List(const v1::ListIncidentsRequest& r, v1::ListIncidentsResponse* out) {
    grpc::ClientContext ctx;
    return stub_->ListIncidents(&ctx, r, out);
  }
  int64_t Count(const char* table) {
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    return (*txn)->Query(std::string("SELECT COUNT(*) FROM ") + table)->row(0)[0].AsInt();
  }

  PriorityMatrix matrix_ = PriorityMatrix::Default();
  base::ManualClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  IncidentFactory factory_{matrix_, clock_};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<kafkamock::MockCluster> cluster_;
  std::unique_ptr<storage::GroupCommitter> committer_;
  std::unique_ptr<IncidentGrpcService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::IncidentService::Stub> stub_;
};

TEST_P(IncidentServiceTest, CreateStoresNumbersAndPublishesIncidentCreated) {
  v1::Incident first, second;
  auto r = Request("VPN unreachable", 1, 1);
  r.set_service("vpn");
  ASSERT_TRUE(Create(r, &first, "alice").ok());
  ASSERT_TRUE(Create(Request("Printer jam", 3, 3), &second).ok());
  EXPECT_EQ(first.number(), "INC0000001");
  EXPECT_EQ(second.number(), "INC0000002");
  EXPECT_EQ(first.priority(), v1::PRIORITY_P1);
  EXPECT_EQ(second.priority(), v1::PRIORITY_P5);
  EXPECT_EQ(first.created_by(), "alice");
  EXPECT_EQ(second.created_by(), "anonymous");

  for (const std::string& key : {first.id(), first.number()}) {
    grpc::ClientContext ctx;
    v1::GetIncidentRequest get;
    get.set_id(key);
    v1::GetIncidentResponse got;
    ASSERT_TRUE(stub_->GetIncident(&ctx, get, &got).ok()) << key;
    EXPECT_EQ(got.incident().SerializeAsString(), first.SerializeAsString());
  }

  prometheus::Registry registry;
  events::RelayOptions options;
  options.bootstrap_servers = cluster_->bootstrap_servers();
  events::OutboxRelay relay(*db_, options, registry);
  ASSERT_EQ(*relay.PublishOnce(), 2);
  auto records = itsm::testing::ReadTopic(cluster_->bootstrap_servers(), kIncidentTopic, 2);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  std::set<std::string> numbers;
  for (const auto& rec : *records) {
    EXPECT_EQ(rec.Header("ce_type"), "itsm.incident.v1.IncidentCreated");
    EXPECT_EQ(rec.Header("ce_source"), "itsm/incident");
    EXPECT_EQ(rec.Header("ce_subject"), rec.key);
    v1::IncidentCreated created;
    ASSERT_TRUE(created.ParseFromString(rec.value));
    EXPECT_EQ(created.incident().id(), rec.key);
    numbers.insert(created.incident().number());
  }
  EXPECT_EQ(numbers, (std::set<std::string>{"INC0000001", "INC0000002"}));
}

TEST_P(IncidentServiceTest, BadInputIsInvalidArgumentAndStoresNothing) {
  auto empty_title = Request("");
  auto bad_impact = Request("x", 7, 1);
  auto long_description = Request("x");
  long_description.set_description(std::string(20001, 'd'));
  for (const auto& [request, field] :
       {std::pair{empty_title, "title"}, std::pair{bad_impact, "impact"},
        std::pair{long_description, "description"}}) {
    grpc::Status s = Create(request);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message().rfind(field, 0), 0u) << s.error_message();
  }
  EXPECT_EQ(Count("incidents"), 0);
  EXPECT_EQ(Count("outbox"), 0);
}

TEST_P(IncidentServiceTest, UnknownIdIsNotFound) {
  grpc::ClientContext ctx;
  v1::GetIncidentRequest get;
  get.set_id("INC9999999");
  v1::GetIncidentResponse got;
  grpc::Status s = stub_->GetIncident(&ctx, get, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(s.error_message().find("INC9999999"), std::string::npos);
}

TEST_P(IncidentServiceTest, IdempotencyKeyReturnsTheFirstIncidentAndRefusesAnotherRequest) {
  auto r = Request("Disk full");
  r.set_idempotency_key("retry-42");
  v1::Incident a, b;
  ASSERT_TRUE(Create(r, &a).ok());
  ASSERT_TRUE(Create(r, &b).ok());
  EXPECT_EQ(a.id(), b.id());
  EXPECT_EQ(a.number(), b.number());
  auto different = Request("Disk very full");
  different.set_idempotency_key("retry-42");
  grpc::Status s = Create(different);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(s.error_message().rfind("idempotency_key", 0), 0u);
  EXPECT_EQ(Count("incidents"), 1);
  EXPECT_EQ(Count("outbox"), 1);
}

TEST_P(IncidentServiceTest, PagesAreNewestFirstAndStableWhileIncidentsAreCreated) {
  for (int i = 1; i <= 7; ++i) ASSERT_TRUE(Create(Request("incident " + std::to_string(i))).ok());
  std::vector<std::string> seen;
  v1::ListIncidentsRequest r;
  r.mutable_page()->set_page_size(3);
  for (int page = 0; page < 10; ++page) {
    v1::ListIncidentsResponse response;
    ASSERT_TRUE(List(r, &response).ok());
    for (const auto& i : response.incidents()) seen.push_back(i.number());
    if (page == 0) {
      ASSERT_TRUE(Create(Request("created while paging")).ok());
    }
    if (response.next_page_token().empty()) break;
    r.mutable_page()->set_page_token(response.next_page_token());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"INC0000007", "INC0000006", "INC0000005", "INC0000004",
                                            "INC0000003", "INC0000002", "INC0000001"}));
}

TEST_P(IncidentServiceTest, FiltersCombine) {
  auto p1 = Request("Core router DOWN", 1, 1);
  p1.set_assignment_group("network");
  auto p3 = Request("Router config drift", 2, 2);
  p3.set_assignment_group("network");
  auto other = Request("100% CPU on db", 2, 2);
  other.set_assignment_group("dba");
  for (const auto& r : {p1, p3, other}) ASSERT_TRUE(Create(r).ok());

  auto titles = [&](const v1::ListIncidentsRequest& r) {
    v1::ListIncidentsResponse response;
    EXPECT_TRUE(List(r, &response).ok());
    std::vector<std::string> out;
    for (const auto& i : response.incidents()) out.push_back(i.title());
    return out;
  };
  v1::ListIncidentsRequest by_group;
  by_group.set_assignment_group("network");
  EXPECT_EQ(titles(by_group), (std::vector<std::string>{"Router config drift", "Core router DOWN"}));
  by_group.add_priorities(v1::PRIORITY_P1);
  EXPECT_EQ(titles(by_group), (std::vector<std::string>{"Core router DOWN"}));
  v1::ListIncidentsRequest by_text;
  by_text.set_title_contains("ROUTER");
  EXPECT_EQ(titles(by_text).size(), 2u);
  by_text.set_title_contains("100%");  // % is a character here, not a wildcard
  EXPECT_EQ(titles(by_text), (std::vector<std::string>{"100% CPU on db"}));
  by_text.set_title_contains("0%C");
  EXPECT_TRUE(titles(by_text).empty());
  v1::ListIncidentsRequest by_state;
  by_state.add_states(v1::INCIDENT_STATE_RESOLVED);
  EXPECT_TRUE(titles(by_state).empty());
  by_state.add_states(v1::INCIDENT_STATE_NEW);
  EXPECT_EQ(titles(by_state).size(), 3u);
}

TEST_P(IncidentServiceTest, MalformedListArgumentsAreNamed) {
  v1::ListIncidentsResponse response;
  v1::ListIncidentsRequest bad_token;
  bad_token.mutable_page()->set_page_token("garbage");
  EXPECT_EQ(List(bad_token, &response).error_message(),
            "page.page_token: not a token this service issued");
  v1::ListIncidentsRequest bad_size;
  bad_size.mutable_page()->set_page_size(501);
  EXPECT_EQ(List(bad_size, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListIncidentsRequest bad_state;
  bad_state.add_states(static_cast<v1::IncidentState>(42));
  EXPECT_EQ(List(bad_state, &response).error_message().rfind("states:", 0), 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, IncidentServiceTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

}  // namespace
}  // namespace itsm::incident
