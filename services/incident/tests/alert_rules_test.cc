// The pure rules of alert intake, with payloads in Alertmanager's documented webhook format
// (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config) parsed the way the
// gateway parses them (proto3 JSON, unknown fields refused).
#include "services/incident/src/alert_rules.h"

#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "itsm/base/error_detail.h"
#include "itsm/limits/field_limits.h"
#include "services/incident/src/text_bounds.h"

namespace itsm::incident {
namespace {

// Alertmanager 0.25's payload for a group of two firing alerts, as it sends it.
constexpr char kDocumentedPayload[] = R"json({
  "receiver": "itsm",
  "status": "firing",
  "alerts": [
    {
      "status": "firing",
      "labels": {"alertname": "InstanceDown", "instance": "web-1:9100", "job": "node",
                 "severity": "warning"},
      "annotations": {"summary": "web-1 is down", "description": "No scrape for 5 minutes.\nCheck it."},
      "startsAt": "2026-11-30T10:00:00.123456789Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "http://prometheus:9090/graph?g0.expr=up+%3D%3D+0",
      "fingerprint": "5ef77f1f8e1b2c3d"
    },
    {
      "status": "firing",
      "labels": {"alertname": "InstanceDown", "instance": "web-2:9100", "job": "node",
                 "severity": "critical"},
      "annotations": {"summary": "web-2 is down"},
      "startsAt": "2026-11-30T10:00:30Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "http://prometheus:9090/graph?g0.expr=up+%3D%3D+0",
      "fingerprint": "a1b2c3d4e5f60718"
    }
  ],
  "groupLabels": {"alertname": "InstanceDown"},
  "commonLabels": {"alertname": "InstanceDown", "job": "node"},
  "commonAnnotations": {},
  "externalURL": "http://alertmanager:9093",
  "version": "4",
  "groupKey": "{}:{alertname=\"InstanceDown\"}",
  "truncatedAlerts": 0
})json";

v1::NotifyAlertmanagerRequest Parse(const std::string& json) {
  v1::NotifyAlertmanagerRequest request;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &request, options);
  EXPECT_TRUE(status.ok()) << status.ToString();
  return request;
}

AlertSettings Settings(const std::string& resolution = "resolve") {
  auto s = AlertSettings::Parse({.ci_labels = "ci, instance",
                                 .service_labels = "service",
                                 .severity_label = "severity",
                                 .severity_priorities = "critical=1:1,warning=2:2,*=3:3",
                                 .resolution = resolution},
                                PriorityMatrix::Default());
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : AlertSettings{};
}

TEST(AlertPayload, DocumentedPayloadParsesAsAlertmanagerSendsIt) {
  const auto request = Parse(kDocumentedPayload);
  EXPECT_EQ(request.external_url(), "http://alertmanager:9093");
  EXPECT_EQ(request.alerts(0).generator_url(), "http://prometheus:9090/graph?g0.expr=up+%3D%3D+0");
  EXPECT_EQ(request.alerts(0).ends_at().seconds(), -62135596800);  // Go's zero time
  EXPECT_EQ(request.alerts(0).starts_at().nanos(), 123456789);
  EXPECT_TRUE(limits::CheckFieldLimits(request).ok());
  EXPECT_TRUE(ValidateNotification(request).ok());
}

TEST(AlertPayload, UnknownFieldIsRefused) {
  v1::NotifyAlertmanagerRequest request;
  google::protobuf::util::JsonParseOptions options;
  EXPECT_FALSE(
      google::protobuf::util::JsonStringToMessage(R"({"version":"4","bogus":1})", &request, options)
          .ok());
}

