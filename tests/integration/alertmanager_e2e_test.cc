// Alerts open incidents, end to end: itsm-configuration, itsm-incident and itsm-gateway started
// by itsm-launch, driven over real HTTP with an API key as Alertmanager sends it
// (`Authorization: Bearer itsm_…`) — payloads in Alertmanager's documented webhook format — and
// then a real Alertmanager (Debian's prometheus-alertmanager) receiving alerts on /api/v2/alerts
// and sending its own notifications to the gateway, which open one incident and resolve it.
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "itsm/base/time_util.h"
#include "itsm/supervisor/child_process.h"
#include "services/gateway/tests/http_client.h"
#include "tests/integration/launched_suite.h"

namespace itsm {
namespace {

using gateway::testing::HttpAnswer;
using gateway::testing::HttpClient;
using google::protobuf::Struct;

Struct Json(const std::string& text) {
  Struct s;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(text, &s).ok()) << text;
  return s;
}
std::string Str(const Struct& s, const std::string& field) {
  return s.fields().count(field) ? s.fields().at(field).string_value() : "";
}
std::string Str(const Struct& s, const std::string& object, const std::string& field) {
  if (!s.fields().count(object)) return "";
  return Str(s.fields().at(object).struct_value(), field);
}

// Alertmanager's documented webhook payload (version 4) for one alert.
std::string Payload(const std::string& group, const std::string& status,
                    const std::string& instance, const std::string& severity) {
  return absl::StrCat(
      R"({"receiver":"itsm","status":")", status, R"(","alerts":[{"status":")", status,
      R"(","labels":{"alertname":")", group, R"(","instance":")", instance, R"(","severity":")",
      severity,
      R"("},"annotations":{"summary":"Disk almost full","description":"Under 5% left.\nClean up."},)",
      R"("startsAt":"2026-11-30T10:00:00.5Z","endsAt":")",
      status == "firing" ? "0001-01-01T00:00:00Z" : "2026-11-30T10:30:00Z",
      R"(","generatorURL":"http://prometheus:9090/graph?g0.expr=disk","fingerprint":"c0ffee0123456789"}],)",
      R"("groupLabels":{"alertname":")", group, R"("},"commonLabels":{"alertname":")", group,
      R"("},"commonAnnotations":{"summary":"Disk almost full"},)",
      R"("externalURL":"http://alertmanager:9093","version":"4",)",
      R"("groupKey":"{}:{alertname=\")", group, R"(\"}","truncatedAlerts":0})");
}

class AlertmanagerE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The configuration service first: the launcher hands its address to those started after it
    // (incident's configuration_address).
    suite_ = new testing::LaunchedSuite({"configuration", "incident", "gateway"},
                                        {{"ITSM_HTTP_PORT", "0"},
                                         {"ITSM_API_KEY_CACHE_SECONDS", "1"},
                                         {"ITSM_ALERT_STORM_THRESHOLD", "0"}});
    suite_->Start();
    const auto [host, port] = suite_->HttpHostPort("gateway");
    host_ = new std::string(host);
    port_ = port;
    ASSERT_GT(port_, 0) << suite_->launch_log();
    HttpClient admin = Admin();
    // The CMDB: online-shop depends on server web-1.
    for (
        const char* ci :
        {R"({"className":"server","name":"web-1","status":"LIFECYCLE_STATUS_LIVE"})",
         R"({"className":"business_service","name":"online-shop","status":"LIFECYCLE_STATUS_LIVE"})"}) {
      HttpAnswer a = admin.Send("POST", "/v1/configurationItems", ci);
      ASSERT_EQ(a.status, 200) << a.body;
    }
    HttpAnswer rel = admin.Send(
        "POST", "/v1/relationships",
        R"({"sourceId":"business_service/online-shop","targetId":"server/web-1","type":"RELATIONSHIP_TYPE_DEPENDS_ON"})");
    ASSERT_EQ(rel.status, 200) << rel.body;
    agent_key_ = new std::string(Key("alertmanager", "ROLE_AGENT"));
    viewer_key_ = new std::string(Key("wallboard", "ROLE_VIEWER"));
  }
  static void TearDownTestSuite() {
    if (suite_ != nullptr) {
      EXPECT_EQ(suite_->Stop(), 0);
    }
    delete suite_;
    delete host_;
    delete agent_key_;
    delete viewer_key_;
  }
  static HttpClient Admin() {
    return HttpClient(
        *host_, port_,
        {{"Authorization",
          suite_->Authorization({.subject = "alerts-test", .roles = {common::v1::ROLE_ADMIN}})}});
  }
  static std::string Key(const std::string& name, const std::string& role) {
    HttpAnswer made =
        Admin().Send("POST", "/v1/apiKeys",
                     absl::StrCat(R"({"name":")", name, R"(","roles":[")", role, R"("]})"));
    EXPECT_EQ(made.status, 200) << made.body;
    return Str(Json(made.body), "secret");
  }
  // As Alertmanager's http_config.authorization {type: Bearer, credentials: <key>} sends it.
  static HttpClient AsAlertmanager(const std::string& key) {
    return HttpClient(*host_, port_, {{"Authorization", absl::StrCat("Bearer ", key)}});
  }
  static Struct Incident(const std::string& id) {
    HttpAnswer a = Admin().Send("GET", absl::StrCat("/v1/incidents/", id));
    EXPECT_EQ(a.status, 200) << a.body;
    return Json(a.body);
  }

  static testing::LaunchedSuite* suite_;
  static std::string* host_;
  static int port_;
  static std::string* agent_key_;
  static std::string* viewer_key_;
};
testing::LaunchedSuite* AlertmanagerE2eTest::suite_ = nullptr;
std::string* AlertmanagerE2eTest::host_ = nullptr;
int AlertmanagerE2eTest::port_ = 0;
std::string* AlertmanagerE2eTest::agent_key_ = nullptr;
std::string* AlertmanagerE2eTest::viewer_key_ = nullptr;

