// Alert intake through real gRPC on loopback, on both storage backends, with the real group
// committer: notifications in Alertmanager's webhook format open, de-duplicate, note, resolve,
// reopen and fold incidents; two "replicas" (two committers and servers on one database) racing
// on one group open one incident.
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "itsm/storage/migrations.h"
#include "itsm/testing/grpc_server.h"
#include "itsm/testing/test_env.h"
#include "services/incident/src/alert_grpc_service.h"
#include "services/incident/src/incident_grpc_service.h"
#include "services/incident/src/incident_repository.h"

namespace itsm::incident {
namespace {

using ::itsm::testing::Backend;

// One alert in Alertmanager's format; `ends` is Go's zero time while it fires.
std::string Alert(const std::string& status, const std::string& instance,
                  const std::string& fingerprint, const std::string& severity = "warning",
                  const std::string& alertname = "InstanceDown") {
  return absl::StrCat(
      R"({"status":")", status, R"(","labels":{"alertname":")", alertname, R"(","instance":")",
      instance, R"(","severity":")", severity, R"("},"annotations":{"summary":")", instance,
      R"( is down"},"startsAt":"2026-11-30T10:00:00Z","endsAt":")",
      status == "firing" ? "0001-01-01T00:00:00Z" : "2026-11-30T11:00:00Z",
      R"(","generatorURL":"http://prometheus:9090/graph","fingerprint":")", fingerprint, R"("})");
}

v1::NotifyAlertmanagerRequest Notification(const std::string& group, const std::string& status,
                                           const std::vector<std::string>& alerts) {
  std::string json = absl::StrCat(
      R"({"version":"4","groupKey":"{}:{alertname=\")", group, R"(\"}","truncatedAlerts":0,)",
      R"("status":")", status, R"(","receiver":"itsm","groupLabels":{"alertname":")", group,
      R"("},"commonLabels":{"alertname":")", group,
      R"("},"commonAnnotations":{},"externalURL":"http://alertmanager:9093","alerts":[)",
      absl::StrJoin(alerts, ","), "]}");
  v1::NotifyAlertmanagerRequest request;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &request, options).ok()) << json;
  return request;
}

class AlertIntakeTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto db = itsm::testing::NewDatabase(GetParam());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    ASSERT_TRUE(storage::ApplySchema(*db_, IncidentRepository::Schema()).ok());
    cmdb_.AddCi("ci-web-1", "server", "web-1");
    cmdb_.AddCi("ci-shop", "business_service", "online-shop");
    cmdb_.DependsOn("ci-shop", "ci-web-1");
    cmdb_.AddCi("ci-db", "database", "orders-db");
    for (int i = 1; i <= 6; ++i) {
      cmdb_.AddCi(absl::StrCat("ci-app-", i), "application", absl::StrCat("app-", i));
      cmdb_.DependsOn(absl::StrCat("ci-app-", i), "ci-db");
    }
    intake_ = std::make_unique<AlertIntake>(*db_, &cmdb_, settings_, matrix_, incident_management_,
                                            clock_);
    Start();
  }
  void TearDown() override {
    for (auto& r : replicas_) r.server->Shutdown();
    for (auto& r : replicas_) r.committer->Stop();
  }

  struct Replica {
    std::unique_ptr<storage::GroupCommitter> committer;
    std::unique_ptr<IncidentGrpcService> incidents;
    std::unique_ptr<AlertGrpcService> alerts;
    std::unique_ptr<itsm::testing::GrpcTestServer> server;
  };
  // A replica of the service: its own committer and server on the shared database.
  void Start() {
    Replica r;
    r.committer = std::make_unique<storage::GroupCommitter>(
        *db_, storage::GroupCommitter::Options{.writers = 2});
    r.incidents = std::make_unique<IncidentGrpcService>(
        *db_, *r.committer, executor_,
        Applications{incident_management_, request_fulfilment_, problem_management_});
    r.alerts = std::make_unique<AlertGrpcService>(*r.committer, executor_, *intake_, &metrics_);
    r.server = std::make_unique<itsm::testing::GrpcTestServer>(
        std::vector<grpc::Service*>{r.incidents.get(), r.alerts.get()});
    replicas_.push_back(std::move(r));
  }

  grpc::Status Notify(const v1::NotifyAlertmanagerRequest& request,
                      v1::NotifyAlertmanagerResponse* out, size_t replica = 0) {
    auto stub = v1::AlertIntakeService::NewStub(replicas_[replica].server->Channel());
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-itsm-actor", "apikey:alertmanager");
    return stub->NotifyAlertmanager(&ctx, request, out);
  }
  v1::NotifyAlertmanagerResponse NotifyOk(const v1::NotifyAlertmanagerRequest& request) {
    v1::NotifyAlertmanagerResponse out;
    const grpc::Status s = Notify(request, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  v1::Incident Get(const std::string& id) {
    auto stub = v1::IncidentService::NewStub(replicas_[0].server->Channel());
    grpc::ClientContext ctx;
    v1::GetIncidentRequest r;
    r.set_id(id);
    v1::GetIncidentResponse out;
    EXPECT_TRUE(stub->GetIncident(&ctx, r, &out).ok());
    return out.incident();
  }
  std::vector<v1::IncidentNote> Notes(const std::string& id) {
    auto stub = v1::IncidentService::NewStub(replicas_[0].server->Channel());
    grpc::ClientContext ctx;
    v1::ListIncidentNotesRequest r;
    r.set_id(id);
    v1::ListIncidentNotesResponse out;
    EXPECT_TRUE(stub->ListIncidentNotes(&ctx, r, &out).ok());
    return {out.notes().begin(), out.notes().end()};
  }
  int64_t Count(const char* table) {
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    return (*txn)->Query(std::string("SELECT COUNT(*) FROM ") + table)->row(0)[0].AsInt();
  }

  PriorityMatrix matrix_ = PriorityMatrix::Default();
  base::ManualClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  IncidentFactory factory_{matrix_, clock_};
  IncidentWorkflow workflow_{matrix_, clock_, {.reopen_window = absl::Hours(168)}};
  ProblemWorkflow problems_{matrix_, clock_};
  ServiceRequestWorkflow requests_{matrix_, clock_, {}};
  IncidentManagement incident_management_{factory_, workflow_};
  RequestFulfilment request_fulfilment_{requests_};
  ProblemManagement problem_management_{problems_, workflow_};
  AlertSettings settings_ =
      *AlertSettings::Parse({.ci_labels = "ci,instance",
                             .service_labels = "service",
                             .severity_label = "severity",
                             .severity_priorities = "critical=1:1,warning=2:2,*=3:3",
                             .resolution = "resolve"},
                            matrix_);
  StaticCmdbLookup cmdb_;
  // itsm_alert_notifications_total{outcome}
  double Counted(const std::string& outcome) {
    for (const auto& family : registry_.Collect()) {
      if (family.name != "itsm_alert_notifications_total") continue;
      for (const auto& metric : family.metric) {
        if (metric.label.size() == 1 && metric.label[0].value == outcome) {
          return metric.counter.value;
        }
      }
    }
    return -1;
  }

  prometheus::Registry registry_;
  AlertMetrics metrics_{registry_};
  runtime::Executor executor_{"test", 4, 1000};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<AlertIntake> intake_;
  std::vector<Replica> replicas_;
};

TEST_P(AlertIntakeTest, FiringGroupOpensOneIncidentMappedThroughTheCmdb) {
  const auto request = Notification("InstanceDown", "firing",
                                    {Alert("firing", "web-1:9100", "00000000000000a1", "critical"),
                                     Alert("firing", "10.9.9.9:9100", "00000000000000a2")});
  const auto out = NotifyOk(request);
  EXPECT_EQ(out.outcome(), v1::ALERT_OUTCOME_OPENED);
  EXPECT_EQ(out.incident_number(), "INC0000001");
  ASSERT_EQ(out.unknown_configuration_items_size(), 1);
  EXPECT_EQ(out.unknown_configuration_items(0), "10.9.9.9:9100");
  const v1::Incident incident = Get(out.incident_id());
  EXPECT_EQ(incident.title(), "InstanceDown: web-1:9100 is down");
  EXPECT_EQ(incident.priority(), v1::PRIORITY_P1);  // critical -> 1:1
  ASSERT_EQ(incident.configuration_item_ids_size(), 1);
  EXPECT_EQ(incident.configuration_item_ids(0), "ci-web-1");  // "web-1:9100" -> web-1
  EXPECT_EQ(incident.service(), "online-shop");               // depends on web-1
  EXPECT_EQ(incident.category(), "monitoring");
  EXPECT_EQ(incident.created_by(), "apikey:alertmanager");
  EXPECT_NE(incident.description().find("instance=\"10.9.9.9:9100\": no such CI in the CMDB"),
            std::string::npos);
  EXPECT_NE(incident.description().find("http://alertmanager:9093"), std::string::npos);
}

TEST_P(AlertIntakeTest, RetriesAndRepeatsChangeNothing) {
  const auto request =
      Notification("InstanceDown", "firing", {Alert("firing", "web-1:9100", "00000000000000a1")});
  const auto first = NotifyOk(request);
  const int64_t version = Get(first.incident_id()).version();
  for (int i = 0; i < 3; ++i) {
    const auto again = NotifyOk(request);
    EXPECT_EQ(again.outcome(), v1::ALERT_OUTCOME_UNCHANGED);
    EXPECT_EQ(again.incident_id(), first.incident_id());
  }
  EXPECT_EQ(Get(first.incident_id()).version(), version);
  EXPECT_EQ(Count("incidents"), 1);
  EXPECT_EQ(Counted("opened"), 1);
  EXPECT_EQ(Counted("unchanged"), 3);
  EXPECT_EQ(Counted("resolved"), 0);
}

TEST_P(AlertIntakeTest, AlertJoiningTheGroupIsNotedAndItsCiAdded) {
  const auto opened = NotifyOk(Notification(
      "InstanceDown", "firing", {Alert("firing", "10.9.9.9:9100", "00000000000000a2")}));
  EXPECT_EQ(Get(opened.incident_id()).configuration_item_ids_size(), 0);
  const auto joined = NotifyOk(Notification("InstanceDown", "firing",
                                            {Alert("firing", "10.9.9.9:9100", "00000000000000a2"),
                                             Alert("firing", "web-1", "00000000000000a1")}));
  EXPECT_EQ(joined.outcome(), v1::ALERT_OUTCOME_NOTED);
  EXPECT_EQ(joined.incident_id(), opened.incident_id());
  const auto notes = Notes(opened.incident_id());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].visibility(), v1::NOTE_VISIBILITY_WORK_NOTE);
  EXPECT_NE(notes[0].text().find("joined the group: firing InstanceDown"), std::string::npos);
  EXPECT_NE(notes[0].text().find("CI server/web-1"), std::string::npos);
  const v1::Incident incident = Get(opened.incident_id());
  ASSERT_EQ(incident.configuration_item_ids_size(), 1);
  EXPECT_EQ(incident.configuration_item_ids(0), "ci-web-1");
  EXPECT_EQ(Count("incidents"), 1);
}

