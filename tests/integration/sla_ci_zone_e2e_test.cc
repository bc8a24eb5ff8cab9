// Two real services working together: the SLA service finds the time zone of an SLA whose zone
// comes from the CI location by asking the configuration service (CMDB) where the CI stands.
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "itsm/base/time_util.h"
#include "itsm/config/v1/config.grpc.pb.h"
#include "itsm/sla/v1/sla.grpc.pb.h"
#include "itsm/supervisor/backends.h"
#include "itsm/supervisor/suite_service.h"
#include "itsm/testing/test_env.h"
#include "itsm/testing/test_issuer.h"

namespace itsm {
namespace {

class SlaCiZoneEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    supervisor::KafkaBroker::Options kafka;
    kafka.dir = dir_.File("kafka");
    kafka.log_file = dir_.File("kafka.log");
    auto broker = supervisor::KafkaBroker::Start(kafka);
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
    auto configuration = Start("configuration", {});
    ASSERT_TRUE(configuration.ok()) << configuration.status();
    configuration_ = std::move(*configuration);
    auto sla = Start("sla", {{"ITSM_CONFIGURATION_ADDRESS", configuration_->grpc_address()},
                             {"ITSM_DEFAULT_TIME_ZONE", "UTC"}});
    ASSERT_TRUE(sla.ok()) << sla.status();
    sla_ = std::move(*sla);
    // The SLA service asks the configuration service with its own service identity.
    cmdb_ = config::v1::ConfigurationService::NewStub(
        issuer_.Channel(configuration_->grpc_address(),
                        {.subject = "cmdb-admin", .roles = {common::v1::ROLE_CMDB_MANAGER}}));
    slas_ = sla::v1::SlaService::NewStub(issuer_.Channel(
        sla_->grpc_address(), {.subject = "sla-admin", .roles = {common::v1::ROLE_SLA_MANAGER}}));
  }

  absl::StatusOr<std::unique_ptr<supervisor::SuiteService>> Start(
      const std::string& name, std::vector<std::pair<std::string, std::string>> env) {
    supervisor::SuiteService::Options options;
    options.name = name;
    options.dir = dir_.File("data");
    options.log_file = dir_.File(name + ".log");
    options.env = std::move(env);
    options.env.emplace_back("ITSM_KAFKA_BOOTSTRAP_SERVERS", broker_->bootstrap_servers());
    for (auto& setting : issuer_.ServiceEnv(dir_.path())) options.env.push_back(setting);
    return supervisor::SuiteService::Start(options);
  }

