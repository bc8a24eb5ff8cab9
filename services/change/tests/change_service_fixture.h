// The change service's test fixture: the service through a real gRPC channel on loopback, on
// both storage backends, with the real group committer and outbox relay publishing to an
// in-process Kafka-protocol broker, and a CMDB held in memory (the same answers the
// configuration service's impact analysis gives).
#ifndef ITSM_SERVICES_CHANGE_TESTS_CHANGE_SERVICE_FIXTURE_H_
#define ITSM_SERVICES_CHANGE_TESTS_CHANGE_SERVICE_FIXTURE_H_
#include <cstring>
#include <deque>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "itsm/base/time_util.h"
#include "itsm/change/v1/events.pb.h"
#include "itsm/kafkamock/mock_cluster.h"
#include "itsm/outbox/outbox_relay.h"
#include "itsm/storage/migrations.h"
#include "itsm/testing/grpc_server.h"
#include "itsm/testing/kafka_reader.h"
#include "itsm/testing/test_env.h"
#include "services/change/src/change_grpc_service.h"
#include "services/change/src/change_repository.h"

namespace itsm::change {

using ::itsm::testing::Backend;
using Stub = v1::ChangeService::Stub;

// CIs and "source depends on target" edges; ids or "class/name" name a CI.
class GraphCmdb final : public CmdbView {
 public:
  void Add(const std::string& id, const std::string& cls, int criticality = 0) {
    cis_[id] = {id, cls, id, criticality, false};
  }
  // `cls` is a subclass of `parent` (for the lineage Describe gives).
  void Subclass(const std::string& cls, const std::string& parent) { parents_[cls] = parent; }
  void DependsOn(const std::string& source, const std::string& target) {
    edges_.push_back({source, target});
  }
  void Remove(const std::string& source, const std::string& target) {
    std::erase(edges_, std::make_pair(source, target));
  }
  void Retire(const std::string& id) { cis_[id].retired = true; }
  // While set, every call fails as an unreachable configuration service does.
  void SetUnavailable(bool unavailable) { unavailable_ = unavailable; }
  absl::StatusOr<CiInfo> Describe(const std::string& id) override {
    if (unavailable_) return absl::UnavailableError("the CMDB is down");
    auto it = cis_.find(id);
    for (auto at = cis_.begin(); it == cis_.end() && at != cis_.end(); ++at) {
      if (absl::StrCat(at->second.class_name, "/", at->second.name) == id) it = at;
    }
    if (it == cis_.end()) return absl::NotFoundError(absl::StrCat("no CI \"", id, "\""));
    CiInfo info = it->second;
    for (std::string c = info.class_name; !c.empty();) {
      info.lineage.push_back(c);
      auto parent = parents_.find(c);
      c = parent == parents_.end() ? "" : parent->second;
    }
    return info;
  }
  absl::StatusOr<std::vector<ReachedCi>> Reach(const std::string& id, bool downstream, int depth,
                                               const std::vector<std::string>& classes) override {
    if (unavailable_) return absl::UnavailableError("the CMDB is down");
    if (!cis_.contains(id)) return absl::NotFoundError(absl::StrCat("no CI \"", id, "\""));
    std::map<std::string, std::vector<std::string>> paths{{id, {id}}};
    std::deque<std::string> queue{id};
    std::vector<ReachedCi> out;
    while (!queue.empty()) {
      const std::string at = queue.front();
      queue.pop_front();
      if (static_cast<int>(paths[at].size()) > depth) continue;
      for (const auto& [source, target] : edges_) {
        const std::string& next =
            downstream ? (target == at ? source : "") : (source == at ? target : "");
        if (next.empty() || paths.contains(next)) continue;
        paths[next] = paths[at];
        paths[next].push_back(next);
        queue.push_back(next);
        if (classes.empty() ||
            std::find(classes.begin(), classes.end(), cis_[next].class_name) != classes.end()) {
          out.push_back({cis_[next], paths[next]});
        }
      }
    }
    return out;
  }
  absl::Status CheckClass(const std::string& cls) override {
    if (unavailable_) return absl::UnavailableError("the CMDB is down");
    for (const auto& [child, parent] : parents_) {
      if (child == cls || parent == cls) return absl::OkStatus();
    }
    for (const auto& [id, ci] : cis_) {
      if (ci.class_name == cls) return absl::OkStatus();
    }
    return absl::NotFoundError(absl::StrCat("no CI class \"", cls, "\""));
  }