TEST_F(AlertmanagerE2eTest, WebhookPayloadOpensDeduplicatesAndResolvesThroughTheGateway) {
  HttpClient am = AsAlertmanager(*agent_key_);
  HttpAnswer opened = am.Send("POST", "/v1/alertmanager:notify",
                              Payload("DiskFull", "firing", "web-1:9100", "critical"));
  ASSERT_EQ(opened.status, 200) << opened.body;
  const Struct first = Json(opened.body);
  EXPECT_EQ(Str(first, "outcome"), "ALERT_OUTCOME_OPENED") << opened.body;
  const std::string id = Str(first, "incidentId");
  Struct incident = Incident(id);
  EXPECT_EQ(Str(incident, "incident", "title"), "DiskFull: Disk almost full");
  EXPECT_EQ(Str(incident, "incident", "priority"), "PRIORITY_P1");
  EXPECT_EQ(Str(incident, "incident", "service"), "online-shop");
  EXPECT_EQ(Str(incident, "incident", "createdBy"), "apikey:alertmanager");
  const auto& cis = incident.fields()
                        .at("incident")
                        .struct_value()
                        .fields()
                        .at("configurationItemIds")
                        .list_value();
  ASSERT_EQ(cis.values_size(), 1);
  HttpAnswer ci =
      Admin().Send("GET", absl::StrCat("/v1/configurationItems/", cis.values(0).string_value()));
  EXPECT_TRUE(absl::StrContains(ci.body, "\"name\":\"web-1\"")) << ci.body;

  // Alertmanager's retry of the same notification: the same incident, nothing changed.
  HttpAnswer again = am.Send("POST", "/v1/alertmanager:notify",
                             Payload("DiskFull", "firing", "web-1:9100", "critical"));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Str(Json(again.body), "outcome"), "ALERT_OUTCOME_UNCHANGED");
  EXPECT_EQ(Str(Json(again.body), "incidentId"), id);

  HttpAnswer resolved = am.Send("POST", "/v1/alertmanager:notify",
                                Payload("DiskFull", "resolved", "web-1:9100", "critical"));
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  EXPECT_EQ(Str(Json(resolved.body), "outcome"), "ALERT_OUTCOME_RESOLVED");
  EXPECT_EQ(Str(Incident(id), "incident", "state"), "INCIDENT_STATE_RESOLVED");
}

