// The suite as README.md starts it: deploy/local/suite.json itself (moved to free ports and a
// scratch folder), not a test's own list of services. Every process the file names comes up
// and serves, and a definition for changes (time to authorise) breaches, once, on a change left
// waiting: only `change-sla-timer` (itsm-sla-timer on itsm.change.v1) can fire it, since the
// incident timer does not read the change topic.
#include <map>
#include <set>

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "itsm/change/v1/change.grpc.pb.h"
#include "itsm/incident/v1/incident.grpc.pb.h"
#include "itsm/sla/v1/sla.grpc.pb.h"
#include "itsm/supervisor/suite_service.h"
#include "itsm/testing/kafka_reader.h"
#include "launched_suite.h"

namespace itsm {
namespace {

namespace cv1 = change::v1;

// Clock events on itsm.sla.v1 by record id: ce_type (without the package) -> distinct ce_ids.
std::map<std::string, std::map<std::string, std::set<std::string>>> ClockEvents(
    const std::string& bootstrap, size_t at_least, absl::Duration timeout) {
  std::map<std::string, std::map<std::string, std::set<std::string>>> seen;
  auto records = testing::ReadTopic(bootstrap, "itsm.sla.v1", at_least, timeout);
  if (!records.ok()) return seen;
  for (const auto& r : *records) {
    seen[r.key][r.Header("ce_type").substr(sizeof("itsm.sla.v1.") - 1)].insert(r.Header("ce_id"));
  }
  return seen;
}

TEST(DefaultSuite, EveryProcessServesAndChangeClocksRunOnTheChangeTimer) {
  const std::string file = std::string(ITSM_SOURCE_DIR) + "/deploy/local/suite.json";
  testing::LaunchedSuite suite(testing::LaunchedSuite::FromSuiteFile{}, file);
  ASSERT_NO_FATAL_FAILURE(suite.Start(absl::Seconds(180)));

  // Every process of the file, serving.
  launcher::v1::SuiteConfig config;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(supervisor::ReadFile(file).value_or("{}"),
                                                          &config)
                  .ok());
  ASSERT_GE(config.services_size(), 9);
  for (const auto& service : config.services()) {
    const std::string address = suite.GrpcAddress(service.name());
    ASSERT_FALSE(address.empty()) << service.name() << " is not running";
    EXPECT_TRUE(supervisor::IsServing(address, "", absl::Seconds(5), suite.Credentials()))
        << service.name();
    // The addresses the launcher hands every service are ones it expects: a clean start warns
    // about nothing it was given.
    EXPECT_EQ(suite.ServiceLog(service.name()).find("read by no option"), std::string::npos)
        << service.name() << ":\n"
        << suite.ServiceLog(service.name());
  }

  // A business service in the CMDB (the change service checks affected services there).
  std::string out;
  ASSERT_EQ(suite.Itsmctl({"--output", "json", "ci", "create", "--class", "business_service",
                           "--name", "payments", "--status", "live"},
                          &out),
            0)
      << out;
  const std::string service_id = testing::WordAfter(out, "\"id\": \"");
  ASSERT_FALSE(service_id.empty()) << out;

  // Time to authorise on it: 2 s for every priority (the change's risk sets it).
  auto sla = sla::v1::SlaService::NewStub(suite.AdminChannel("sla"));
  sla::v1::CreateCalendarRequest calendar;
  calendar.mutable_calendar()->set_name("24x7");
  calendar.mutable_calendar()->set_time_zone("UTC");
  calendar.mutable_calendar()->set_always_open(true);
  sla::v1::CreateCalendarResponse calendar_out;
  {
    grpc::ClientContext ctx;
    grpc::Status s = sla->CreateCalendar(&ctx, calendar, &calendar_out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  sla::v1::CreateSlaDefinitionRequest definition;
  sla::v1::SlaDefinition* d = definition.mutable_definition();
  d->set_name("Time to authorise");
  d->set_kind(sla::v1::AGREEMENT_KIND_OLA);
  d->set_internal_group("change-management");
  d->set_record_kind(sla::v1::RECORD_KIND_CHANGE);
  d->mutable_coverage()->add_services(service_id);
  d->set_calendar_id(calendar_out.calendar().id());
  for (int p = incident::v1::PRIORITY_P1; p <= incident::v1::PRIORITY_P5; ++p) {
    auto* target = d->add_targets();
    target->set_priority(static_cast<incident::v1::Priority>(p));
    target->mutable_response_target()->set_seconds(2);
  }
  {
    sla::v1::CreateSlaDefinitionResponse out;
    grpc::ClientContext ctx;
    grpc::Status s = sla->CreateSlaDefinition(&ctx, definition, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // A change sent for authorisation and left there.
  auto changes = cv1::ChangeService::NewStub(suite.AdminChannel("change"));
  cv1::Change change;
  {
    cv1::CreateChangeRequest r;
    r.set_type(cv1::CHANGE_TYPE_NORMAL);
    r.set_title("Left waiting for authorisation");
    r.add_affected_service_ids(service_id);
    cv1::CreateChangeResponse out;
    grpc::ClientContext ctx;
    grpc::Status s = changes->CreateChange(&ctx, r, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    change = out.change();
  }
  for (cv1::ChangeState to : {cv1::CHANGE_STATE_ASSESS, cv1::CHANGE_STATE_AUTHORISE}) {
    cv1::TransitionChangeRequest r;
    r.set_id(change.id());
    r.set_version(change.version());
    r.set_target_state(to);
    cv1::TransitionChangeResponse out;
    grpc::ClientContext ctx;
    grpc::Status s = changes->TransitionChange(&ctx, r, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
    change = out.change();
  }

  const std::string bootstrap = suite.Endpoints().kafka_bootstrap_servers();
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    return ClockEvents(bootstrap, 1, absl::Seconds(1))[change.id()].count(
                               "SlaBreached") == 1;
                  },
                  absl::Seconds(60), "the change's clock breached")
                  .ok())
      << suite.launch_log();
  // Read again, later, to see the breach once and only once. A fresh consumer may come back
  // before it has read anything on a busy machine: an empty read is read again.
  decltype(ClockEvents(bootstrap, 1, absl::Seconds(3))) seen;
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    seen = ClockEvents(bootstrap, 1, absl::Seconds(3));
                    return seen.count(change.id()) > 0;
                  },
                  absl::Seconds(60), "the change's clock events read again")
                  .ok());
  EXPECT_EQ(seen[change.id()]["SlaClockStarted"].size(), 1u);
  EXPECT_EQ(seen[change.id()]["SlaBreached"].size(), 1u);
  EXPECT_EQ(suite.Stop(), 0) << suite.launch_log();
}

}  // namespace
}  // namespace itsm
