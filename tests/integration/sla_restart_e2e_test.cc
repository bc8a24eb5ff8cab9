// Issue 12, finding 6, black box: SLA history survives the loss of the broker.
//
// The launcher's embedded broker keeps everything in memory, and the launcher stops the whole
// suite when any of its processes dies, the broker included (docs/operations.md): for the local
// suite a broker loss is a suite restart. Both ways are tested: itsm-launch stopped with SIGTERM,
// and the broker killed (SIGKILL) under a running suite; then itsm-launch starts again on the
// same run dir, with an empty broker.
//
// Before the stop, one clock in every state: met, breached (completed and still running), paused,
// cancelled, running, and one running clock that falls due across the restart. After it: every
// incident's status and the compliance reports (several dimensions and periods) are what they
// were, field by field (clocks still open: what must be equal is, and elapsed time only grew);
// the clock that fell due fires once, on the new broker; a new incident gets its clocks.
#include <algorithm>
#include <functional>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "itsm/base/time_util.h"
#include "itsm/incident/v1/incident.grpc.pb.h"
#include "itsm/sla/v1/events.pb.h"
#include "itsm/sla/v1/sla.grpc.pb.h"
#include "itsm/supervisor/suite_service.h"
#include "itsm/testing/kafka_reader.h"
#include "launched_suite.h"
#include "services/sla-timer/tests/test_support.h"

