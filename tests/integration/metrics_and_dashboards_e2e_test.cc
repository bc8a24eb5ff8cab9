// Issue 16, parts 1–3, black box: the whole suite as deploy/local/suite.json starts it (on free
// ports), some traffic — a CI, SLA definitions, incidents whose clocks are met and breached, a
// change whose time to authorise breaches, HTTP calls at the gateway — and then:
//  1. every metric docs/metrics.md lists is served by the processes it names, with its labels,
//     every series labelled with its process's `service`, and `promtool check metrics` accepts
//     every /metrics (tests/integration/metrics_doc_check.py);
//  2. a real Prometheus (Debian's), with deploy/prometheus/prometheus.yml moved to the suite's
//     metrics ports and a 1 s scrape and evaluation interval, loads alerts.yml and slo.yml and
//     evaluates every PromQL expression of the dashboards and rule files through its HTTP API:
//     each parses, and each dashboard panel query returns data (tests/integration/promql_check.py;
//     its exemption list is one series no test traffic can make).
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "itsm/change/v1/change.grpc.pb.h"
#include "itsm/incident/v1/incident.grpc.pb.h"
#include "itsm/outbox/v1/outbox_admin.grpc.pb.h"
#include "itsm/sla/v1/sla.grpc.pb.h"
#include "itsm/supervisor/suite_service.h"
#include "launched_suite.h"

namespace itsm {
namespace {

namespace cv1 = change::v1;
namespace iv1 = incident::v1;

const std::string kSource = ITSM_SOURCE_DIR;

// deploy/local/suite.json with every store gauge refreshed each second (the default 15 s would
// only make the test wait), written to `path`.
void WriteSuiteFile(const std::string& path) {
  launcher::v1::SuiteConfig suite;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  supervisor::ReadFile(kSource + "/deploy/local/suite.json").value_or("{}"), &suite)
                  .ok());
  for (auto& service : *suite.mutable_services()) {
    (*service.mutable_env())["ITSM_STORE_GAUGE_INTERVAL_SECONDS"] = "1";
  }
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(suite, &json).ok());
  ASSERT_TRUE(supervisor::WriteFileAtomically(path, json).ok());
}

// deploy/prometheus/prometheus.yml as a user would point it at this suite: each target (named by
// its comment) moved to the process's actual metrics address, 1 s intervals, rule files by
// absolute path. Fails the test when the file has no target for a process of the suite.
std::string PrometheusConfig(const launcher::v1::Endpoints& endpoints) {
  std::map<std::string, std::string> address;
  for (const auto& service : endpoints.services()) {
    absl::string_view url = service.metrics_url();
    EXPECT_TRUE(absl::ConsumePrefix(&url, "http://")) << url;
    address[service.name()] = std::string(url.substr(0, url.find('/')));
  }
  const std::regex target(R"(^(\s*- )\S+(\s*#\s*)(\S+)\s*$)");
  const std::regex rule_file(R"(^(\s*- )(\S+\.yml)\s*$)");
  const std::regex interval(R"(^(\s*(scrape|evaluation)_interval: )\S+\s*$)");
  std::istringstream in(
      supervisor::ReadFile(kSource + "/deploy/prometheus/prometheus.yml").value_or(""));
  std::ostringstream out;
  std::set<std::string> targeted;
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, target)) {
      const std::string name = m[3];
      EXPECT_TRUE(address.contains(name))
          << "prometheus.yml has a target for " << name << ", which the suite does not run";
      targeted.insert(name);
      out << m[1] << address[name] << m[2] << name << "\n";
    } else if (std::regex_match(line, m, rule_file)) {
      out << m[1] << kSource << "/deploy/prometheus/" << m[2] << "\n";
    } else if (std::regex_match(line, m, interval)) {
      out << m[1] << "1s\n";
    } else {
      out << line << "\n";
    }
  }
  for (const auto& [name, unused] : address) {
    EXPECT_TRUE(targeted.contains(name))
        << "deploy/prometheus/prometheus.yml has no target for " << name;
  }
  return out.str();
}

template <typename Stub, typename Request, typename Response>
void Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*), Stub& stub,
          const Request& request, Response* response) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  grpc::Status s = (stub.*method)(&ctx, request, response);
  ASSERT_TRUE(s.ok()) << s.error_message();
}