 private:
  std::map<std::string, CiInfo> cis_;
  std::map<std::string, std::string> parents_;
  std::vector<std::pair<std::string, std::string>> edges_;
  bool unavailable_ = false;
};

class ChangeServiceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto url = itsm::testing::NewDatabaseUrl(GetParam());
    ASSERT_TRUE(url.ok()) << url.status();
    url_ = *url;
    auto db = storage::OpenDatabase(url_);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    ASSERT_TRUE(storage::ApplySchema(*db_, ChangeRepository::Schema()).ok());
    auto cluster = kafkamock::MockCluster::Start(1);
    ASSERT_TRUE(cluster.ok());
    cluster_ = std::move(*cluster);
    ASSERT_TRUE(cluster_->CreateTopic(kChangeTopic, 2).ok());
    cmdb_.Add("db-01", "database");
    cmdb_.Add("app-01", "application");
    cmdb_.Add("billing", "business_service", 4);
    cmdb_.DependsOn("app-01", "db-01");
    cmdb_.DependsOn("billing", "app-01");
    committer_ =
        std::make_unique<storage::GroupCommitter>(*db_, storage::GroupCommitter::Options{});
    changes_ = std::make_unique<ChangeManagement>(*db_, &cmdb_, workflow_, &linked_);
    releases_ = std::make_unique<ReleaseManagement>(&cmdb_, release_rules_);
    service_ = std::make_unique<ChangeGrpcService>(
        *db_, *committer_, executor_,
        Applications{*changes_, catalogue_, calendar_, metrics_, *releases_});
    server_ = std::make_unique<itsm::testing::GrpcTestServer>(
        std::vector<grpc::Service*>{service_.get()});
    stub_ = v1::ChangeService::NewStub(server_->Channel());
  }
  void TearDown() override {
    server_->Shutdown();
    committer_->Stop();
  }

  template <typename Req, typename Resp>
  using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Req&, Resp*);
  template <typename Req, typename Resp>
  grpc::Status Call(Method<Req, Resp> method, const Req& request, Resp* response,
                    const std::string& actor = "agent") {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-itsm-actor", actor);
    return (stub_.get()->*method)(&ctx, request, response);
  }

  v1::Change Create(v1::CreateChangeRequest r, grpc::StatusCode expect = grpc::StatusCode::OK) {
    v1::CreateChangeResponse out;
    grpc::Status s = Call(&Stub::CreateChange, r, &out);
    EXPECT_EQ(s.error_code(), expect) << s.error_message();
    return out.change();
  }
  // A blackout from 00:00 to 02:00 UTC every day, covering everything until the test narrows it.
  static v1::CreateChangeWindowRequest NightlyFreeze(const std::string& name) {
    v1::CreateChangeWindowRequest w;
    w.mutable_window()->set_name(name);
    w.mutable_window()->set_kind(v1::WINDOW_KIND_BLACKOUT);
    w.mutable_window()->set_time_zone("UTC");
    w.mutable_window()->set_start_local_time("00:00");
    w.mutable_window()->set_duration_minutes(120);
    return w;
  }
  v1::CreateChangeRequest Normal(const std::string& title, std::vector<std::string> cis) {
    v1::CreateChangeRequest r;
    r.set_type(v1::CHANGE_TYPE_NORMAL);
    r.set_title(title);
    for (const auto& ci : cis) r.add_configuration_item_ids(ci);
    return r;
  }
  v1::Change To(const v1::Change& c, v1::ChangeState s,
                grpc::StatusCode expect = grpc::StatusCode::OK,
                v1::ChangeOutcome outcome = v1::CHANGE_OUTCOME_UNSPECIFIED,
                const std::string& review = "") {
    v1::TransitionChangeRequest r;
    r.set_id(c.id());
    r.set_version(c.version());
    r.set_target_state(s);
    r.set_outcome(outcome);
    r.set_review_notes(review);
    v1::TransitionChangeResponse out;
    grpc::Status st = Call(&Stub::TransitionChange, r, &out);
    EXPECT_EQ(st.error_code(), expect) << st.error_message();
    return st.ok() ? out.change() : c;
  }
  v1::Change Decide(const v1::Change& c, const std::string& who, v1::ApprovalDecision d) {
    v1::DecideChangeApprovalRequest r;
    r.set_id(c.id());
    r.set_version(c.version());
    r.set_decision(d);
    r.set_comment("looked at it");
    v1::DecideChangeApprovalResponse out;
    grpc::Status st = Call(&Stub::DecideChangeApproval, r, &out, who);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out.change();
  }
  v1::Change Schedule(const v1::Change& c, int from_hour, int to_hour) {
    v1::ScheduleChangeRequest r;
    r.set_id(c.id());
    r.set_version(c.version());
    *r.mutable_planned_start_time() = base::ToProtoTimestamp(kDay + absl::Hours(from_hour));
    *r.mutable_planned_end_time() = base::ToProtoTimestamp(kDay + absl::Hours(to_hour));
    v1::ScheduleChangeResponse out;
    grpc::Status st = Call(&Stub::ScheduleChange, r, &out);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out.change();
  }
  v1::Change Override(const v1::Change& c, const std::string& reason) {
    v1::OverrideChangeConflictsRequest r;
    r.set_id(c.id());
    r.set_version(c.version());
    r.set_reason(reason);
    v1::OverrideChangeConflictsResponse out;
    grpc::Status st = Call(&Stub::OverrideChangeConflicts, r, &out, "cm");
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out.change();
  }
  int64_t Count(const char* table) {
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    return (*txn)->Query(std::string("SELECT COUNT(*) FROM ") + table)->row(0)[0].AsInt();
  }
  std::vector<std::string> EventTypes(const std::string& key) {
    prometheus::Registry registry;
    outbox::RelayOptions options;
    options.bootstrap_servers = cluster_->bootstrap_servers();
    outbox::OutboxRelay relay(*db_, options, registry);
    EXPECT_TRUE(relay.PublishOnce().ok());
    auto records = itsm::testing::ReadTopic(cluster_->bootstrap_servers(), kChangeTopic,
                                            static_cast<size_t>(Count("outbox")));
    EXPECT_TRUE(records.ok()) << records.status();
    std::vector<std::string> out;
    for (const auto& r : *records) {
      if (r.key == key) out.push_back(r.Header("ce_type").substr(strlen("itsm.change.v1.")));
    }
    return out;
  }

  const absl::Time kDay = absl::FromUnixSeconds(1'800'057'600);  // a day's 00:00 UTC
  base::ManualClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  ChangeWorkflow workflow_{clock_};
  ChangeCatalogue catalogue_{clock_, &cmdb_};
  ChangeCalendar calendar_{clock_};
  prometheus::Registry registry_;
  ChangeMetrics metrics_{registry_};
  GraphCmdb cmdb_;
  StaticLinkedRecords linked_;
  std::unique_ptr<ChangeManagement> changes_;
  ReleaseRules release_rules_{clock_};
  std::unique_ptr<ReleaseManagement> releases_;
  std::string url_;  // db_'s, for another connection to it
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<kafkamock::MockCluster> cluster_;
  std::unique_ptr<storage::GroupCommitter> committer_;
  runtime::Executor executor_{"test", 4, 1000};
  std::unique_ptr<ChangeGrpcService> service_;
  std::unique_ptr<itsm::testing::GrpcTestServer> server_;
  std::unique_ptr<Stub> stub_;
};

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_TESTS_CHANGE_SERVICE_FIXTURE_H_