TEST(AlertValidation, EveryErrorNamesItsField) {
  auto field_of = [](const v1::NotifyAlertmanagerRequest& r) {
    return base::ErrorField(ValidateNotification(r)).value_or("(none)");
  };
  auto r = Parse(kDocumentedPayload);
  r.set_version("3");
  EXPECT_EQ(field_of(r), "version");
  r = Parse(kDocumentedPayload);
  r.clear_group_key();
  EXPECT_EQ(field_of(r), "group_key");
  r = Parse(kDocumentedPayload);
  r.set_status("pending");
  EXPECT_EQ(field_of(r), "status");
  r = Parse(kDocumentedPayload);
  r.mutable_alerts(1)->set_status("active");
  EXPECT_EQ(field_of(r), "alerts[1].status");
  r = Parse(kDocumentedPayload);
  r.mutable_alerts(0)->mutable_labels()->clear();
  EXPECT_EQ(field_of(r), "alerts[0].labels");
  r = Parse(kDocumentedPayload);
  r.mutable_alerts(0)->set_fingerprint("zz");
  EXPECT_EQ(field_of(r), "alerts[0].fingerprint");
  r = Parse(kDocumentedPayload);
  r.set_status("resolved");  // but both alerts fire
  EXPECT_EQ(field_of(r), "status");
  r = Parse(kDocumentedPayload);
  r.clear_alerts();
  EXPECT_EQ(field_of(r), "alerts");
}

TEST(AlertValidation, DeclaredLimitsBoundTheNotification) {
  auto r = Parse(kDocumentedPayload);
  for (int i = 0; i < 100; ++i) *r.add_alerts() = r.alerts(0);
  EXPECT_EQ(base::ErrorField(limits::CheckFieldLimits(r)).value_or(""), "alerts");
  r = Parse(kDocumentedPayload);
  (*r.mutable_alerts(0)->mutable_labels())["instance"] = std::string(1001, 'x');
  EXPECT_FALSE(limits::CheckFieldLimits(r).ok());
}

TEST(AlertSettingsParse, RefusesWhatItCannotApply) {
  const auto matrix = PriorityMatrix::Default();
  AlertSettings::Text text{.ci_labels = "ci",
                           .service_labels = "service",
                           .severity_label = "severity",
                           .severity_priorities = "critical=1:1,*=3:3",
                           .resolution = "resolve"};
  EXPECT_TRUE(AlertSettings::Parse(text, matrix).ok());
  auto bad = text;
  bad.severity_priorities = "critical=1:1";
  EXPECT_NE(AlertSettings::Parse(bad, matrix).status().message().find("\"*\""), std::string::npos);
  bad.severity_priorities = "critical=4:1,*=3:3";
  EXPECT_NE(AlertSettings::Parse(bad, matrix).status().message().find("outside the priority"),
            std::string::npos);
  bad.severity_priorities = "critical=high,*=3:3";
  EXPECT_FALSE(AlertSettings::Parse(bad, matrix).ok());
  bad = text;
  bad.resolution = "close";
  EXPECT_NE(AlertSettings::Parse(bad, matrix).status().message().find("alert_resolution"),
            std::string::npos);
  bad = text;
  bad.ci_labels = "ci,host name";
  EXPECT_NE(AlertSettings::Parse(bad, matrix).status().message().find("alert_ci_labels"),
            std::string::npos);
}

TEST(AlertSettingsParse, MostUrgentFiringSeverityWins) {
  const auto matrix = PriorityMatrix::Default();
  const AlertSettings s = Settings();
  auto r = Parse(kDocumentedPayload);
  ImpactUrgency level = s.LevelOf(r, matrix);
  EXPECT_EQ(level.impact, 1);  // web-2 is critical
  EXPECT_EQ(level.urgency, 1);
  r.mutable_alerts(1)->set_status("resolved");  // a resolved alert does not count
  level = s.LevelOf(r, matrix);
  EXPECT_EQ(level.impact, 2);
  EXPECT_EQ(level.urgency, 2);
  (*r.mutable_alerts(0)->mutable_labels())["severity"] = "Page-Me";  // unknown: "*"
  level = s.LevelOf(r, matrix);
  EXPECT_EQ(level.impact, 3);
  r.mutable_alerts(0)->mutable_labels()->erase("severity");
  (*r.mutable_common_labels())["severity"] = "CRITICAL";  // the common label, any case
  level = s.LevelOf(r, matrix);
  EXPECT_EQ(level.impact, 1);
}