TEST_P(AlertIntakeTest, ResolvedGroupResolvesAndFiringAgainReopens) {
  const auto opened =
      NotifyOk(Notification("Disk", "firing", {Alert("firing", "web-1", "00000000000000b1")}));
  const auto resolved =
      NotifyOk(Notification("Disk", "resolved", {Alert("resolved", "web-1", "00000000000000b1")}));
  EXPECT_EQ(resolved.outcome(), v1::ALERT_OUTCOME_RESOLVED);
  v1::Incident incident = Get(opened.incident_id());
  EXPECT_EQ(incident.state(), v1::INCIDENT_STATE_RESOLVED);
  EXPECT_EQ(incident.resolution_code(), "Resolved by monitoring");
  EXPECT_NE(incident.resolution_notes().find("resolved: resolved InstanceDown"), std::string::npos);
  // The same resolved notification again: nothing.
  EXPECT_EQ(
      NotifyOk(Notification("Disk", "resolved", {Alert("resolved", "web-1", "00000000000000b1")}))
          .outcome(),
      v1::ALERT_OUTCOME_UNCHANGED);
  clock_.Advance(absl::Hours(1));
  const auto again =
      NotifyOk(Notification("Disk", "firing", {Alert("firing", "web-1", "00000000000000b1")}));
  EXPECT_EQ(again.outcome(), v1::ALERT_OUTCOME_REOPENED);
  incident = Get(opened.incident_id());
  EXPECT_EQ(incident.state(), v1::INCIDENT_STATE_IN_PROGRESS);
  EXPECT_EQ(incident.reopen_count(), 1);
  EXPECT_EQ(Count("incidents"), 1);
}