  std::string CreateCi(const std::string& cls, const std::string& name,
                       std::map<std::string, std::string> attributes) {
    grpc::ClientContext ctx;
    config::v1::CreateConfigurationItemRequest r;
    r.set_class_name(cls);
    r.set_name(name);
    for (auto& [k, v] : attributes) (*r.mutable_attributes())[k] = v;
    config::v1::CreateConfigurationItemResponse response;
    grpc::Status s = cmdb_->CreateConfigurationItem(&ctx, r, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.configuration_item().id();
  }

  // An SLA on business hours 09:00-17:00 Monday to Friday whose zone comes from the CI location.
  std::string CreateDefinition() {
    sla::v1::Calendar calendar;
    calendar.set_name("Office hours");
    calendar.set_time_zone("UTC");
    for (int d = sla::v1::WEEKDAY_MONDAY; d <= sla::v1::WEEKDAY_FRIDAY; ++d) {
      auto* w = calendar.add_weekly_hours();
      w->set_day(static_cast<sla::v1::Weekday>(d));
      w->mutable_start()->set_hours(9);
      w->mutable_end()->set_hours(17);
    }
    grpc::ClientContext c1;
    sla::v1::CreateCalendarRequest cr;
    *cr.mutable_calendar() = calendar;
    sla::v1::CreateCalendarResponse created_calendar;
    EXPECT_TRUE(slas_->CreateCalendar(&c1, cr, &created_calendar).ok());
    sla::v1::SlaDefinition d;
    d.set_name("Datacentre hardware");
    d.set_kind(sla::v1::AGREEMENT_KIND_SLA);
    d.set_customer("ACME");
    d.mutable_coverage()->add_services("hosting");
    d.set_calendar_id(created_calendar.calendar().id());
    d.set_time_zone_source(sla::v1::TIME_ZONE_SOURCE_CI_LOCATION);
    auto* p1 = d.add_targets();
    p1->set_priority(incident::v1::PRIORITY_P1);
    p1->mutable_resolution_target()->set_seconds(3600);
    grpc::ClientContext c2;
    sla::v1::CreateSlaDefinitionRequest dr;
    *dr.mutable_definition() = d;
    sla::v1::CreateSlaDefinitionResponse created;
    grpc::Status s = slas_->CreateSlaDefinition(&c2, dr, &created);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return created.definition().id();
  }

  grpc::Status DueFor(const std::string& definition_id, const std::string& ci_id,
                      sla::v1::GetDueTimeResponse* out) {
    grpc::ClientContext ctx;
    sla::v1::GetDueTimeRequest r;
    r.set_definition_id(definition_id);
    r.set_priority(incident::v1::PRIORITY_P1);
    r.set_ci_id(ci_id);
    // Tuesday 2026-11-24 07:30 UTC = 16:30 in Tokyo: 30 business minutes left there today.
    *r.mutable_start_time() = base::ToProtoTimestamp(
        absl::FromCivil(absl::CivilMinute(2026, 11, 24, 7, 30), absl::UTCTimeZone()));
    return slas_->GetDueTime(&ctx, r, out);
  }

  itsm::testing::ScratchDir dir_;
  itsm::testing::TestIssuer issuer_;
  std::unique_ptr<supervisor::KafkaBroker> broker_;
  std::unique_ptr<supervisor::SuiteService> configuration_;
  std::unique_ptr<supervisor::SuiteService> sla_;
  std::unique_ptr<config::v1::ConfigurationService::Stub> cmdb_;
  std::unique_ptr<sla::v1::SlaService::Stub> slas_;
};

TEST_F(SlaCiZoneEndToEnd, DueTimeCountsBusinessHoursInTheZoneOfTheCisLocation) {
  const std::string tokyo = CreateCi("location", "Tokyo DC", {{"time_zone", "Asia/Tokyo"}});
  const std::string server = CreateCi("server", "tk-db-01", {{"location", tokyo}});
  const std::string nowhere = CreateCi("server", "lab-01", {});
  const std::string definition = CreateDefinition();

  sla::v1::GetDueTimeResponse due;
  grpc::Status s = DueFor(definition, server, &due);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(due.time_zone(), "Asia/Tokyo");
  // 30 minutes on Tuesday until 17:00 JST, 30 more from 09:00 JST Wednesday = 00:30 UTC.
  EXPECT_EQ(base::FromProtoTimestamp(due.due_time()),
            absl::FromCivil(absl::CivilMinute(2026, 11, 25, 0, 30), absl::UTCTimeZone()));

  // The location CI itself, too.
  ASSERT_TRUE(DueFor(definition, tokyo, &due).ok());
  EXPECT_EQ(due.time_zone(), "Asia/Tokyo");

  // No location: the tenant default (UTC), 07:30 -> opens 09:00 -> due 10:00.
  ASSERT_TRUE(DueFor(definition, nowhere, &due).ok());
  EXPECT_EQ(due.time_zone(), "UTC");
  EXPECT_EQ(base::FromProtoTimestamp(due.due_time()),
            absl::FromCivil(absl::CivilMinute(2026, 11, 24, 10, 0), absl::UTCTimeZone()));

  // An unknown CI is named.
  s = DueFor(definition, "no-such-ci", &due);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(s.error_message().find("ci_id"), std::string::npos) << s.error_message();
}

}  // namespace
}  // namespace itsm