TEST(AlertSettingsParse, CiAndServiceLabelsInTheirOrder) {
  const AlertSettings s = Settings();
  auto r = Parse(kDocumentedPayload);
  std::string label;
  EXPECT_EQ(s.CiValueOf(r.alerts(0), &label), "web-1:9100");
  EXPECT_EQ(label, "instance");
  (*r.mutable_alerts(0)->mutable_labels())["ci"] = "server/web-1";
  EXPECT_EQ(s.CiValueOf(r.alerts(0), &label), "server/web-1");
  EXPECT_EQ(label, "ci");
  EXPECT_EQ(s.ServiceValueOf(r), "");
  (*r.mutable_alerts(1)->mutable_labels())["service"] = "online-shop";
  EXPECT_EQ(s.ServiceValueOf(r), "online-shop");
}

TEST(AlertDigest, RetryAndRepeatAreTheSameNewsIsNot) {
  const auto first = Parse(kDocumentedPayload);
  auto repeat = first;
  // Alertmanager re-sends annotations with each evaluation's values, and in any alert order.
  (*repeat.mutable_alerts(0)->mutable_annotations())["description"] = "No scrape for 9 minutes.";
  repeat.mutable_alerts()->SwapElements(0, 1);
  EXPECT_EQ(NotificationDigest(first), NotificationDigest(repeat));
  auto resolved = first;
  resolved.mutable_alerts(0)->set_status("resolved");
  resolved.mutable_alerts(0)->mutable_ends_at()->set_seconds(1'800'000'000);
  EXPECT_NE(NotificationDigest(first), NotificationDigest(resolved));
  auto joined = first;
  *joined.add_alerts() = first.alerts(0);
  joined.mutable_alerts(2)->set_fingerprint("0011223344556677");
  EXPECT_NE(NotificationDigest(first), NotificationDigest(joined));
}

TEST(AlertIdentityTest, FingerprintOrLabelHash) {
  auto r = Parse(kDocumentedPayload);
  EXPECT_EQ(AlertIdentity(r.alerts(0)), "5ef77f1f8e1b2c3d");
  r.mutable_alerts(0)->clear_fingerprint();
  const std::string computed = AlertIdentity(r.alerts(0));
  EXPECT_EQ(computed.size(), 16u);
  r.mutable_alerts(1)->clear_fingerprint();
  EXPECT_NE(computed, AlertIdentity(r.alerts(1)));
  EXPECT_EQ(GroupKeyHash("a").size(), 64u);
}

TEST(AlertTexts, TitleDescriptionAndLimits) {
  auto r = Parse(kDocumentedPayload);
  EXPECT_EQ(IncidentTitle(r), "InstanceDown: web-1 is down");
  (*r.mutable_common_annotations())["summary"] = "Two web servers\ndown";
  EXPECT_EQ(IncidentTitle(r), "InstanceDown: Two web servers down");
  (*r.mutable_common_annotations())["summary"] = std::string(300, 'x');
  EXPECT_EQ(IncidentTitle(r).size(), 200u);
  const std::string d = IncidentDescription(r, {"instance=\"web-1:9100\": CI server/web-1"});
  EXPECT_NE(d.find("http://alertmanager:9093"), std::string::npos);
  EXPECT_NE(d.find("instance=\"web-2:9100\""), std::string::npos);
  EXPECT_NE(d.find("No scrape for 5 minutes."), std::string::npos);
  EXPECT_NE(d.find("CMDB:\n- instance=\"web-1:9100\": CI server/web-1"), std::string::npos);
  EXPECT_EQ(TruncateChars("\xc3\xa9\xc3\xa9\xc3\xa9", 2), "\xc3\xa9\xc3\xa9");
}

TEST(AlertStorm, MostGroupsThenNearestThenId) {
  EXPECT_EQ(StormCause({{"db", 4, 4}, {"storage", 4, 8}}, 5), std::nullopt);
  EXPECT_EQ(StormCause({{"db", 5, 5}, {"storage", 5, 10}}, 5), "db");
  EXPECT_EQ(StormCause({{"db", 5, 5}, {"storage", 6, 12}}, 5), "storage");
  EXPECT_EQ(StormCause({{"b", 5, 5}, {"a", 5, 5}}, 5), "a");
  EXPECT_EQ(StormCause({{"db", 50, 50}}, 0), std::nullopt);  // folding off
}

}  // namespace
}  // namespace itsm::incident