TEST_P(AlertIntakeTest, ClosedIncidentMeansANewOneWhenTheGroupFiresAgain) {
  const auto opened =
      NotifyOk(Notification("Disk", "firing", {Alert("firing", "web-1", "00000000000000b1")}));
  NotifyOk(Notification("Disk", "resolved", {Alert("resolved", "web-1", "00000000000000b1")}));
  {
    auto stub = v1::IncidentService::NewStub(replicas_[0].server->Channel());
    grpc::ClientContext ctx;
    v1::TransitionIncidentRequest close;
    close.set_id(opened.incident_id());
    close.set_version(Get(opened.incident_id()).version());
    close.set_target_state(v1::INCIDENT_STATE_CLOSED);
    v1::TransitionIncidentResponse closed;
    ASSERT_TRUE(stub->TransitionIncident(&ctx, close, &closed).ok());
  }
  const auto again =
      NotifyOk(Notification("Disk", "firing", {Alert("firing", "web-1", "00000000000000b1")}));
  EXPECT_EQ(again.outcome(), v1::ALERT_OUTCOME_OPENED);
  EXPECT_NE(again.incident_id(), opened.incident_id());
  EXPECT_NE(Get(again.incident_id()).description().find(opened.incident_number()),
            std::string::npos);
}

TEST_P(AlertIntakeTest, AnnotateModeOnlyNotes) {
  settings_.resolution = AlertResolution::kAnnotate;
  const auto opened =
      NotifyOk(Notification("Disk", "firing", {Alert("firing", "web-1", "00000000000000b1")}));
  const auto resolved =
      NotifyOk(Notification("Disk", "resolved", {Alert("resolved", "web-1", "00000000000000b1")}));
  EXPECT_EQ(resolved.outcome(), v1::ALERT_OUTCOME_NOTED);
  EXPECT_EQ(Get(opened.incident_id()).state(), v1::INCIDENT_STATE_NEW);
  const auto notes = Notes(opened.incident_id());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].text().find("Every alert of the group is resolved"), std::string::npos);
}

TEST_P(AlertIntakeTest, ResolvedGroupNeverSeenIsIgnored) {
  const auto out =
      NotifyOk(Notification("Disk", "resolved", {Alert("resolved", "web-1", "00000000000000b1")}));
  EXPECT_EQ(out.outcome(), v1::ALERT_OUTCOME_IGNORED);
  EXPECT_EQ(Count("incidents"), 0);
  EXPECT_EQ(Count("alert_groups"), 0);
}

TEST_P(AlertIntakeTest, BadInputNamesTheFieldAndChangesNothing) {
  auto request = Notification("Disk", "firing", {Alert("firing", "web-1", "00000000000000b1")});
  request.set_version("3");
  v1::NotifyAlertmanagerResponse out;
  grpc::Status s = Notify(request, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("version:", 0), 0u) << s.error_message();
  request = Notification("Disk", "firing", {Alert("firing", "web-1", "00000000000000b1")});
  for (int i = 0; i < 100; ++i) *request.add_alerts() = request.alerts(0);
  s = Notify(request, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("alerts:", 0), 0u) << s.error_message();
  EXPECT_EQ(Count("incidents"), 0);
  EXPECT_EQ(Count("alert_groups"), 0);
}

TEST_P(AlertIntakeTest, CmdbDownStillOpensTheIncident) {
  cmdb_.SetUnavailable(true);
  const auto out =
      NotifyOk(Notification("Disk", "firing", {Alert("firing", "web-1", "00000000000000b1")}));
  EXPECT_EQ(out.outcome(), v1::ALERT_OUTCOME_OPENED);
  EXPECT_NE(Get(out.incident_id()).description().find("configuration service did not answer"),
            std::string::npos);
}

TEST_P(AlertIntakeTest, TwoReplicasRacingOnOneGroupOpenOneIncident) {
  Start();                        // a second replica on the same database
  settings_.storm_threshold = 0;  // five groups on web-1 would be a storm
  for (int round = 0; round < 5; ++round) {
    const auto request = Notification(absl::StrCat("Race", round), "firing",
                                      {Alert("firing", "web-1", "00000000000000c1")});
    std::vector<std::thread> threads;
    std::vector<v1::NotifyAlertmanagerResponse> answers(8);
    std::vector<grpc::Status> statuses(8);
    for (size_t i = 0; i < answers.size(); ++i) {
      threads.emplace_back([&, i] { statuses[i] = Notify(request, &answers[i], i % 2); });
    }
    for (auto& t : threads) t.join();
    int opened = 0;
    for (size_t i = 0; i < answers.size(); ++i) {
      ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
      EXPECT_EQ(answers[i].incident_id(), answers[0].incident_id());
      opened += answers[i].outcome() == v1::ALERT_OUTCOME_OPENED;
    }
    EXPECT_EQ(opened, 1);
  }
  EXPECT_EQ(Count("incidents"), 5);
}