TEST(MetricsAndDashboards, DocumentedMetricsExistAndEveryDashboardAndRuleQueryWorks) {
  testing::ScratchDir scratch;
  ASSERT_NO_FATAL_FAILURE(WriteSuiteFile(scratch.File("suite.json")));
  testing::LaunchedSuite suite(testing::LaunchedSuite::FromSuiteFile{}, scratch.File("suite.json"));
  ASSERT_NO_FATAL_FAILURE(suite.Start(absl::Seconds(180)));
  const launcher::v1::Endpoints endpoints = suite.Endpoints();

  // Prometheus first, so it sees the traffic happen (rates need two samples).
  const int prometheus_port = supervisor::FindFreePort();
  const std::string prometheus = absl::StrCat("127.0.0.1:", prometheus_port);
  ASSERT_TRUE(
      supervisor::WriteFileAtomically(scratch.File("prometheus.yml"), PrometheusConfig(endpoints))
          .ok());
  supervisor::ChildProcess::Options prometheus_options;
  prometheus_options.binary = "prometheus";
  prometheus_options.args = {"--config.file=" + scratch.File("prometheus.yml"),
                             "--storage.tsdb.path=" + scratch.File("tsdb"),
                             "--web.listen-address=" + prometheus};
  prometheus_options.log_file = scratch.File("prometheus.log");
  auto prometheus_process = supervisor::ChildProcess::Start(prometheus_options);
  ASSERT_TRUE(prometheus_process.ok()) << prometheus_process.status();
  ASSERT_TRUE(supervisor::WaitUntil([&] { return supervisor::ScrapeMetrics(prometheus).ok(); },
                                    absl::Seconds(60), "prometheus")
                  .ok())
      << supervisor::ReadFile(prometheus_options.log_file).value_or("");

  // A business service, a 24x7 calendar and two definitions on it: incidents must be responded
  // to in 3 s (one is, one is not: met and breached), changes authorised in 2 s (breached).
  std::string out;
  ASSERT_EQ(suite.Itsmctl({"--output", "json", "ci", "create", "--class", "business_service",
                           "--name", "payments", "--status", "live"},
                          &out),
            0)
      << out;
  const std::string service_id = testing::WordAfter(out, "\"id\": \"");
  ASSERT_FALSE(service_id.empty()) << out;
  auto sla = sla::v1::SlaService::NewStub(suite.AdminChannel("sla"));
  sla::v1::CreateCalendarRequest calendar;
  calendar.mutable_calendar()->set_name("24x7");
  calendar.mutable_calendar()->set_time_zone("UTC");
  calendar.mutable_calendar()->set_always_open(true);
  sla::v1::CreateCalendarResponse calendar_out;
  ASSERT_NO_FATAL_FAILURE(
      Call(&sla::v1::SlaService::Stub::CreateCalendar, *sla, calendar, &calendar_out));
  for (const auto kind : {sla::v1::RECORD_KIND_UNSPECIFIED, sla::v1::RECORD_KIND_CHANGE}) {
    sla::v1::CreateSlaDefinitionRequest definition;
    sla::v1::SlaDefinition* d = definition.mutable_definition();
    d->set_name(kind == sla::v1::RECORD_KIND_CHANGE ? "Time to authorise" : "Time to respond");
    d->set_kind(sla::v1::AGREEMENT_KIND_OLA);
    d->set_internal_group("operations");
    d->set_record_kind(kind);
    d->mutable_coverage()->add_services(service_id);
    d->set_calendar_id(calendar_out.calendar().id());
    for (int p = iv1::PRIORITY_P1; p <= iv1::PRIORITY_P5; ++p) {
      auto* target = d->add_targets();
      target->set_priority(static_cast<iv1::Priority>(p));
      target->mutable_response_target()->set_seconds(kind == sla::v1::RECORD_KIND_CHANGE ? 2 : 3);
    }
    sla::v1::CreateSlaDefinitionResponse created;
    ASSERT_NO_FATAL_FAILURE(
        Call(&sla::v1::SlaService::Stub::CreateSlaDefinition, *sla, definition, &created));
  }

  // Incidents: one assigned at once (its response clock is met), one left new (breached).
  auto incidents = iv1::IncidentService::NewStub(suite.AdminChannel("incident"));
  std::vector<iv1::Incident> created;
  for (const char* title : {"Payments slow", "Payments down"}) {
    iv1::CreateIncidentRequest r;
    r.set_title(title);
    r.set_service(service_id);
    r.set_impact(2);
    r.set_urgency(2);
    iv1::CreateIncidentResponse response;
    ASSERT_NO_FATAL_FAILURE(
        Call(&iv1::IncidentService::Stub::CreateIncident, *incidents, r, &response));
    created.push_back(response.incident());
  }
  {
    iv1::AssignIncidentRequest r;
    r.set_id(created[0].id());
    r.set_version(created[0].version());
    r.set_assignment_group("operations");
    r.set_assignee("ada");
    iv1::AssignIncidentResponse response;
    ASSERT_NO_FATAL_FAILURE(
        Call(&iv1::IncidentService::Stub::AssignIncident, *incidents, r, &response));
  }

  // A change sent for authorisation and left there (breached by change-sla-timer).
  auto changes = cv1::ChangeService::NewStub(suite.AdminChannel("change"));
  cv1::Change change;
  {
    cv1::CreateChangeRequest r;
    r.set_type(cv1::CHANGE_TYPE_NORMAL);
    r.set_title("Left waiting for authorisation");
    r.add_affected_service_ids(service_id);
    cv1::CreateChangeResponse response;
    ASSERT_NO_FATAL_FAILURE(Call(&cv1::ChangeService::Stub::CreateChange, *changes, r, &response));
    change = response.change();
  }
  for (cv1::ChangeState to : {cv1::CHANGE_STATE_ASSESS, cv1::CHANGE_STATE_AUTHORISE}) {
    cv1::TransitionChangeRequest r;
    r.set_id(change.id());
    r.set_version(change.version());
    r.set_target_state(to);
    cv1::TransitionChangeResponse response;
    ASSERT_NO_FATAL_FAILURE(
        Call(&cv1::ChangeService::Stub::TransitionChange, *changes, r, &response));
    change = response.change();
  }

  // HTTP at the gateway: lists, a route that is not there, and an event stream for a moment.
  const auto [host, port] = suite.HttpHostPort("gateway");
  ASSERT_NE(port, 0);
  const std::string base = absl::StrCat("http://", host, ":", port);
  const std::string authorization =
      "Authorization: " +
      suite.Authorization({.subject = "test-admin", .roles = {common::v1::ROLE_ADMIN}});
  for (const std::string& path :
       {std::string("/v1/incidents"), std::string("/v1/changes"), std::string("/v1/nowhere")}) {
    EXPECT_GE(testing::RunTool(
                  {"/usr/bin/curl", "-s", "-o", "/dev/null", "-H", authorization, base + path},
                  scratch.File("curl.log"), &out),
              0);
  }
  testing::RunTool({"/usr/bin/curl", "-s", "-N", "--max-time", "2", "-H", authorization,
                    base + "/v1/events?types=itsm.incident.v1.IncidentCreated"},
                   scratch.File("curl-events.log"), &out);

  // A call to every service, so that each dashboard's call panels have data, even for services
  // this traffic does not call (the SLA timers, supplier, webhooks): GetOutboxStats, the admin
  // call every publishing service serves (UNIMPLEMENTED elsewhere, which counts as a call too).
  for (const auto& service : endpoints.services()) {
    auto admin = outbox::v1::OutboxAdminService::NewStub(suite.AdminChannel(service.name()));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    outbox::v1::GetOutboxStatsResponse stats;
    const grpc::Status status = admin->GetOutboxStats(&ctx, {}, &stats);
    EXPECT_TRUE(status.ok() || status.error_code() == grpc::StatusCode::UNIMPLEMENTED)
        << service.name() << ": " << status.error_message();
  }

  // The breaches and the met clock have reached the SLA service's history (its store gauges):
  // everything the docs promise after traffic is there now.
  const std::string sla_metrics = [&] {
    for (const auto& service : endpoints.services()) {
      absl::string_view url = service.metrics_url();
      if (service.name() == "sla" && absl::ConsumePrefix(&url, "http://")) {
        return std::string(url.substr(0, url.find('/')));
      }
    }
    return std::string();
  }();
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    const std::string body = supervisor::ScrapeMetrics(sla_metrics).value_or("");
                    return absl::StrContains(body, R"(outcome="met")") &&
                           absl::StrContains(body, R"(breached="true")");
                  },
                  absl::Seconds(90), "met and breached clocks in the SLA history")
                  .ok())
      << supervisor::ScrapeMetrics(sla_metrics).value_or("");

  // 1. docs/metrics.md, every process, promtool.
  EXPECT_EQ(testing::RunTool({"python3", kSource + "/tests/integration/metrics_doc_check.py",
                              kSource, suite.endpoints_file()},
                             scratch.File("metrics_doc_check.log"), &out),
            0)
      << out;
  std::cout << out;

  // 2. Every dashboard and rule expression through Prometheus (it retries for up to 90 s while
  // a panel still lacks data: scrapes and rule evaluations catch up).
  EXPECT_EQ(testing::RunTool({"python3", kSource + "/tests/integration/promql_check.py", kSource,
                              "http://" + prometheus, "--require-data", "--wait-seconds", "90"},
                             scratch.File("promql_check.log"), &out),
            0)
      << out << supervisor::ReadFile(prometheus_options.log_file).value_or("");
  std::cout << out;

  (*prometheus_process)->Stop(absl::Seconds(10));
  EXPECT_EQ(suite.Stop(), 0) << suite.launch_log();
}

}  // namespace
}  // namespace itsm