namespace itsm {
namespace {

using incident::v1::Incident;
using sla::v1::ClockStatus;
using sla::v1::GetComplianceReportRequest;
using sla::v1::GetComplianceReportResponse;

constexpr char kSlaTopic[] = "itsm.sla.v1";
// Long enough that nothing of it falls due (or warns) during the test.
constexpr absl::Duration kSteadyTarget = absl::Seconds(600);
// Breaches within the set-up.
constexpr absl::Duration kFastTarget = absl::Seconds(2);
// Started just before the stop, due after it: falls due across the restart. The test asserts
// that the old suite lost its broker (or its timer) before it was due.
constexpr absl::Duration kAcrossTarget = absl::Seconds(10);
// Clocks the set-up starts: two per "steady" incident (five), one per other (three).
constexpr int kClocks = 13;

// Sets up SLAs and raises incidents: an SLA manager who is an agent too.
const auth::Identity kTester{.subject = "sla-restart-test",
                             .roles = {common::v1::ROLE_SLA_MANAGER, common::v1::ROLE_AGENT}};

void Prepare(grpc::ClientContext& ctx) {
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

// The services the test talks to, at the addresses of the running launcher.
class Clients {
 public:
  explicit Clients(const testing::LaunchedSuite& suite)
      : incidents_(incident::v1::IncidentService::NewStub(suite.Channel("incident", kTester))),
        slas_(sla::v1::SlaService::NewStub(suite.Channel("sla", kTester))) {}

  std::string CreateCalendar() {
    sla::v1::CreateCalendarRequest r;
    *r.mutable_calendar() = sla_timer::testing::AlwaysOpen("", "Always open");
    sla::v1::CreateCalendarResponse out;
    grpc::ClientContext ctx;
    Prepare(ctx);
    grpc::Status s = slas_->CreateCalendar(&ctx, r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.calendar().id();
  }

  // An SLA for `service`: P1 resolution `resolve`, and response `respond` when not zero.
  std::string CreateDefinition(const std::string& service, const std::string& calendar_id,
                               absl::Duration resolve, absl::Duration respond) {
    sla::v1::CreateSlaDefinitionRequest r;
    *r.mutable_definition() =
        sla_timer::testing::ShortSla("", service, calendar_id, resolve, respond);
    sla::v1::CreateSlaDefinitionResponse out;
    grpc::ClientContext ctx;
    Prepare(ctx);
    grpc::Status s = slas_->CreateSlaDefinition(&ctx, r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.definition().id();
  }

  // A P1 incident (impact 1, urgency 1) on `service`.
  Incident Create(const std::string& title, const std::string& service) {
    incident::v1::CreateIncidentRequest r;
    r.set_title(title);
    r.set_service(service);
    r.set_impact(1);
    r.set_urgency(1);
    incident::v1::CreateIncidentResponse out;
    grpc::ClientContext ctx;
    Prepare(ctx);
    grpc::Status s = incidents_->CreateIncident(&ctx, r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(out.incident().priority(), incident::v1::PRIORITY_P1);
    return out.incident();
  }

  // An assignee is a response: the response clock stops.
  void Assign(Incident& i) {
    incident::v1::AssignIncidentRequest r;
    r.set_id(i.id());
    r.set_version(i.version());
    r.set_assignment_group("service-desk");
    r.set_assignee("ann");
    incident::v1::AssignIncidentResponse out;
    grpc::ClientContext ctx;
    Prepare(ctx);
    grpc::Status s = incidents_->AssignIncident(&ctx, r, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    i = out.incident();
  }

  void MoveToService(Incident& i, const std::string& service) {
    incident::v1::UpdateIncidentRequest r;
    r.mutable_incident()->set_id(i.id());
    r.mutable_incident()->set_version(i.version());
    r.mutable_incident()->set_service(service);
    r.mutable_update_mask()->add_paths("service");
    incident::v1::UpdateIncidentResponse out;
    grpc::ClientContext ctx;
    Prepare(ctx);
    grpc::Status s = incidents_->UpdateIncident(&ctx, r, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    i = out.incident();
  }

  void Transition(Incident& i, incident::v1::IncidentState state) {
    incident::v1::TransitionIncidentRequest r;
    r.set_id(i.id());
    r.set_version(i.version());
    r.set_target_state(state);
    if (state == incident::v1::INCIDENT_STATE_ON_HOLD) {
      r.set_hold_reason(incident::v1::HOLD_REASON_AWAITING_CALLER);
    }
    if (state == incident::v1::INCIDENT_STATE_RESOLVED) {
      r.set_resolution_code("fixed");
      r.set_resolution_notes("restarted the mail relay");
    }
    if (state == incident::v1::INCIDENT_STATE_CANCELLED) r.set_cancel_reason("raised in error");
    incident::v1::TransitionIncidentResponse out;
    grpc::ClientContext ctx;
    Prepare(ctx);
    grpc::Status s = incidents_->TransitionIncident(&ctx, r, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    i = out.incident();
  }

  std::vector<ClockStatus> Status(const std::string& incident_id) {
    sla::v1::GetIncidentSlaStatusRequest r;
    r.set_incident_id(incident_id);
    sla::v1::GetIncidentSlaStatusResponse out;
    grpc::ClientContext ctx;
    Prepare(ctx);
    grpc::Status s = slas_->GetIncidentSlaStatus(&ctx, r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {out.clocks().begin(), out.clocks().end()};
  }

  GetComplianceReportResponse Report(const GetComplianceReportRequest& r) {
    GetComplianceReportResponse out;
    grpc::ClientContext ctx;
    Prepare(ctx);
    grpc::Status s = slas_->GetComplianceReport(&ctx, r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

 private:
  std::unique_ptr<incident::v1::IncidentService::Stub> incidents_;
  std::unique_ptr<sla::v1::SlaService::Stub> slas_;
};

// "response:met resolution:paused": each clock's kind and state, in the status's order.
std::string Summary(const std::vector<ClockStatus>& clocks) {
  std::vector<std::string> parts;
  for (const auto& c : clocks) {
    parts.push_back(
        absl::StrCat(c.clock_kind() == sla::v1::CLOCK_KIND_RESPONSE ? "response" : "resolution",
                     ":", c.state()));
  }
  return absl::StrJoin(parts, " ");
}

absl::Time TimeOf(const google::protobuf::Timestamp& t) { return base::FromProtoTimestamp(t); }
absl::Duration DurationOf(const google::protobuf::Duration& d) {
  return base::FromProtoDuration(d);
}

// Every field of a closed clock's status is history; an open clock's elapsed times are
// extended to the call (they may only have grown), and a running one may have become breached
// (at its due time) or received an event (a warning) since.
void ExpectSameClock(const ClockStatus& before, const ClockStatus& after) {
  SCOPED_TRACE(
      absl::StrCat("before: ", before.ShortDebugString(), "\nafter:  ", after.ShortDebugString()));
  ClockStatus fixed_before = before, fixed_after = after;
  auto clear = [&](auto clear_field) {
    clear_field(fixed_before);
    clear_field(fixed_after);
  };
  if (before.stage() == sla::v1::CLOCK_STAGE_PAUSED ||
      before.stage() == sla::v1::CLOCK_STAGE_RUNNING) {
    EXPECT_GE(DurationOf(after.actual_elapsed()), DurationOf(before.actual_elapsed()));
    EXPECT_GE(DurationOf(after.paused_duration()), DurationOf(before.paused_duration()));
    clear([](ClockStatus& c) {
      c.clear_actual_elapsed();
      c.clear_paused_duration();
    });
  }
  if (before.stage() == sla::v1::CLOCK_STAGE_RUNNING) {
    EXPECT_GE(DurationOf(after.business_elapsed()), DurationOf(before.business_elapsed()));
    EXPECT_LE(DurationOf(after.remaining()), DurationOf(before.remaining()));
    EXPECT_GE(TimeOf(after.last_event_time()), TimeOf(before.last_event_time()));
    EXPECT_TRUE(after.breached() || !before.breached()) << "a breach went away";
    clear([](ClockStatus& c) {
      c.clear_business_elapsed();
      c.clear_remaining();
      c.clear_last_event_time();
      c.clear_breached();
      c.clear_state();
    });
  }
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(fixed_before, fixed_after));
}

// The reports compared across the restart: clocks started before `cut` (the clock falling due
// across the restart started after it, so its breach changes none of them), by several
// dimensions and periods.
std::vector<GetComplianceReportRequest> Reports(absl::Time cut) {
  std::vector<GetComplianceReportRequest> out;
  auto add = [&](std::vector<sla::v1::ReportDimension> by, sla::v1::ReportPeriod period,
                 const std::string& zone, const std::string& service) {
    GetComplianceReportRequest& r = out.emplace_back();
    *r.mutable_end_time() = base::ToProtoTimestamp(cut);
    for (auto d : by) r.add_group_by(d);
    r.set_period(period);
    r.set_time_zone(zone);
    r.set_service(service);
  };
  using sla::v1::ReportDimension;
  add({}, sla::v1::REPORT_PERIOD_UNSPECIFIED, "", "");
  add({sla::v1::REPORT_DIMENSION_SERVICE}, sla::v1::REPORT_PERIOD_UNSPECIFIED, "", "");
  add({sla::v1::REPORT_DIMENSION_PRIORITY, sla::v1::REPORT_DIMENSION_SLA_DEFINITION},
      sla::v1::REPORT_PERIOD_UNSPECIFIED, "", "");
  add({sla::v1::REPORT_DIMENSION_PERIOD}, sla::v1::REPORT_PERIOD_DAY, "Pacific/Kiritimati", "");
  add({sla::v1::REPORT_DIMENSION_SERVICE, sla::v1::REPORT_DIMENSION_PERIOD},
      sla::v1::REPORT_PERIOD_WEEK, "America/New_York", "");
  add({sla::v1::REPORT_DIMENSION_PERIOD}, sla::v1::REPORT_PERIOD_MONTH, "", "fast");
  return out;
}

// Sum of the samples of `metric` whose labels contain `label` (e.g. group="itsm-sla-projection").
int64_t MetricSum(const std::string& text, const std::string& metric, const std::string& label) {
  int64_t sum = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, metric + "{") || !absl::StrContains(line, label)) continue;
    double value = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) {
      sum += static_cast<int64_t>(value);
    }
  }
  return sum;
}

// The clock events on the topic by type and clock id, and how many records there are in all.
struct TopicContents {
  std::map<std::string, std::map<std::string, int>> by_type;  // ce_type -> clock id -> count
  size_t records = 0;
};
TopicContents ReadSlaTopic(const std::string& bootstrap) {
  TopicContents out;
  auto records = itsm::testing::ReadTopic(bootstrap, kSlaTopic, 1, absl::Seconds(2));
  EXPECT_TRUE(records.ok()) << records.status();
  if (!records.ok()) return out;
  out.records = records->size();
  for (const auto& r : *records) {
    const std::string type = r.Header("ce_type");
    if (!absl::StrContains(type, "Sla") || absl::StrContains(type, "Definition")) continue;
    sla::v1::SlaBreached any;  // every clock event starts with its SlaClock (field 1)
    EXPECT_TRUE(any.ParseFromString(r.value)) << type;
    ++out.by_type[type][any.clock().clock_id()];
  }
  return out;
}

// How the old suite ends.
enum class Loss { kLauncherStopped, kBrokerKilled };

class SlaHistoryAcrossABrokerLoss : public ::testing::TestWithParam<Loss> {};

TEST_P(SlaHistoryAcrossABrokerLoss, StatusAndReportsStayAndARunningClockFiresOnce) {
  // No grace period on the stop: nothing balances load here, and the suite stops twice.
  testing::LaunchedSuite suite({"incident", "sla", "sla-timer"}, {{"ITSM_SHUTDOWN_GRACE_MS", "0"}});
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  auto clients = std::make_unique<Clients>(suite);
  const std::string calendar = clients->CreateCalendar();
  clients->CreateDefinition("steady", calendar, kSteadyTarget, kSteadyTarget);
  clients->CreateDefinition("fast", calendar, kFastTarget, absl::ZeroDuration());
  const std::string across_definition =
      clients->CreateDefinition("across", calendar, kAcrossTarget, absl::ZeroDuration());
  ASSERT_FALSE(HasFailure());

  // One incident per clock state, all P1.
  Incident met = clients->Create("met", "steady");
  Incident breached_done = clients->Create("breached, resolved", "fast");
  Incident breached_open = clients->Create("breached, open", "fast");
  Incident paused = clients->Create("on hold", "steady");
  Incident cancelled = clients->Create("cancelled", "steady");
  Incident running = clients->Create("running", "steady");
  // Moved to a service no SLA covers: its clocks are cancelled, and stay booked to "steady".
  Incident moved = clients->Create("moved", "steady");
  const absl::Time cut = absl::Now();
  ASSERT_NO_FATAL_FAILURE(clients->Assign(met));
  ASSERT_NO_FATAL_FAILURE(clients->Transition(met, incident::v1::INCIDENT_STATE_RESOLVED));
  ASSERT_NO_FATAL_FAILURE(clients->Assign(paused));
  ASSERT_NO_FATAL_FAILURE(clients->Transition(paused, incident::v1::INCIDENT_STATE_ON_HOLD));
  ASSERT_NO_FATAL_FAILURE(clients->Transition(cancelled, incident::v1::INCIDENT_STATE_CANCELLED));
  ASSERT_NO_FATAL_FAILURE(clients->MoveToService(moved, "elsewhere"));

  // Waits until the SLA service's history of `incident` reads `summary` and `settled` holds
  // (the timer's events applied, not only extended to the call).
  auto wait_for = [&](const Incident& incident, const std::string& summary,
                      const std::function<bool(const std::vector<ClockStatus>&)>& settled) {
    std::vector<ClockStatus> last;
    absl::Status waited = supervisor::WaitUntil(
        [&] {
          last = clients->Status(incident.id());
          return Summary(last) == summary && settled(last);
        },
        absl::Seconds(30), incident.title(), absl::Milliseconds(100));
    EXPECT_TRUE(waited.ok()) << incident.title() << ": " << Summary(last);
    return last;
  };
  auto stage_is = [](sla::v1::ClockStage stage) {
    return [stage](const std::vector<ClockStatus>& clocks) {
      return std::all_of(clocks.begin(), clocks.end(),
                         [stage](const ClockStatus& c) { return c.stage() == stage; });
    };
  };
  // A breach is applied when the clock's last event is at (or after) its due time; before, the
  // status shows "breached" only by extending the clock to the call.
  auto breach_applied = [](const std::vector<ClockStatus>& clocks) {
    return std::all_of(clocks.begin(), clocks.end(), [](const ClockStatus& c) {
      return TimeOf(c.last_event_time()) >= TimeOf(c.due_time());
    });
  };
  auto any = [](const std::vector<ClockStatus>&) { return true; };

  wait_for(breached_done, "resolution:breached", breach_applied);
  ASSERT_NO_FATAL_FAILURE(
      clients->Transition(breached_done, incident::v1::INCIDENT_STATE_RESOLVED));
  std::map<std::string, std::vector<ClockStatus>> before;
  before[met.id()] =
      wait_for(met, "response:met resolution:met", stage_is(sla::v1::CLOCK_STAGE_COMPLETED));
  before[breached_done.id()] =
      wait_for(breached_done, "resolution:breached", stage_is(sla::v1::CLOCK_STAGE_COMPLETED));
  before[paused.id()] = wait_for(paused, "response:met resolution:paused", any);
  before[cancelled.id()] = wait_for(cancelled, "response:cancelled resolution:cancelled", any);
  before[running.id()] = wait_for(running, "response:running resolution:running", any);
  before[moved.id()] = wait_for(moved, "response:cancelled resolution:cancelled", any);
  // Created last, so that it is due after the stop.
  Incident across = clients->Create("due across the restart", "across");
  before[across.id()] = wait_for(across, "resolution:running", any);
  before[breached_open.id()] = wait_for(breached_open, "resolution:breached", breach_applied);
  ASSERT_FALSE(HasFailure());
  const std::vector<GetComplianceReportRequest> report_requests = Reports(cut);
  std::vector<GetComplianceReportResponse> reports_before;
  for (const auto& r : report_requests) reports_before.push_back(clients->Report(r));
  // The reports count what the set-up made: 13 clocks, 12 of them before the cut.
  EXPECT_EQ(reports_before[0].clocks_known(), kClocks);
  EXPECT_EQ(reports_before[0].total().met(), 3) << reports_before[0].total().ShortDebugString();
  EXPECT_EQ(reports_before[0].total().breached(), 2);
  EXPECT_EQ(reports_before[0].total().in_progress(), 3);
  EXPECT_EQ(reports_before[0].total().cancelled(), 4);
  const std::string across_clock = before[across.id()][0].clock_id();
  const absl::Time across_due = TimeOf(before[across.id()][0].due_time());

  // The broker's data goes with the suite, before the clock due across the restart is due.
  clients.reset();
  ASSERT_LT(absl::Now(), across_due)
      << "the set-up took too long for a " << kAcrossTarget << " target";
  if (GetParam() == Loss::kBrokerKilled) {
    // Its due time may pass while the suite stops: without a broker to ask for the partition's
    // end, the timer fires nothing (docs/sla-timer.md, "Firing only on complete knowledge").
    ASSERT_EQ(suite.KillBroker(), 1) << suite.launch_log();
  } else {
    ASSERT_EQ(suite.Stop(), 0) << suite.launch_log();
    ASSERT_LT(absl::Now(), across_due)
        << "the stop took too long for a " << kAcrossTarget << " target";
  }
  ASSERT_NO_FATAL_FAILURE(suite.Start());
  clients = std::make_unique<Clients>(suite);
  const launcher::v1::Endpoints endpoints = suite.Endpoints();
  const std::string bootstrap = endpoints.kafka_bootstrap_servers();

  // The timer re-publishes every clock's state on the new broker (one SlaClockRepublished per
  // clock); wait until they are all there, and the SLA service has handled at least as many
  // events as the topic holds, with nothing left in any partition.
  TopicContents topic;
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    topic = ReadSlaTopic(bootstrap);
                    return static_cast<int>(
                               topic.by_type["itsm.sla.v1.SlaClockRepublished"].size()) == kClocks;
                  },
                  absl::Seconds(30), "every clock re-published", absl::Milliseconds(200))
                  .ok())
      << topic.by_type["itsm.sla.v1.SlaClockRepublished"].size();
  std::string sla_metrics;
  for (const auto& s : endpoints.services()) {
    if (s.name() != "sla") continue;
    absl::string_view url = s.metrics_url();
    ASSERT_TRUE(absl::ConsumePrefix(&url, "http://"));
    sla_metrics = std::string(url.substr(0, url.find('/')));
  }
  const std::string group = "group=\"itsm-sla-projection\"";
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    auto metrics = supervisor::ScrapeMetrics(sla_metrics);
                    return metrics.ok() &&
                           MetricSum(*metrics, "itsm_consumer_events_total", group) >=
                               static_cast<int64_t>(topic.records) &&
                           MetricSum(*metrics, "itsm_consumer_lag_messages", group) == 0;
                  },
                  absl::Seconds(30), "the SLA service caught up", absl::Milliseconds(100))
                  .ok());