TEST_P(AlertIntakeTest, StormOnCisSharingAnUpstreamCiIsFoldedUnderOneParent) {
  settings_.storm_threshold = 3;
  settings_.storm_window = absl::Minutes(5);
  // An unrelated group: not part of the storm.
  const auto other =
      NotifyOk(Notification("Disk", "firing", {Alert("firing", "web-1", "00000000000000d0")}));
  std::vector<v1::NotifyAlertmanagerResponse> apps;
  for (int i = 1; i <= 2; ++i) {
    apps.push_back(NotifyOk(Notification(
        absl::StrCat("AppDown", i), "firing",
        {Alert("firing", absl::StrCat("app-", i), absl::StrCat("00000000000000e", i))})));
    EXPECT_TRUE(apps.back().parent_incident_id().empty());
    clock_.Advance(absl::Seconds(30));
  }
  // The third group on a CI depending on orders-db: a storm.
  apps.push_back(NotifyOk(Notification(
      "DbDown", "firing", {Alert("firing", "orders-db", "00000000000000e3", "critical")})));
  const std::string parent_id = apps.back().parent_incident_id();
  ASSERT_FALSE(parent_id.empty());
  const v1::Incident parent = Get(parent_id);
  EXPECT_EQ(parent.title(), "Alert storm: 3 alert groups on CIs depending on database/orders-db");
  EXPECT_EQ(parent.priority(), v1::PRIORITY_P1);  // its most urgent child
  ASSERT_EQ(parent.configuration_item_ids_size(), 1);
  EXPECT_EQ(parent.configuration_item_ids(0), "ci-db");
  for (const auto& app : apps) EXPECT_EQ(Get(app.incident_id()).parent_incident_id(), parent_id);
  EXPECT_TRUE(Get(other.incident_id()).parent_incident_id().empty());
  // A fourth within the window joins the storm.
  clock_.Advance(absl::Minutes(1));
  const auto fourth =
      NotifyOk(Notification("AppDown4", "firing", {Alert("firing", "app-4", "00000000000000e4")}));
  EXPECT_EQ(fourth.parent_incident_id(), parent_id);
  EXPECT_EQ(Get(fourth.incident_id()).parent_incident_id(), parent_id);
  EXPECT_EQ(Count("incidents"), 6);  // other, four children, the parent
  // Every child resolved: the parent is resolved too.
  NotifyOk(Notification("AppDown1", "resolved", {Alert("resolved", "app-1", "00000000000000e1")}));
  NotifyOk(Notification("AppDown2", "resolved", {Alert("resolved", "app-2", "00000000000000e2")}));
  NotifyOk(Notification("DbDown", "resolved",
                        {Alert("resolved", "orders-db", "00000000000000e3", "critical")}));
  EXPECT_EQ(Get(parent_id).state(), v1::INCIDENT_STATE_NEW);
  NotifyOk(Notification("AppDown4", "resolved", {Alert("resolved", "app-4", "00000000000000e4")}));
  EXPECT_EQ(Get(parent_id).state(), v1::INCIDENT_STATE_RESOLVED);
  // Within the window, but the storm's parent was resolved: a group alone is not folded, two
  // open ones are, under a new parent.
  const auto sixth =
      NotifyOk(Notification("AppDown6", "firing", {Alert("firing", "app-6", "00000000000000e6")}));
  EXPECT_TRUE(sixth.parent_incident_id().empty());
  const auto third =
      NotifyOk(Notification("AppDown3", "firing", {Alert("firing", "app-3", "00000000000000e7")}));
  ASSERT_FALSE(third.parent_incident_id().empty());
  EXPECT_NE(third.parent_incident_id(), parent_id);
  EXPECT_EQ(Get(sixth.incident_id()).parent_incident_id(), third.parent_incident_id());
  NotifyOk(Notification("AppDown6", "resolved", {Alert("resolved", "app-6", "00000000000000e6")}));
  NotifyOk(Notification("AppDown3", "resolved", {Alert("resolved", "app-3", "00000000000000e7")}));
  // Long after the window a new group on app-5 is alone again.
  clock_.Advance(absl::Hours(1));
  const auto later =
      NotifyOk(Notification("AppDown5", "firing", {Alert("firing", "app-5", "00000000000000e5")}));
  EXPECT_TRUE(later.parent_incident_id().empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, AlertIntakeTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

}  // namespace
}  // namespace itsm::incident