// A CI given by its name alone is found by that name, however many other CIs have names that
// contain it and sort before it; a name two CIs bear stays ambiguous however many do.
TEST_F(AlertmanagerE2eTest, ACiNameIsFoundWhateverOtherNamesContainIt) {
  HttpClient admin = Admin();
  const auto ci = [&](const std::string& cls, const std::string& name) {
    HttpAnswer a = admin.Send("POST", "/v1/configurationItems",
                              absl::StrCat(R"({"className":")", cls, R"(","name":")", name,
                                           R"(","status":"LIFECYCLE_STATUS_LIVE"})"));
    EXPECT_EQ(a.status, 200) << a.body;
    return Str(Json(a.body), "configurationItem", "id");
  };
  const std::string db = ci("server", "db-7");
  ci("application", "dup-9");
  ci("server", "dup-9");
  // The names around them in one import (a write each would meet the rate limit).
  std::string items;
  for (int i = 0; i < 60; ++i) {
    for (const char* around : {"app-db-7-%02d", "app-dup-9-%02d"}) {
      absl::StrAppend(&items, items.empty() ? "" : ",", R"({"className":"application","name":")",
                      absl::StrFormat(around, i), R"("})");
    }
  }
  HttpAnswer imported = admin.Send("POST", "/v1/configurationItems:import",
                                   absl::StrCat(R"({"items":[)", items, "]}"));
  ASSERT_EQ(imported.status, 200) << imported.body;
  const auto raise = [&](const std::string& value) {
    return admin.Send(
        "POST", "/v1/incidents",
        absl::StrCat(R"({"title":"Slow queries","impact":3,"urgency":3,"configurationItemIds":[")",
                     value, R"("]})"));
  };
  HttpAnswer found = raise("DB-7");
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_TRUE(absl::StrContains(found.body, db)) << found.body;
  HttpAnswer ambiguous = raise("dup-9");
  EXPECT_EQ(ambiguous.status, 400) << ambiguous.body;
  EXPECT_TRUE(absl::StrContains(ambiguous.body, "configuration_item_ids[0]")) << ambiguous.body;
}

TEST_F(AlertmanagerE2eTest, CredentialsRolesAndBadPayloads) {
  const std::string body = Payload("Refused", "firing", "web-1", "warning");
  EXPECT_EQ(HttpClient(*host_, port_).Send("POST", "/v1/alertmanager:notify", body).status, 401);
  EXPECT_EQ(AsAlertmanager("itsm_not-a-key").Send("POST", "/v1/alertmanager:notify", body).status,
            401);
  EXPECT_EQ(AsAlertmanager(*viewer_key_).Send("POST", "/v1/alertmanager:notify", body).status, 403);
  HttpClient am = AsAlertmanager(*agent_key_);
  struct Case {
    std::string body;
    std::string field;
  };
  std::string unknown = body;
  unknown.insert(1, R"("colour":"red",)");
  std::string version = body;
  version.replace(version.find(R"("version":"4")"), 13, R"("version":"3")");
  std::string status = body;
  status.replace(status.find(R"("status":"firing")"), 17, R"("status":"burning")");
  for (const Case& c :
       {Case{unknown, "colour"}, Case{version, "version"}, Case{status, "status"}}) {
    HttpAnswer a = am.Send("POST", "/v1/alertmanager:notify", c.body);
    EXPECT_EQ(a.status, 400) << a.body;
    EXPECT_TRUE(absl::StrContains(a.body, absl::StrCat("\"field\":\"", c.field))) << a.body;
  }
  HttpAnswer listed = Admin().Send("GET", "/v1/incidents?title_contains=Refused");
  EXPECT_FALSE(absl::StrContains(listed.body, "Refused")) << listed.body;
}