  // Status and reports: identical.
  for (const auto& [incident_id, clocks] : before) {
    SCOPED_TRACE(incident_id);
    const std::vector<ClockStatus> after = clients->Status(incident_id);
    ASSERT_EQ(after.size(), clocks.size()) << Summary(after);
    for (size_t k = 0; k < clocks.size(); ++k) ExpectSameClock(clocks[k], after[k]);
  }
  for (size_t k = 0; k < report_requests.size(); ++k) {
    const GetComplianceReportResponse after = clients->Report(report_requests[k]);
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(reports_before[k], after))
        << report_requests[k].ShortDebugString()
        << "\nbefore: " << reports_before[k].ShortDebugString()
        << "\nafter:  " << after.ShortDebugString();
  }

  // The clock that fell due across the restart breaches once, on the new broker; no other
  // clock is announced breached again.
  wait_for(across, "resolution:breached", breach_applied);
  // One read can end in a quiet moment before every partition was fetched (ReadTopic stops
  // after its first record and a short silence): read until the breach is there, or fail.
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    topic = ReadSlaTopic(bootstrap);
                    return !topic.by_type["itsm.sla.v1.SlaBreached"].empty();
                  },
                  absl::Seconds(30), "the breach on the new broker", absl::Milliseconds(200))
                  .ok());
  const auto& breaches = topic.by_type["itsm.sla.v1.SlaBreached"];
  EXPECT_EQ(breaches.size(), 1u);
  EXPECT_EQ(breaches.count(across_clock) ? breaches.at(across_clock) : 0, 1);
  GetComplianceReportRequest across_report;
  across_report.set_sla_definition_id(across_definition);
  const GetComplianceReportResponse across_after = clients->Report(across_report);
  EXPECT_EQ(across_after.total().breached(), 1) << across_after.ShortDebugString();
  EXPECT_EQ(across_after.total().in_progress(), 0);

  // A new incident gets its clocks from the new broker.
  Incident fresh = clients->Create("after the restart", "steady");
  wait_for(fresh, "response:running resolution:running", any);

  clients.reset();
  EXPECT_EQ(suite.Stop(), 0) << suite.launch_log();
}

INSTANTIATE_TEST_SUITE_P(Restarts, SlaHistoryAcrossABrokerLoss,
                         ::testing::Values(Loss::kLauncherStopped, Loss::kBrokerKilled),
                         [](const ::testing::TestParamInfo<Loss>& info) {
                           return info.param == Loss::kBrokerKilled ? "BrokerKilled"
                                                                    : "LauncherStopped";
                         });

}  // namespace
}  // namespace itsm
