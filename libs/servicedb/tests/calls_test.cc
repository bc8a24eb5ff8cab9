// BoundedReadCall over real gRPC and SQLite: a read within its budget is answered where it
// arrived, once; one that runs past it is thrown away and answered by its second run on the
// executor, with nothing of the first run left in the answer.
#include "itsm/servicedb/calls.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "itsm/base/status_macros.h"
#include "itsm/incident/v1/incident.grpc.pb.h"
#include "itsm/runtime/grpc_server.h"
#include "itsm/testing/test_env.h"
#include "prometheus/registry.h"

namespace itsm::servicedb {
namespace {

// Far more database work than kBoundedReadBudget allows (tens of milliseconds).
constexpr absl::string_view kLongWalk =
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) "
    "SELECT count(*) FROM n";

// ListIncidents answers one incident titled with the count its statement returned: the group
// "long" asks for the long walk, any other a single row.
class Incidents final : public incident::v1::IncidentService::CallbackService {
 public:
  Incidents(runtime::Executor& executor, storage::Database& db) : executor_(executor), db_(db) {}

  grpc::ServerUnaryReactor* ListIncidents(grpc::CallbackServerContext* ctx,
                                          const incident::v1::ListIncidentsRequest* request,
                                          incident::v1::ListIncidentsResponse* response) override {
    return BoundedReadCall(
        executor_, db_, ctx, *request, *response,
        [=, this](storage::Transaction& txn, const base::Caller&) -> absl::Status {
          runs.fetch_add(1);
          ITSM_ASSIGN_OR_RETURN(
              storage::ResultSet rows,
              txn.Query(request->assignment_group() == "long" ? kLongWalk : "SELECT 1"));
          response->add_incidents()->set_title(absl::StrCat(rows.row(0)[0].AsInt()));
          if (request->assignment_group() == "refused") {
            return absl::InvalidArgumentError("assignment_group: refused");
          }
          return absl::OkStatus();
        });
  }

  std::atomic<int> runs{0};

 private:
  runtime::Executor& executor_;
  storage::Database& db_;
};

class BoundedReadCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::NewDatabase(testing::Backend::kSqlite, {.pool_size = 2});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    incidents_ = std::make_unique<Incidents>(executor_, *db_);
    server_ = runtime::StartGrpcServer("127.0.0.1:0", {incidents_.get()}, registry_, &port_,
                                       /*authenticator=*/nullptr);
    ASSERT_NE(server_, nullptr);
    stub_ = incident::v1::IncidentService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  grpc::Status List(const std::string& group, incident::v1::ListIncidentsResponse& response) {
    grpc::ClientContext ctx;
    incident::v1::ListIncidentsRequest request;
    request.set_assignment_group(group);
    return stub_->ListIncidents(&ctx, request, &response);
  }

  runtime::Executor executor_{"reads", 1, 16};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<Incidents> incidents_;
  prometheus::Registry registry_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::unique_ptr<incident::v1::IncidentService::Stub> stub_;
};

TEST_F(BoundedReadCallTest, AShortReadRunsOnce) {
  incident::v1::ListIncidentsResponse response;
  ASSERT_TRUE(List("short", response).ok());
  ASSERT_EQ(response.incidents_size(), 1);
  EXPECT_EQ(response.incidents(0).title(), "1");
  EXPECT_EQ(incidents_->runs.load(), 1);
}