// Debian's prometheus-alertmanager (tools/install-deps.sh) sends its real notifications.
TEST_F(AlertmanagerE2eTest, RealAlertmanagerOpensOneIncidentAndResolvesIt) {
  const char* binary = "/usr/bin/prometheus-alertmanager";
  if (!std::filesystem::exists(binary)) GTEST_SKIP() << "prometheus-alertmanager not installed";
  testing::ScratchDir dir;
  const int am_port = supervisor::FindFreePort();
  const std::string config = absl::StrCat(R"(route:
  receiver: itsm
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: itsm
    webhook_configs:
      - url: 'http://)",
                                          *host_, ":", port_, R"(/v1/alertmanager:notify'
        send_resolved: true
        max_alerts: 100
        http_config:
          authorization:
            type: Bearer
            credentials: ')",
                                          *agent_key_, R"('
)");
  ASSERT_TRUE(supervisor::WriteFileAtomically(dir.File("alertmanager.yml"), config).ok());
  supervisor::ChildProcess::Options am_options;
  am_options.binary = binary;
  am_options.args = {absl::StrCat("--config.file=", dir.File("alertmanager.yml")),
                     absl::StrCat("--storage.path=", dir.File("data")),
                     absl::StrCat("--web.listen-address=127.0.0.1:", am_port),
                     "--cluster.listen-address="};
  am_options.log_file = dir.File("alertmanager.log");
  auto am = supervisor::ChildProcess::Start(am_options);
  ASSERT_TRUE(am.ok()) << am.status();
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    try {  // the client throws while nothing listens yet
                      return HttpClient("127.0.0.1", am_port).Send("GET", "/-/ready").status == 200;
                    } catch (const std::exception&) {
                      return false;
                    }
                  },
                  absl::Seconds(30), "alertmanager ready")
                  .ok())
      << supervisor::ReadFile(dir.File("alertmanager.log")).value_or("");

  auto post_alerts = [&](const std::string& ends_at) {
    // Two alerts of one group (alertname), on the CI web-1 and on an unknown host.
    std::string alerts = "[";
    for (const char* instance : {"web-1:9100", "unknown-host:9100"}) {
      if (alerts.size() > 1) alerts += ",";
      absl::StrAppend(&alerts, R"({"labels":{"alertname":"RealAmHighLoad","instance":")", instance,
                      R"(","severity":"warning"},"annotations":{"summary":"Load above 20"},)",
                      R"("generatorURL":"http://prometheus:9090/graph")",
                      ends_at.empty() ? "" : absl::StrCat(R"(,"endsAt":")", ends_at, R"(")"), "}");
    }
    alerts += "]";
    HttpAnswer a = HttpClient("127.0.0.1", am_port).Send("POST", "/api/v2/alerts", alerts);
    ASSERT_EQ(a.status, 200) << a.body;
  };
  auto find_incidents = [&]() {
    HttpAnswer a = Admin().Send("GET", "/v1/incidents?title_contains=RealAmHighLoad");
    EXPECT_EQ(a.status, 200) << a.body;
    const Struct s = Json(a.body);
    std::vector<Struct> out;
    if (!s.fields().count("incidents")) return out;
    for (const auto& v : s.fields().at("incidents").list_value().values()) {
      out.push_back(v.struct_value());
    }
    return out;
  };

  post_alerts("");
  ASSERT_TRUE(supervisor::WaitUntil([&] { return !find_incidents().empty(); }, absl::Seconds(30),
                                    "incident opened by Alertmanager")
                  .ok())
      << supervisor::ReadFile(dir.File("alertmanager.log")).value_or("");
  // Posting the same alerts again (as Prometheus does every evaluation) changes nothing.
  post_alerts("");
  absl::SleepFor(absl::Seconds(3));  // more than group_interval: any notification has been sent
  std::vector<Struct> incidents = find_incidents();
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(Str(incidents[0], "priority"), "PRIORITY_P3");  // warning -> 2:2
  EXPECT_EQ(Str(incidents[0], "service"), "online-shop");
  EXPECT_TRUE(absl::StrContains(Str(incidents[0], "description"),
                                "instance=\"unknown-host:9100\": no such CI in the CMDB"))
      << Str(incidents[0], "description");
  const std::string id = Str(incidents[0], "id");

  // Resolved: endsAt in the past.
  post_alerts(base::FormatRfc3339(absl::Now() - absl::Seconds(1)));
  ASSERT_TRUE(
      supervisor::WaitUntil(
          [&] { return Str(Incident(id), "incident", "state") == "INCIDENT_STATE_RESOLVED"; },
          absl::Seconds(30), "incident resolved by Alertmanager")
          .ok())
      << supervisor::ReadFile(dir.File("alertmanager.log")).value_or("");
  EXPECT_EQ(find_incidents().size(), 1u);
  EXPECT_EQ(Str(Incident(id), "incident", "resolutionCode"), "Resolved by monitoring");
}

}  // namespace
}  // namespace itsm