TEST_F(BoundedReadCallTest, AReadPastItsBudgetRunsAgainAndOnlyTheSecondRunIsAnswered) {
  incident::v1::ListIncidentsResponse response;
  grpc::Status status = List("long", response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(incidents_->runs.load(), 2);
  ASSERT_EQ(response.incidents_size(), 1) << response.DebugString();
  EXPECT_EQ(response.incidents(0).title(), "200000");
}

TEST_F(BoundedReadCallTest, AReadsOwnRefusalIsAnsweredAsIs) {
  incident::v1::ListIncidentsResponse response;
  grpc::Status status = List("refused", response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "assignment_group: refused");
  EXPECT_EQ(incidents_->runs.load(), 1);
}

// With every connection taken the read goes to the executor at once, and waits there for one.
TEST_F(BoundedReadCallTest, WithNoConnectionFreeTheReadWaitsOnTheExecutor) {
  auto first = db_->Begin(storage::TransactionMode::kReadOnly);
  auto second = db_->Begin(storage::TransactionMode::kReadOnly);
  ASSERT_TRUE(first.ok() && second.ok());
  std::thread release([&] {
    absl::SleepFor(absl::Milliseconds(200));
    first->reset();
  });
  incident::v1::ListIncidentsResponse response;
  grpc::Status status = List("short", response);
  release.join();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.incidents_size(), 1);
  EXPECT_EQ(incidents_->runs.load(), 1);
}

// CreateIncident writes a row through CommitCall; `writes` counts the units that ran.
class Writes final : public incident::v1::IncidentService::CallbackService {
 public:
  explicit Writes(storage::GroupCommitter& committer) : committer_(committer) {}

  grpc::ServerUnaryReactor* CreateIncident(grpc::CallbackServerContext* ctx,
                                           const incident::v1::CreateIncidentRequest* request,
                                           incident::v1::CreateIncidentResponse*) override {
    return CommitCall(
        committer_, ctx, *request, [=, this](storage::Transaction& txn, const base::Caller&) {
          writes.fetch_add(1);
          return txn.Execute("INSERT INTO made (title) VALUES ($1)", {request->title()}).status();
        });
  }

  std::atomic<int> writes{0};

 private:
  storage::GroupCommitter& committer_;
};

// Found from outside: creates sent with a 1 ms deadline were answered DEADLINE_EXCEEDED and most
// were made anyway, so a client that retried made them twice.
TEST(CommitCall, ACallGivenUpOnBeforeItsWriteBeganWritesNothing) {
  auto db = testing::NewDatabase(testing::Backend::kSqlite, {.pool_size = 2});
  ASSERT_TRUE(db.ok()) << db.status();
  {
    auto txn = (*db)->Begin(storage::TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->Execute("CREATE TABLE made (title TEXT)").ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  storage::GroupCommitter committer(**db, storage::GroupCommitter::Options{});
  Writes writes(committer);
  prometheus::Registry registry;
  int port = 0;
  std::unique_ptr<grpc::Server> server =
      runtime::StartGrpcServer("127.0.0.1:0", {&writes}, registry, &port, nullptr);
  ASSERT_NE(server, nullptr);
  auto stub = incident::v1::IncidentService::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  auto create = [&](const std::string& title, absl::Duration deadline) {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    incident::v1::CreateIncidentRequest request;
    request.set_title(title);
    incident::v1::CreateIncidentResponse response;
    return stub->CreateIncident(&ctx, request, &response);
  };
  // The writer busy with another unit for longer than the call's deadline.
  std::atomic<bool> busy_done{false};
  committer.Submit(
      [](storage::Transaction&) {
        absl::SleepFor(absl::Milliseconds(400));
        return absl::OkStatus();
      },
      [&](absl::Status) { busy_done = true; });
  absl::SleepFor(absl::Milliseconds(50));
  const grpc::Status late = create("given up", absl::Milliseconds(100));
  EXPECT_EQ(late.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  while (!busy_done) absl::SleepFor(absl::Milliseconds(10));
  // The next call's commit follows the given-up unit's turn.
  const grpc::Status made = create("made", absl::Seconds(10));
  ASSERT_TRUE(made.ok()) << made.error_message();
  EXPECT_EQ(writes.writes.load(), 1);
  auto txn = (*db)->Begin(storage::TransactionMode::kReadOnly);
  ASSERT_TRUE(txn.ok());
  auto rows = (*txn)->Query("SELECT title FROM made");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->rows().size(), 1u);
  EXPECT_EQ(rows->row(0)[0].AsString(), "made");
  server->Shutdown();
  committer.Stop();
}

}  // namespace
}  // namespace itsm::servicedb
