// The SLA service through a real gRPC channel on loopback, on both storage backends; its events
// published by the real outbox relay to an in-process Kafka-protocol broker and read back; the
// status and report projection fed through the broker by the real event consumer.
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "itsm/base/ids.h"
#include "itsm/base/time_util.h"
#include "itsm/events/event_consumer.h"
#include "itsm/events/kafka_producer.h"
#include "itsm/kafkamock/mock_cluster.h"
#include "itsm/outbox/outbox.h"
#include "itsm/outbox/outbox_relay.h"
#include "itsm/records/record_diff.h"
#include "itsm/sla/v1/events.pb.h"
#include "itsm/storage/migrations.h"
#include "itsm/supervisor/child_process.h"
#include "itsm/testing/grpc_server.h"
#include "itsm/testing/kafka_reader.h"
#include "itsm/testing/test_env.h"
#include "services/sla/src/sla_events.h"
#include "services/sla/src/sla_grpc_service.h"
#include "services/sla/src/sla_repository.h"
#include "services/sla/tests/office_calendar.h"

namespace itsm::sla {
namespace {

using ::itsm::testing::Backend;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using office::Istanbul;
using office::kIstanbul;
using office::OfficeCalendar;

// The field of an INVALID_ARGUMENT's google.rpc.BadRequest detail; "" when there is none.
std::string ViolatedField(const grpc::Status& s) {
  google::rpc::Status details;
  google::rpc::BadRequest bad_request;
  if (s.error_code() != grpc::StatusCode::INVALID_ARGUMENT ||
      !details.ParseFromString(s.error_details()) || details.details_size() == 0 ||
      !details.details(0).UnpackTo(&bad_request) || bad_request.field_violations_size() == 0) {
    return "";
  }
  return bad_request.field_violations(0).field();
}

v1::SlaDefinition GoldDefinition(const std::string& calendar_id) {
  v1::SlaDefinition d;
  d.set_name("Gold VPN");
  d.set_kind(v1::AGREEMENT_KIND_SLA);
  d.set_customer("ACME");
  d.mutable_coverage()->add_services("vpn");
  d.set_calendar_id(calendar_id);
  auto* p1 = d.add_targets();
  p1->set_priority(incident::v1::PRIORITY_P1);
  p1->mutable_response_target()->set_seconds(30 * 60);
  p1->mutable_resolution_target()->set_seconds(4 * 3600);
  auto* p2 = d.add_targets();
  p2->set_priority(incident::v1::PRIORITY_P2);
  p2->mutable_resolution_target()->set_seconds(8 * 3600);
  return d;
}

class SlaServiceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto db = itsm::testing::NewDatabase(GetParam());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    ASSERT_TRUE(storage::ApplySchema(*db_, SlaRepository::Schema()).ok());
    auto cluster = kafkamock::MockCluster::Start(1);
    ASSERT_TRUE(cluster.ok());
    cluster_ = std::move(*cluster);
    ASSERT_TRUE(cluster_->CreateTopic(kSlaTopic, 4).ok());
    committer_ =
        std::make_unique<storage::GroupCommitter>(*db_, storage::GroupCommitter::Options{});
    projection_ = std::make_unique<ClockProjection>(*db_);
    clocks_ = std::make_unique<SlaClocks>(*db_, clock_, *projection_,
                                          SlaClockOptions{.default_time_zone = "UTC"});
    explanations_ = std::make_unique<ClockExplanations>(
        *db_, clock_, ClockExplanationOptions{.default_time_zone = "UTC"});
    service_ = std::make_unique<SlaGrpcService>(*db_, *committer_, executor_, Apps());
    server_ = std::make_unique<itsm::testing::GrpcTestServer>(
        std::vector<grpc::Service*>{service_.get()});
    stub_ = v1::SlaService::NewStub(server_->Channel());
  }
  void TearDown() override {
    server_->Shutdown();
    committer_->Stop();
  }

  Applications Apps() { return {calendars_, definitions_, *clocks_, *explanations_}; }

  grpc::Status CreateCalendar(const v1::Calendar& c, v1::Calendar* out = nullptr) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-itsm-actor", "sla-admin");
    v1::CreateCalendarRequest r;
    *r.mutable_calendar() = c;
    v1::CreateCalendarResponse response;
    grpc::Status s = stub_->CreateCalendar(&ctx, r, &response);
    if (out) *out = response.calendar();
    return s;
  }
  grpc::Status CreateDefinition(const v1::SlaDefinition& d, v1::SlaDefinition* out = nullptr) {
    grpc::ClientContext ctx;
    v1::CreateSlaDefinitionRequest r;
    *r.mutable_definition() = d;
    v1::CreateSlaDefinitionResponse response;
    grpc::Status s = stub_->CreateSlaDefinition(&ctx, r, &response);
    if (out) *out = response.definition();
    return s;
  }
  grpc::Status UpdateDefinition(const v1::SlaDefinition& d, v1::SlaDefinition* out = nullptr) {
    grpc::ClientContext ctx;
    v1::UpdateSlaDefinitionRequest r;
    *r.mutable_definition() = d;
    v1::UpdateSlaDefinitionResponse response;
    grpc::Status s = stub_->UpdateSlaDefinition(&ctx, r, &response);
    if (out) *out = response.definition();
    return s;
  }
  grpc::Status DueTime(const v1::GetDueTimeRequest& r, v1::GetDueTimeResponse* out) {
    grpc::ClientContext ctx;
    return stub_->GetDueTime(&ctx, r, out);
  }
  int64_t Count(const char* table) {
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    return (*txn)->Query(std::string("SELECT COUNT(*) FROM ") + table)->row(0)[0].AsInt();
  }

  // Friday 2026-11-20 16:30 in Istanbul.
  base::ManualClock clock_{Istanbul(2026, 11, 20, 16, 30)};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<ClockProjection> projection_;
  std::unique_ptr<kafkamock::MockCluster> cluster_;
  runtime::Executor executor_{"test", 4, 1000};
  std::unique_ptr<storage::GroupCommitter> committer_;
  Calendars calendars_{clock_};
  SlaDefinitions definitions_{clock_};
  std::unique_ptr<SlaClocks> clocks_;
  std::unique_ptr<ClockExplanations> explanations_;
  std::unique_ptr<SlaGrpcService> service_;
  std::unique_ptr<itsm::testing::GrpcTestServer> server_;
  std::unique_ptr<v1::SlaService::Stub> stub_;
};

// Found from outside: a calendar open for a few more days, then closed by ten years of listed
// holidays. A definition on it was accepted (checked from now only) and clocks started after the
// last open day never came due. Refused now, and so is the edit that closes a used calendar so.
TEST_P(SlaServiceTest, ACalendarWhoseOpenTimeRunsOutLaterCannotCarryADefinition) {
  v1::Calendar closing = OfficeCalendar("Closing office");
  closing.clear_holidays();
  office::AddHolidays(closing, absl::CivilDay(2026, 11, 25), absl::CivilDay(2036, 12, 31));
  v1::Calendar stored;
  ASSERT_TRUE(CreateCalendar(closing, &stored).ok());
  const int64_t definitions = Count("sla_definitions");
  grpc::Status s = CreateDefinition(GoldDefinition(stored.id()));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("of business time cannot be reached within 3653 days"));
  EXPECT_THAT(s.error_message(), HasSubstr("a clock started at 2026-11-24T"));  // the last day
  EXPECT_EQ(Count("sla_definitions"), definitions);

  v1::Calendar office;
  ASSERT_TRUE(CreateCalendar(OfficeCalendar("Open office"), &office).ok());
  ASSERT_TRUE(CreateDefinition(GoldDefinition(office.id())).ok());
  closing.set_id(office.id());
  closing.set_name(office.name());
  closing.set_version(office.version());
  grpc::ClientContext ctx;
  v1::UpdateCalendarRequest r;
  *r.mutable_calendar() = closing;
  v1::UpdateCalendarResponse updated;
  s = stub_->UpdateCalendar(&ctx, r, &updated);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("would never fall due on it"));
}

// A calendar edited so that a definition using it could never fall due (its clocks would have no
// due time, so no breach) is refused naming the definition; the stored calendar stays.
TEST_P(SlaServiceTest, ACalendarEditThatWouldLeaveADefinitionNeverDueIsRefused) {
  v1::Calendar office;
  ASSERT_TRUE(CreateCalendar(OfficeCalendar(), &office).ok());
  v1::SlaDefinition gold = GoldDefinition(office.id());
  gold.mutable_targets(1)->mutable_resolution_target()->set_seconds(10 * 3600);
  ASSERT_TRUE(CreateDefinition(gold).ok());
  v1::Calendar minute_a_week = office;
  minute_a_week.clear_weekly_hours();
  auto* w = minute_a_week.add_weekly_hours();
  w->set_day(v1::WEEKDAY_MONDAY);
  w->mutable_start()->set_hours(9);
  w->mutable_end()->set_hours(9);
  w->mutable_end()->set_minutes(1);
  grpc::ClientContext ctx;
  v1::UpdateCalendarRequest r;
  *r.mutable_calendar() = minute_a_week;
  v1::UpdateCalendarResponse updated;
  grpc::Status s = stub_->UpdateCalendar(&ctx, r, &updated);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), StartsWith("calendar: definition \"Gold VPN\" ("));
  EXPECT_THAT(s.error_message(),
              HasSubstr("would never fall due on it: targets[1].resolution_target: 10h of business "
                        "time cannot be reached"));
  grpc::ClientContext get_ctx;
  v1::GetCalendarRequest get;
  get.set_id(office.id());
  v1::GetCalendarResponse got;
  ASSERT_TRUE(stub_->GetCalendar(&get_ctx, get, &got).ok());
  EXPECT_EQ(got.calendar().version(), 1);
}

TEST_P(SlaServiceTest, CalendarsAreVersionedRecords) {
  v1::Calendar created;
  ASSERT_TRUE(CreateCalendar(OfficeCalendar(), &created).ok());
  EXPECT_EQ(created.version(), 1);
  EXPECT_EQ(created.updated_by(), "sla-admin");
  // Same name again.
  grpc::Status dup = CreateCalendar(OfficeCalendar());
  EXPECT_EQ(dup.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(dup.error_message(), StartsWith("calendar.name:"));
  // Validation names the record's field.
  auto bad = OfficeCalendar("bad");
  bad.mutable_weekly_hours(1)->mutable_start()->set_hours(24);
  grpc::Status invalid = CreateCalendar(bad);
  EXPECT_EQ(invalid.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(invalid.error_message(), StartsWith("calendar.weekly_hours[1].start: 24:00:00"));
  // An overlap is the later interval's fault, named as a field like any other.
  auto overlapping = OfficeCalendar("overlapping");
  const v1::WorkingInterval monday = overlapping.weekly_hours(0);
  *overlapping.add_weekly_hours() = monday;
  invalid = CreateCalendar(overlapping);
  EXPECT_EQ(ViolatedField(invalid),
            absl::StrCat("calendar.weekly_hours[", overlapping.weekly_hours_size() - 1, "]"))
      << invalid.error_message();
  EXPECT_THAT(invalid.error_message(), HasSubstr(": overlaps weekly_hours[0] on Monday"));
  // A name is accepted wherever an id is: one with blanks around it, or with the form of an id,
  // would read as another calendar's.
  for (const std::string& name : {std::string(" Istanbul office "), created.id()}) {
    invalid = CreateCalendar(OfficeCalendar(name));
    EXPECT_EQ(ViolatedField(invalid), "calendar.name") << name << ": " << invalid.error_message();
  }
  // An unknown calendar is named by the field that named it.
  {
    grpc::ClientContext ctx;
    v1::GetCalendarRequest r;
    r.set_id("no-such-calendar");
    v1::GetCalendarResponse got;
    grpc::Status s = stub_->GetCalendar(&ctx, r, &got);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(s.error_message(), "id: no calendar \"no-such-calendar\"");
  }
  {
    grpc::ClientContext ctx;
    v1::UpdateCalendarRequest r;
    *r.mutable_calendar() = created;
    r.mutable_calendar()->set_id("no-such-calendar");
    v1::UpdateCalendarResponse response;
    grpc::Status s = stub_->UpdateCalendar(&ctx, r, &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(s.error_message(), "calendar.id: no calendar \"no-such-calendar\"");
  }

  // Update: a new version, the old one still readable; a stale update is ABORTED.
  v1::Calendar changed = created;
  changed.mutable_holidays()->Clear();
  v1::UpdateCalendarResponse updated;
  {
    grpc::ClientContext ctx;
    v1::UpdateCalendarRequest r;
    *r.mutable_calendar() = changed;
    ASSERT_TRUE(stub_->UpdateCalendar(&ctx, r, &updated).ok());
  }
  EXPECT_EQ(updated.calendar().version(), 2);
  {
    grpc::ClientContext ctx;
    v1::UpdateCalendarRequest r;
    *r.mutable_calendar() = changed;  // still says version 1
    v1::UpdateCalendarResponse response;
    EXPECT_EQ(stub_->UpdateCalendar(&ctx, r, &response).error_code(), grpc::StatusCode::ABORTED);
  }
  for (auto [key, version, holidays] :
       {std::tuple{created.id(), 0, 0}, std::tuple{created.name(), 0, 0},
        std::tuple{created.id(), 1, 1}}) {
    grpc::ClientContext ctx;
    v1::GetCalendarRequest r;
    r.set_id(key);
    r.set_version(version);
    v1::GetCalendarResponse got;
    ASSERT_TRUE(stub_->GetCalendar(&ctx, r, &got).ok()) << key << " v" << version;
    EXPECT_EQ(got.calendar().holidays_size(), holidays);
  }
  // Listing pages by name.
  for (const char* name : {"A calendar", "B calendar", "C calendar"}) {
    ASSERT_TRUE(CreateCalendar(OfficeCalendar(name)).ok());
  }
  std::vector<std::string> names;
  v1::ListCalendarsRequest list;
  list.mutable_page()->set_page_size(3);
  for (int page = 0; page < 5; ++page) {
    grpc::ClientContext ctx;
    v1::ListCalendarsResponse response;
    ASSERT_TRUE(stub_->ListCalendars(&ctx, list, &response).ok());
    for (const auto& c : response.calendars()) names.push_back(c.name());
    if (response.next_page_token().empty()) break;
    list.mutable_page()->set_page_token(response.next_page_token());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"A calendar", "B calendar", "C calendar",
                                             "Istanbul office"}));
  EXPECT_EQ(Count("sla_calendar_versions"), 5);
}

TEST_P(SlaServiceTest, DueTimeOfAP1RaisedNow) {
  v1::Calendar calendar;
  ASSERT_TRUE(CreateCalendar(OfficeCalendar(), &calendar).ok());
  v1::SlaDefinition gold;
  grpc::Status s = CreateDefinition(GoldDefinition(calendar.name()), &gold);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(gold.calendar_id(), calendar.id());  // the name was resolved to the id
  EXPECT_THAT(gold.warning_thresholds(), ::testing::ElementsAre(50, 75, 90));

  // Raised now (Friday 16:30), 4 business hours to resolve: 1.5 h on Friday, Monday is a
  // holiday, 2.5 h on Tuesday -> Tuesday 11:30.
  v1::GetDueTimeRequest r;
  r.set_service("vpn");
  r.set_priority(incident::v1::PRIORITY_P1);
  v1::GetDueTimeResponse due;
  ASSERT_TRUE(DueTime(r, &due).ok());
  EXPECT_EQ(base::FromProtoTimestamp(due.due_time()), Istanbul(2026, 11, 24, 11, 30));
  EXPECT_EQ(due.definition().id(), gold.id());
  EXPECT_EQ(due.time_zone(), "Europe/Istanbul");
  ASSERT_EQ(due.warnings_size(), 3);
  EXPECT_EQ(base::FromProtoTimestamp(due.warnings(0).time()),
            Istanbul(2026, 11, 24, 9, 30));  // 2 h
  // Response: 30 minutes -> 17:00 the same day.
  r.set_clock_kind(v1::CLOCK_KIND_RESPONSE);
  ASSERT_TRUE(DueTime(r, &due).ok());
  EXPECT_EQ(base::FromProtoTimestamp(due.due_time()), Istanbul(2026, 11, 20, 17, 0));
  // P2 has no response target; P3 no definition at all.
  r.set_priority(incident::v1::PRIORITY_P2);
  EXPECT_EQ(DueTime(r, &due).error_code(), grpc::StatusCode::NOT_FOUND);
  r.set_priority(incident::v1::PRIORITY_P3);
  EXPECT_EQ(DueTime(r, &due).error_code(), grpc::StatusCode::NOT_FOUND);
  // Directly from a calendar and a target.
  v1::GetDueTimeRequest direct;
  direct.set_calendar_id(calendar.id());
  direct.mutable_target()->set_seconds(9 * 3600);
  *direct.mutable_start_time() = base::ToProtoTimestamp(Istanbul(2026, 11, 24, 9));
  ASSERT_TRUE(DueTime(direct, &due).ok());
  EXPECT_EQ(base::FromProtoTimestamp(due.due_time()), Istanbul(2026, 11, 24, 18));
  // What is missing is named as a field violation, as every other bad request is.
  EXPECT_EQ(ViolatedField(DueTime(v1::GetDueTimeRequest(), &due)), "definition_id");
  // So is a reference that names nothing (found from outside: a 404 naming "id").
  v1::GetDueTimeRequest unknown;
  unknown.set_definition_id("zz-unknown");
  unknown.set_priority(incident::v1::PRIORITY_P1);
  EXPECT_EQ(ViolatedField(DueTime(unknown, &due)), "definition_id");
  unknown.clear_definition_id();
  unknown.set_calendar_id("zz-unknown");
  unknown.mutable_target()->set_seconds(3600);
  EXPECT_EQ(ViolatedField(DueTime(unknown, &due)), "calendar_id");
  direct.clear_target();
  EXPECT_EQ(ViolatedField(DueTime(direct, &due)), "target");
  // A fraction of a second, which the clocks would round (to none: due at the start).
  direct.mutable_target()->set_nanos(1000);
  EXPECT_EQ(ViolatedField(DueTime(direct, &due)), "target");
  direct.mutable_target()->set_nanos(0);
  // A start that is no time, or outside the years business time is computed in, is the
  // start's fault, not the calendar's.
  direct.mutable_start_time()->set_seconds(253'402'300'800);  // 10000-01-01
  EXPECT_EQ(ViolatedField(DueTime(direct, &due)), "start_time");
  for (int year : {1600, 2500}) {
    *direct.mutable_start_time() = base::ToProtoTimestamp(
        absl::FromCivil(absl::CivilSecond(year, 1, 1, 0, 0, 0), absl::UTCTimeZone()));
    grpc::Status far = DueTime(direct, &due);
    EXPECT_EQ(ViolatedField(far), "start_time") << year << ": " << far.error_message();
  }
  *direct.mutable_start_time() = base::ToProtoTimestamp(Istanbul(2026, 11, 24, 9));
  // A target beyond the search horizon is the target's fault, as in a definition.
  direct.mutable_target()->set_seconds(int64_t{3654} * 24 * 3600);
  grpc::Status long_target = DueTime(direct, &due);
  EXPECT_EQ(long_target.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(long_target), "target") << long_target.error_message();
  // With a calendar, its own zone is used: a zone for the caller or the CI is refused, not
  // dropped, valid or not.
  direct.mutable_target()->set_seconds(3600);
  for (const char* zone : {"../../etc/passwd", "Asia/Tokyo"}) {
    direct.set_caller_time_zone(zone);
    EXPECT_EQ(ViolatedField(DueTime(direct, &due)), "caller_time_zone") << zone;
    direct.clear_caller_time_zone();
    direct.set_ci_time_zone(zone);
    EXPECT_EQ(ViolatedField(DueTime(direct, &due)), "ci_time_zone") << zone;
    direct.clear_ci_time_zone();
  }
  direct.set_ci_id("server/web-1");
  EXPECT_EQ(ViolatedField(DueTime(direct, &due)), "ci_id");
  direct.clear_ci_id();
  // With a definition, its calendar and target are used: another given is refused, not ignored.
  v1::GetDueTimeRequest mixed = r;
  mixed.set_calendar_id(calendar.id());
  EXPECT_EQ(ViolatedField(DueTime(mixed, &due)), "calendar_id");
  mixed.clear_calendar_id();
  mixed.mutable_target()->set_seconds(60);
  EXPECT_EQ(ViolatedField(DueTime(mixed, &due)), "target");
  // With a definition, a zone given is checked even where its zone source does not use it.
  r.set_priority(incident::v1::PRIORITY_P1);
  r.set_caller_time_zone("../../etc/passwd");
  EXPECT_EQ(ViolatedField(DueTime(r, &due)), "caller_time_zone");
  r.clear_caller_time_zone();

  // ResolveApplicableSla.
  v1::ResolveApplicableSlaRequest resolve;
  resolve.set_service("vpn");
  resolve.set_priority(incident::v1::PRIORITY_P1);
  v1::ResolveApplicableSlaResponse applicable;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->ResolveApplicableSla(&ctx, resolve, &applicable).ok());
  }
  ASSERT_EQ(applicable.applicable_size(), 1);
  EXPECT_EQ(applicable.applicable(0).definition().name(), "Gold VPN");
  EXPECT_EQ(applicable.applicable(0).target().resolution_target().seconds(), 4 * 3600);
  resolve.set_service("mail");
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->ResolveApplicableSla(&ctx, resolve, &applicable).ok());
  }
  EXPECT_EQ(applicable.applicable_size(), 0);
}

TEST_P(SlaServiceTest, TimeZoneFromTheCallerFallsBackToTheTenantDefault) {
  v1::Calendar calendar;
  ASSERT_TRUE(CreateCalendar(OfficeCalendar(), &calendar).ok());
  auto d = GoldDefinition(calendar.id());
  d.set_time_zone_source(v1::TIME_ZONE_SOURCE_CALLER);
  v1::SlaDefinition created;
  ASSERT_TRUE(CreateDefinition(d, &created).ok());
  v1::GetDueTimeRequest r;
  r.set_definition_id(created.id());
  r.set_priority(incident::v1::PRIORITY_P1);
  r.set_clock_kind(v1::CLOCK_KIND_RESPONSE);
  *r.mutable_start_time() = base::ToProtoTimestamp(
      absl::FromCivil(absl::CivilMinute(2026, 11, 24, 8, 50), absl::UTCTimeZone()));
  r.set_caller_time_zone("Asia/Tokyo");  // 17:50 in Tokyo: 10 min today, 20 min on Wednesday
  v1::GetDueTimeResponse due;
  ASSERT_TRUE(DueTime(r, &due).ok());
  EXPECT_EQ(due.time_zone(), "Asia/Tokyo");
  EXPECT_EQ(base::FromProtoTimestamp(due.due_time()),
            absl::FromCivil(absl::CivilMinute(2026, 11, 25, 0, 20), absl::UTCTimeZone()));
  r.clear_caller_time_zone();  // the tenant default, UTC: 08:50 -> 09:30
  ASSERT_TRUE(DueTime(r, &due).ok());
  EXPECT_EQ(due.time_zone(), "UTC");
  EXPECT_EQ(base::FromProtoTimestamp(due.due_time()),
            absl::FromCivil(absl::CivilMinute(2026, 11, 24, 9, 30), absl::UTCTimeZone()));
  r.set_caller_time_zone("Moon/Base");
  EXPECT_EQ(DueTime(r, &due).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(SlaServiceTest, DefinitionsAreValidatedAndMayNotOverlap) {
  v1::Calendar calendar;
  ASSERT_TRUE(CreateCalendar(OfficeCalendar(), &calendar).ok());
  auto bad = GoldDefinition(calendar.id());
  bad.add_warning_thresholds(90);
  bad.add_warning_thresholds(80);
  grpc::Status s = CreateDefinition(bad);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), StartsWith("definition.warning_thresholds[1]:"));
  auto contradictory = GoldDefinition(calendar.id());
  auto* stop =
      contradictory.mutable_resolution_conditions()->mutable_stop()->add_any_of()->add_all_of();
  stop->set_field(v1::CONDITION_FIELD_STATE);
  stop->set_operator_(v1::CONDITION_OPERATOR_NOT_IN);
  stop->add_values("CLOSED");  // holds in NEW, where the default start holds too
  auto* start =
      contradictory.mutable_resolution_conditions()->mutable_start()->add_any_of()->add_all_of();
  start->set_field(v1::CONDITION_FIELD_STATE);
  start->set_operator_(v1::CONDITION_OPERATOR_IN);
  start->add_values("NEW");
  s = CreateDefinition(contradictory);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(),
              StartsWith("definition.resolution_conditions.stop: holds whenever start holds"));
  s = CreateDefinition(GoldDefinition("no-such-calendar"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  v1::SlaDefinition first;
  ASSERT_TRUE(CreateDefinition(GoldDefinition(calendar.id()), &first).ok());
  auto second = GoldDefinition(calendar.id());
  second.set_name("Gold VPN 2027");
  *second.mutable_effective_from() = base::ToProtoTimestamp(absl::FromUnixSeconds(1'830'000'000));
  s = CreateDefinition(second);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(s.error_message(), HasSubstr(first.id()));
  EXPECT_THAT(s.error_message(), HasSubstr("\"Gold VPN\""));
  // An OLA for the same service is another kind: fine.
  auto ola = GoldDefinition(calendar.id());
  ola.set_name("Network team OLA");
  ola.set_kind(v1::AGREEMENT_KIND_OLA);
  ola.set_internal_group("network");
  ASSERT_TRUE(CreateDefinition(ola).ok());
  // Ending the first before the second begins makes room for it.
  v1::SlaDefinition ended = first;
  *ended.mutable_effective_until() = second.effective_from();
  v1::SlaDefinition updated;
  ASSERT_TRUE(UpdateDefinition(ended, &updated).ok());
  EXPECT_EQ(updated.version(), 2);
  ASSERT_TRUE(CreateDefinition(second).ok());
  EXPECT_EQ(UpdateDefinition(ended).error_code(), grpc::StatusCode::ABORTED);  // stale version
  // What an agreement is and with whom is fixed: a supplier's contract links an underpinning
  // contract as that supplier's, and could not see a later change (found from outside).
  v1::SlaDefinition retyped = updated;
  retyped.set_kind(v1::AGREEMENT_KIND_OLA);
  retyped.set_internal_group("network");
  s = UpdateDefinition(retyped);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), StartsWith("definition.kind: fixed at creation"));
  auto uc = GoldDefinition(calendar.id());
  uc.set_name("Carrier UC");
  uc.set_kind(v1::AGREEMENT_KIND_UNDERPINNING_CONTRACT);
  uc.set_supplier_id("7c0f7d4e-0000-4000-8000-000000000001");
  v1::SlaDefinition stored_uc;
  ASSERT_TRUE(CreateDefinition(uc, &stored_uc).ok());
  stored_uc.set_supplier_id("7c0f7d4e-0000-4000-8000-000000000002");
  s = UpdateDefinition(stored_uc);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), StartsWith("definition.supplier_id: fixed at creation"));
  // Either side of the hand-over, the answer says for which instants it holds: a cache of it
  // (the SLA timer's) does not give a record created after the hand-over the first one.
  const absl::Time handover = base::FromProtoTimestamp(second.effective_from());
  for (const auto& [at, name] : {std::pair{handover - absl::Seconds(5), "Gold VPN"},
                                 std::pair{handover + absl::Seconds(5), "Gold VPN 2027"}}) {
    v1::ResolveApplicableSlaRequest resolve;
    resolve.set_service("vpn");
    resolve.set_priority(incident::v1::PRIORITY_P1);
    resolve.set_kind(v1::AGREEMENT_KIND_SLA);
    *resolve.mutable_at() = base::ToProtoTimestamp(at);
    v1::ResolveApplicableSlaResponse applicable;
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->ResolveApplicableSla(&ctx, resolve, &applicable).ok());
    ASSERT_EQ(applicable.applicable_size(), 1) << name;
    EXPECT_EQ(applicable.applicable(0).definition().name(), name);
    if (at < handover) {
      EXPECT_FALSE(applicable.has_valid_from());
      EXPECT_EQ(base::FromProtoTimestamp(applicable.valid_until()), handover);
    } else {
      EXPECT_EQ(base::FromProtoTimestamp(applicable.valid_from()), handover);
      EXPECT_FALSE(applicable.has_valid_until());
    }
  }
  // The calendar is in use.
  {
    grpc::ClientContext ctx;
    v1::DeleteCalendarRequest r;
    r.set_id(calendar.id());
    v1::DeleteCalendarResponse response;
    EXPECT_EQ(stub_->DeleteCalendar(&ctx, r, &response).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  // No id is a bad request, as in every other call, not "no such calendar".
  {
    grpc::ClientContext ctx;
    v1::DeleteCalendarResponse response;
    grpc::Status s = stub_->DeleteCalendar(&ctx, v1::DeleteCalendarRequest(), &response);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message(), "id: required");
  }
  // Every version is kept and readable.
  {
    grpc::ClientContext ctx;
    v1::GetSlaDefinitionRequest r;
    r.set_id(first.id());
    r.set_version(1);
    v1::GetSlaDefinitionResponse got;
    ASSERT_TRUE(stub_->GetSlaDefinition(&ctx, r, &got).ok());
    EXPECT_FALSE(got.definition().has_effective_until());
  }
  v1::ListSlaDefinitionsRequest list;
  list.set_kind(v1::AGREEMENT_KIND_SLA);
  v1::ListSlaDefinitionsResponse listed;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->ListSlaDefinitions(&ctx, list, &listed).ok());
  }
  EXPECT_EQ(listed.definitions_size(), 2);
  EXPECT_EQ(Count("sla_definition_versions"), 5);  // the refused edits wrote none
}

// docs/sla.md 3.5: a definition for changes sits beside the incident one for the same service,
// priority and kind; each applies to its own records only; its conditions are in change states;
// its record kind is fixed.
TEST_P(SlaServiceTest, DefinitionsForChangesApplyToChangesOnly) {
  v1::Calendar calendar;
  ASSERT_TRUE(CreateCalendar(OfficeCalendar(), &calendar).ok());
  v1::SlaDefinition incidents;
  ASSERT_TRUE(CreateDefinition(GoldDefinition(calendar.id()), &incidents).ok());
  auto changes = GoldDefinition(calendar.id());
  changes.set_name("Gold VPN changes");
  changes.set_record_kind(v1::RECORD_KIND_CHANGE);
  auto* stop = changes.mutable_resolution_conditions()->mutable_stop()->add_any_of()->add_all_of();
  stop->set_field(v1::CONDITION_FIELD_STATE);
  stop->set_operator_(v1::CONDITION_OPERATOR_IN);
  stop->add_values("RESOLVED");  // an incident state
  grpc::Status s = CreateDefinition(changes);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(
      s.error_message(),
      StartsWith("definition.resolution_conditions.stop.any_of[0].all_of[0].values[0]: unknown "
                 "change state \"RESOLVED\""));
  stop->set_values(0, "REVIEW");
  changes.mutable_coverage()->add_request_types("laptop");
  s = CreateDefinition(changes);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), StartsWith("definition.coverage.request_types:"));
  changes.mutable_coverage()->clear_request_types();
  v1::SlaDefinition created;
  ASSERT_TRUE(CreateDefinition(changes, &created).ok());  // no overlap with the incident one
  EXPECT_EQ(created.resolution_conditions().start().any_of(0).all_of(0).values(0), "CANCELLED");

  for (const auto& [kind, expected] : {std::pair{v1::RECORD_KIND_UNSPECIFIED, incidents.id()},
                                       std::pair{v1::RECORD_KIND_CHANGE, created.id()}}) {
    v1::ResolveApplicableSlaRequest r;
    r.set_service("vpn");
    r.set_priority(incident::v1::PRIORITY_P1);
    r.set_record_kind(kind);
    v1::ResolveApplicableSlaResponse out;
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->ResolveApplicableSla(&ctx, r, &out).ok());
    ASSERT_EQ(out.applicable_size(), 1);
    EXPECT_EQ(out.applicable(0).definition().id(), expected);
  }
  v1::SlaDefinition flipped = created;
  flipped.set_record_kind(v1::RECORD_KIND_UNSPECIFIED);
  s = UpdateDefinition(flipped);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), StartsWith("definition.record_kind:"));
}

TEST_P(SlaServiceTest, ChangesArePublishedOnTheSlaTopic) {
  v1::Calendar calendar;
  ASSERT_TRUE(CreateCalendar(OfficeCalendar(), &calendar).ok());
  v1::SlaDefinition gold;
  ASSERT_TRUE(CreateDefinition(GoldDefinition(calendar.id()), &gold).ok());
  gold.set_retired(true);
  ASSERT_TRUE(UpdateDefinition(gold).ok());
  // A rejected change publishes nothing.
  EXPECT_FALSE(CreateDefinition(GoldDefinition("missing")).ok());
  EXPECT_EQ(Count("outbox"), 3);

  prometheus::Registry registry;
  outbox::RelayOptions options;
  options.bootstrap_servers = cluster_->bootstrap_servers();
  outbox::OutboxRelay relay(*db_, options, registry);
  ASSERT_EQ(*relay.PublishOnce(), 3);
  auto records = itsm::testing::ReadTopic(cluster_->bootstrap_servers(), kSlaTopic, 3);
  ASSERT_TRUE(records.ok());
  std::multiset<std::string> types;
  for (const auto& rec : *records) {
    types.insert(rec.Header("ce_type"));
    EXPECT_EQ(rec.Header("ce_source"), "itsm/sla");
    if (rec.Header("ce_type") == "itsm.sla.v1.SlaDefinitionUpdated") {
      v1::SlaDefinitionUpdated updated;
      ASSERT_TRUE(updated.ParseFromString(rec.value));
      EXPECT_EQ(rec.key, gold.id());
      EXPECT_TRUE(updated.definition().retired());
      EXPECT_EQ(updated.previous_version(), 1);
    }
  }
  EXPECT_EQ(types, (std::multiset<std::string>{"itsm.sla.v1.CalendarCreated",
                                               "itsm.sla.v1.SlaDefinitionCreated",
                                               "itsm.sla.v1.SlaDefinitionUpdated"}));
}

TEST_P(SlaServiceTest, StatusAndReportsFromTheTimersEventsThroughTheBroker) {
  v1::Calendar calendar;
  ASSERT_TRUE(CreateCalendar(OfficeCalendar(), &calendar).ok());
  const absl::Time opened = Istanbul(2026, 11, 20, 10);
  // What the SLA timer would publish for two incidents: inc-1 met its response and is paused
  // on its resolution; inc-2 breached its resolution and was then resolved.
  auto clock = [&](const std::string& id, const std::string& incident, v1::ClockKind kind,
                   v1::ClockStage stage, int64_t elapsed_s, absl::Time at) {
    v1::SlaClock c;
    c.set_clock_id(id);
    c.set_incident_id(incident);
    c.set_sla_definition_id("def-gold");
    c.set_sla_definition_name("Gold VPN");
    c.set_agreement_kind(v1::AGREEMENT_KIND_SLA);
    c.set_clock_kind(kind);
    c.set_service("vpn");
    c.set_priority(incident::v1::PRIORITY_P1);
    c.set_calendar_id(calendar.id());
    c.set_time_zone("Europe/Istanbul");
    c.mutable_target()->set_seconds(kind == v1::CLOCK_KIND_RESPONSE ? 1800 : 4 * 3600);
    *c.mutable_start_time() = base::ToProtoTimestamp(opened);
    c.set_stage(stage);
    c.mutable_business_elapsed()->set_seconds(elapsed_s);
    *c.mutable_event_time() = base::ToProtoTimestamp(at);
    if (stage == v1::CLOCK_STAGE_COMPLETED) *c.mutable_stop_time() = c.event_time();
    return c;
  };
  std::vector<outbox::OutgoingEvent> timer_events;
  auto add = [&](const google::protobuf::Message& m, const v1::SlaClock& c) {
    timer_events.push_back({kSlaTopic, c.incident_id(),
                            events::MakeCloudEvent(m, "itsm/sla-timer", c.incident_id(),
                                                   base::FromProtoTimestamp(c.event_time()))});
  };
  v1::SlaClockStarted s1;
  *s1.mutable_clock() =
      clock("r1", "inc-1", v1::CLOCK_KIND_RESPONSE, v1::CLOCK_STAGE_RUNNING, 0, opened);
  add(s1, s1.clock());
  v1::SlaMet m1;
  *m1.mutable_clock() = clock("r1", "inc-1", v1::CLOCK_KIND_RESPONSE, v1::CLOCK_STAGE_COMPLETED,
                              600, opened + absl::Minutes(10));
  add(m1, m1.clock());
  v1::SlaClockPaused p1;
  *p1.mutable_clock() = clock("x1", "inc-1", v1::CLOCK_KIND_RESOLUTION, v1::CLOCK_STAGE_PAUSED,
                              3600, opened + absl::Hours(1));
  add(p1, p1.clock());
  v1::SlaBreached b2;
  *b2.mutable_clock() = clock("x2", "inc-2", v1::CLOCK_KIND_RESOLUTION, v1::CLOCK_STAGE_RUNNING,
                              4 * 3600, opened + absl::Hours(4));
  b2.mutable_clock()->set_breached(true);
  add(b2, b2.clock());
  v1::SlaClockCompleted c2;
  *c2.mutable_clock() = clock("x2", "inc-2", v1::CLOCK_KIND_RESOLUTION, v1::CLOCK_STAGE_COMPLETED,
                              5 * 3600, opened + absl::Hours(5));
  c2.mutable_clock()->set_breached(true);
  add(c2, c2.clock());
  {
    auto txn = db_->Begin(storage::TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    for (const auto& e : timer_events) ASSERT_TRUE(outbox::Outbox::Append(**txn, e).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  prometheus::Registry registry;
  outbox::RelayOptions options;
  options.bootstrap_servers = cluster_->bootstrap_servers();
  outbox::OutboxRelay relay(*db_, options, registry);
  ASSERT_EQ(*relay.PublishOnce(), 6);  // the calendar's event and the timer's five

  events::EventConsumer consumer(
      {.bootstrap_servers = cluster_->bootstrap_servers(),
       .group_id = "sla-projection-test",
       .topics = {kSlaTopic}},
      [this](const events::ConsumedEvent& e) { return projection_->Apply(e.event); }, registry);
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(supervisor::WaitUntil([&] { return *projection_->size() == 3; }, absl::Seconds(30),
                                    "projection has 3 clocks")
                  .ok());
  // The completed clock's last event may still be in flight: wait for it too.
  auto status_of = [&](const std::string& incident) {
    grpc::ClientContext ctx;
    v1::GetIncidentSlaStatusRequest r;
    r.set_incident_id(incident);
    v1::GetIncidentSlaStatusResponse response;
    EXPECT_TRUE(stub_->GetIncidentSlaStatus(&ctx, r, &response).ok());
    return response;
  };
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    auto s = status_of("inc-2");
                    return s.clocks_size() == 1 && s.clocks(0).stage() == v1::CLOCK_STAGE_COMPLETED;
                  },
                  absl::Seconds(30), "inc-2 completed")
                  .ok());
  consumer.Stop();

  clock_.Set(opened + absl::Hours(3));
  auto inc1 = status_of("inc-1");
  ASSERT_EQ(inc1.clocks_size(), 2);
  std::map<std::string, v1::ClockStatus> by_id;
  for (const auto& c : inc1.clocks()) by_id[c.clock_id()] = c;
  EXPECT_EQ(by_id["r1"].state(), "met");
  EXPECT_EQ(by_id["r1"].business_elapsed().seconds(), 600);
  EXPECT_EQ(by_id["x1"].state(), "paused");
  EXPECT_EQ(by_id["x1"].paused_duration().seconds(), 2 * 3600);
  EXPECT_EQ(by_id["x1"].remaining().seconds(), 3 * 3600);
  EXPECT_EQ(by_id["x1"].time_zone(), "Europe/Istanbul") << "where the clock's times belong";
  auto inc2 = status_of("inc-2");
  EXPECT_EQ(inc2.clocks(0).state(), "breached");
  EXPECT_TRUE(inc2.clocks(0).breached());
  EXPECT_EQ(inc2.clocks(0).remaining().seconds(), -3600);

  v1::GetComplianceReportRequest report_request;
  report_request.add_group_by(v1::REPORT_DIMENSION_SERVICE);
  report_request.add_group_by(v1::REPORT_DIMENSION_PERIOD);
  report_request.set_period(v1::REPORT_PERIOD_WEEK);
  report_request.set_time_zone("Europe/Istanbul");
  v1::GetComplianceReportResponse report;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->GetComplianceReport(&ctx, report_request, &report).ok());
  }
  ASSERT_EQ(report.rows_size(), 1);
  const auto& row = report.rows(0);
  EXPECT_EQ(row.service(), "vpn");
  EXPECT_EQ(row.period_start(), "2026-11-16");  // the Monday of that week
  EXPECT_EQ(row.met(), 1);
  EXPECT_EQ(row.breached(), 1);
  EXPECT_EQ(row.in_progress(), 1);
  EXPECT_DOUBLE_EQ(row.percent_met(), 50.0);
  EXPECT_EQ(row.mean_time_to_respond().seconds(), 600);
  EXPECT_EQ(row.p90_time_to_resolve().seconds(), 5 * 3600);
}

// Issue 12, finding 8: the status of a running clock counts with the calendar version the
// clock started with (pinned, the event's calendar_version), as the timer does, not with the
// calendar as edited since.
TEST_P(SlaServiceTest, StatusCountsWithTheCalendarVersionTheClockStartedWith) {
  v1::Calendar always;
  always.set_name("always");
  always.set_time_zone("Europe/Istanbul");
  always.set_always_open(true);
  ASSERT_TRUE(CreateCalendar(always, &always).ok());
  const absl::Time start = Istanbul(2026, 11, 21, 10);  // a Saturday
  v1::SlaClock c;
  c.set_clock_id("x1");
  c.set_incident_id("inc-1");
  c.set_sla_definition_id("def-gold");
  c.set_clock_kind(v1::CLOCK_KIND_RESOLUTION);
  c.set_calendar_id(always.id());
  c.set_calendar_version(always.version());
  c.set_time_zone("Europe/Istanbul");
  c.mutable_target()->set_seconds(3600);
  *c.mutable_start_time() = base::ToProtoTimestamp(start);
  *c.mutable_event_time() = c.start_time();
  *c.mutable_due_time() = base::ToProtoTimestamp(start + absl::Hours(1));
  c.set_stage(v1::CLOCK_STAGE_RUNNING);
  ASSERT_TRUE(projection_->ApplyClock(c).ok());
  // Edited after the start: office hours, closed on Saturdays.
  v1::Calendar office = OfficeCalendar("always");
  office.set_id(always.id());
  office.set_version(always.version());
  {
    grpc::ClientContext ctx;
    v1::UpdateCalendarRequest r;
    *r.mutable_calendar() = office;
    v1::UpdateCalendarResponse updated;
    ASSERT_TRUE(stub_->UpdateCalendar(&ctx, r, &updated).ok());
    ASSERT_EQ(updated.calendar().version(), 2);
  }
  clock_.Set(start + absl::Seconds(12));
  grpc::ClientContext ctx;
  v1::GetIncidentSlaStatusRequest r;
  r.set_incident_id("inc-1");
  v1::GetIncidentSlaStatusResponse status;
  ASSERT_TRUE(stub_->GetIncidentSlaStatus(&ctx, r, &status).ok());
  ASSERT_EQ(status.clocks_size(), 1);
  // The timer counts 12 s on version 1 (24x7); version 2 would say 0 s.
  EXPECT_EQ(base::FromProtoDuration(status.clocks(0).business_elapsed()), absl::Seconds(12));
  EXPECT_EQ(base::FromProtoDuration(status.clocks(0).remaining()), absl::Seconds(3600 - 12));

  // A record's number finds no clock: refused, not answered "no clocks".
  for (const char* number : {"INC0000179", "REQ0000004"}) {
    grpc::ClientContext by_number;
    r.set_incident_id(number);
    grpc::Status refused = stub_->GetIncidentSlaStatus(&by_number, r, &status);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(refused.error_message().rfind("incident_id: give the record's id, not its number", 0),
              0u)
        << refused.error_message();
  }
  // The hint names the route that answers the record's id.
  {
    grpc::ClientContext by_number;
    r.set_incident_id("REQ0000004");
    grpc::Status refused = stub_->GetIncidentSlaStatus(&by_number, r, &status);
    EXPECT_THAT(refused.error_message(), HasSubstr("(GET /v1/serviceRequests/REQ0000004 answers"));
  }
  // Nor is what no id looks like answered "no clocks".
  for (const char* garbage : {"../../etc/passwd", "INC0000179 ", "inc 1"}) {
    grpc::ClientContext ctx;
    r.set_incident_id(garbage);
    grpc::Status refused = stub_->GetIncidentSlaStatus(&ctx, r, &status);
    EXPECT_EQ(ViolatedField(refused), "incident_id") << garbage << ": " << refused.error_message();
  }
}

// ExplainClocks through gRPC, on the SLA history as the consumer fills it: the paused clock
// of docs/sla.md 6 ("Pause"), explained with its pinned definition and calendar versions,
// then recomputed under a 24x7 calendar and under another definition; bad requests name
// their field.
TEST_P(SlaServiceTest, ExplainClocksShowsTheTimelineIntervalsAndDerivationAndAWhatIf) {
  v1::Calendar office;
  ASSERT_TRUE(CreateCalendar(OfficeCalendar(), &office).ok());
  v1::SlaDefinition gold;
  ASSERT_TRUE(CreateDefinition(GoldDefinition(office.id()), &gold).ok());
  v1::Calendar always;
  always.set_name("always");
  always.set_time_zone("Europe/Istanbul");
  always.set_always_open(true);
  ASSERT_TRUE(CreateCalendar(always, &always).ok());
  v1::SlaDefinition strict = GoldDefinition(office.id());
  strict.set_name("Strict VPN");
  strict.set_kind(v1::AGREEMENT_KIND_OLA);
  strict.set_internal_group("network");
  strict.mutable_targets(0)->mutable_resolution_target()->set_seconds(3 * 3600);
  ASSERT_TRUE(CreateDefinition(strict, &strict).ok());

  // What the timer publishes: P1 raised Friday 16:30, held Tuesday 10:00, back 14:00.
  auto clock = [&](v1::ClockStage stage, absl::Time at, const std::string& cause) {
    v1::SlaClock c;
    c.set_clock_id("x1");
    c.set_incident_id("inc-1");
    c.set_sla_definition_id(gold.id());
    c.set_sla_definition_version(gold.version());
    c.set_sla_definition_name(gold.name());
    c.set_agreement_kind(v1::AGREEMENT_KIND_SLA);
    c.set_clock_kind(v1::CLOCK_KIND_RESOLUTION);
    c.set_service("vpn");
    c.set_priority(incident::v1::PRIORITY_P1);
    c.set_calendar_id(office.id());
    c.set_calendar_version(office.version());
    c.set_time_zone("Europe/Istanbul");
    c.mutable_target()->set_seconds(4 * 3600);
    *c.mutable_start_time() = base::ToProtoTimestamp(Istanbul(2026, 11, 20, 16, 30));
    c.set_stage(stage);
    c.set_cause(cause);
    *c.mutable_event_time() = base::ToProtoTimestamp(at);
    return c;
  };
  v1::SlaClockStarted started;
  *started.mutable_clock() =
      clock(v1::CLOCK_STAGE_RUNNING, Istanbul(2026, 11, 20, 16, 30), "start_condition");
  v1::SlaClockPaused paused;
  *paused.mutable_clock() =
      clock(v1::CLOCK_STAGE_PAUSED, Istanbul(2026, 11, 24, 10), "pause_condition");
  auto* field = paused.mutable_clock()->add_changed_fields();
  field->set_field("state");
  field->set_value("ON_HOLD");
  v1::SlaClockResumed resumed;
  *resumed.mutable_clock() =
      clock(v1::CLOCK_STAGE_RUNNING, Istanbul(2026, 11, 24, 14), "resume_condition");
  std::vector<events::CloudEvent> published;
  for (const google::protobuf::Message* m :
       std::initializer_list<const google::protobuf::Message*>{&started, &paused, &resumed}) {
    const auto& c = dynamic_cast<const v1::SlaClock&>(
        m->GetReflection()->GetMessage(*m, m->GetDescriptor()->FindFieldByName("clock")));
    published.push_back(events::MakeCloudEvent(*m, "itsm/sla-timer", "inc-1",
                                               base::FromProtoTimestamp(c.event_time())));
  }
  for (int round = 0; round < 2; ++round) {  // a replay changes nothing
    for (const auto& e : published) ASSERT_TRUE(projection_->Apply(e).ok());
  }

  auto explain = [&](const v1::ExplainClocksRequest& r, v1::ExplainClocksResponse* out) {
    grpc::ClientContext ctx;
    return stub_->ExplainClocks(&ctx, r, out);
  };
  clock_.Set(Istanbul(2026, 11, 24, 15));
  v1::ExplainClocksRequest request;
  request.set_record_id("inc-1");
  v1::ExplainClocksResponse response;
  grpc::Status s = explain(request, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(response.clocks_size(), 1);
  const v1::ClockExplanation& x = response.clocks(0);
  EXPECT_TRUE(x.history_complete()) << x.note();
  EXPECT_EQ(x.sla_definition_version(), 1);
  EXPECT_EQ(x.calendar_name(), "Istanbul office");
  EXPECT_EQ(x.calendar_version(), 1);
  EXPECT_THAT(x.warning_thresholds(), ::testing::ElementsAre(50, 75, 90));
  ASSERT_EQ(x.timeline_size(), 3);
  EXPECT_EQ(x.timeline(1).explanation(), "paused by the pause condition (state=ON_HOLD)");
  ASSERT_EQ(x.intervals_size(), 3);
  EXPECT_EQ(base::FromProtoDuration(x.intervals(0).business_time()), absl::Minutes(150));
  EXPECT_EQ(base::FromProtoDuration(x.intervals(2).business_time()), absl::Hours(1));
  EXPECT_EQ(x.derivation().state(), "running");
  EXPECT_EQ(base::FromProtoTimestamp(x.derivation().due_time()), Istanbul(2026, 11, 24, 15, 30));
  EXPECT_FALSE(x.has_what_if());

  // What if it had run on a 24x7 calendar: Friday 16:30 to Tuesday 10:00 is 89 h 30 — long
  // breached, at Friday 20:30.
  request.set_what_if_calendar_id(always.id());
  ASSERT_TRUE(explain(request, &response).ok());
  const v1::ClockWhatIf& w = response.clocks(0).what_if();
  EXPECT_TRUE(w.note().empty()) << w.note();
  EXPECT_EQ(w.calendar_id(), always.id());
  EXPECT_EQ(w.calendar_version(), 1);
  EXPECT_EQ(w.derivation().state(), "breached");
  EXPECT_EQ(base::FromProtoTimestamp(w.derivation().breach_time()), Istanbul(2026, 11, 20, 20, 30));
  EXPECT_EQ(base::FromProtoDuration(w.derivation().business_elapsed()),
            absl::Hours(89) + absl::Minutes(30) + absl::Hours(1));
  // Under the stricter definition (P1 3 h on its own calendar, the office): due at 14:30.
  request.clear_what_if_calendar_id();
  request.set_what_if_definition_id(strict.id());
  ASSERT_TRUE(explain(request, &response).ok());
  const v1::ClockWhatIf& strict_w = response.clocks(0).what_if();
  EXPECT_EQ(strict_w.sla_definition_name(), "Strict VPN");
  EXPECT_EQ(base::FromProtoTimestamp(strict_w.derivation().due_time()),
            Istanbul(2026, 11, 24, 14, 30));
  EXPECT_EQ(strict_w.derivation().state(), "breached");

  // Bad requests name their field and change nothing.
  auto code = [&](const v1::ExplainClocksRequest& r) {
    v1::ExplainClocksResponse out;
    grpc::Status status = explain(r, &out);
    return std::pair(status.error_code(), status.error_message());
  };
  EXPECT_THAT(code(v1::ExplainClocksRequest()),
              ::testing::Pair(grpc::StatusCode::INVALID_ARGUMENT, StartsWith("record_id:")));
  v1::ExplainClocksRequest bad;
  bad.set_record_id("inc-1");
  bad.set_what_if_calendar_version(-1);
  EXPECT_THAT(code(bad), ::testing::Pair(grpc::StatusCode::INVALID_ARGUMENT,
                                         StartsWith("what_if_calendar_version:")));
  bad.set_what_if_calendar_version(2);
  EXPECT_THAT(code(bad), ::testing::Pair(grpc::StatusCode::INVALID_ARGUMENT,
                                         StartsWith("what_if_calendar_version:")));
  bad.set_what_if_calendar_id(always.id());
  EXPECT_THAT(code(bad),
              ::testing::Pair(grpc::StatusCode::NOT_FOUND, StartsWith("what_if_calendar_id:")));
  v1::ExplainClocksRequest unknown;
  unknown.set_record_id("inc-1");
  unknown.set_what_if_definition_id("no-such-definition");
  EXPECT_THAT(code(unknown),
              ::testing::Pair(grpc::StatusCode::NOT_FOUND, StartsWith("what_if_definition_id:")));
  unknown.clear_what_if_definition_id();
  unknown.set_clock_id("no-such-clock");
  EXPECT_THAT(code(unknown), ::testing::Pair(grpc::StatusCode::NOT_FOUND, StartsWith("clock_id:")));
  v1::ExplainClocksRequest nothing;
  nothing.set_record_id("inc-2");
  ASSERT_TRUE(explain(nothing, &response).ok());
  EXPECT_EQ(response.clocks_size(), 0);
}

// What the SLA timer publishes for `incidents` incidents, two clocks each (response met,
// resolution still running), started an hour apart from `first` (so reports span days).
std::vector<events::CloudEvent> TimerEvents(int from, int incidents, absl::Time first) {
  std::vector<events::CloudEvent> out;
  for (int i = from; i < from + incidents; ++i) {
    const absl::Time start = first + absl::Hours(i);
    for (bool response : {true, false}) {
      v1::SlaClock c;
      c.set_clock_id(absl::StrCat(response ? "r-" : "x-", i));
      c.set_incident_id(absl::StrCat("inc-", i));
      c.set_sla_definition_id("def-gold");
      c.set_sla_definition_name("Gold VPN");
      c.set_agreement_kind(v1::AGREEMENT_KIND_SLA);
      c.set_clock_kind(response ? v1::CLOCK_KIND_RESPONSE : v1::CLOCK_KIND_RESOLUTION);
      c.set_service(i % 2 ? "vpn" : "mail");
      c.set_priority(i % 3 ? incident::v1::PRIORITY_P2 : incident::v1::PRIORITY_P1);
      c.set_calendar_id("cal");
      c.mutable_target()->set_seconds(response ? 1800 : 4 * 3600);
      *c.mutable_start_time() = base::ToProtoTimestamp(start);
      *c.mutable_event_time() = c.start_time();
      c.set_stage(v1::CLOCK_STAGE_RUNNING);
      v1::SlaClockStarted started;
      *started.mutable_clock() = c;
      out.push_back(events::MakeCloudEvent(started, "itsm/sla-timer", c.incident_id(), start));
      if (!response) continue;
      c.set_stage(v1::CLOCK_STAGE_COMPLETED);
      c.mutable_business_elapsed()->set_seconds(60 * (1 + i % 20));
      *c.mutable_event_time() = base::ToProtoTimestamp(start + absl::Minutes(1 + i % 20));
      *c.mutable_stop_time() = c.event_time();
      v1::SlaMet met;
      *met.mutable_clock() = c;
      out.push_back(events::MakeCloudEvent(met, "itsm/sla-timer", c.incident_id(),
                                           base::FromProtoTimestamp(c.event_time())));
    }
  }
  return out;
}

bool Same(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

void Publish(const std::string& bootstrap, const std::vector<events::CloudEvent>& events) {
  auto producer = events::KafkaProducer::Create({.bootstrap_servers = bootstrap});
  ASSERT_TRUE(producer.ok()) << producer.status();
  auto batch = (*producer)->NewBatch();
  ASSERT_TRUE(batch.ok());
  for (const auto& e : events) {
    ASSERT_EQ(batch->Produce(kSlaTopic, e.subject, e), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  for (const auto& d : batch->Wait()) ASSERT_TRUE(d.delivered());
}

// The SLA history lives in the service's database with the consumer's position: a restart
// (a new projection and consumer on the same database) resumes from the stored position and
// applies none of the earlier events again, but every new one; a broker that lost everything
// (a fresh cluster, empty topic) leaves status and reports as they were, and the timer's
// re-published states (SlaClockRepublished) change nothing.
TEST_P(SlaServiceTest, HistorySurvivesRestartsAndABrokerLoss) {
  const absl::Time first = Istanbul(2026, 11, 2, 9);
  const auto before = TimerEvents(0, 30, first);  // 90 events, 60 clocks
  Publish(cluster_->bootstrap_servers(), before);
  auto report = [&] {
    v1::GetComplianceReportRequest r;
    r.add_group_by(v1::REPORT_DIMENSION_SERVICE);
    r.add_group_by(v1::REPORT_DIMENSION_PRIORITY);
    r.add_group_by(v1::REPORT_DIMENSION_PERIOD);
    r.set_period(v1::REPORT_PERIOD_DAY);
    grpc::ClientContext ctx;
    v1::GetComplianceReportResponse out;
    EXPECT_TRUE(stub_->GetComplianceReport(&ctx, r, &out).ok());
    return out;
  };
  auto status_of = [&](const std::string& incident) {
    grpc::ClientContext ctx;
    v1::GetIncidentSlaStatusRequest r;
    r.set_incident_id(incident);
    v1::GetIncidentSlaStatusResponse out;
    EXPECT_TRUE(stub_->GetIncidentSlaStatus(&ctx, r, &out).ok());
    return out;
  };
  prometheus::Registry registry;
  // Every partition done up to the broker's end: whatever the consumer would apply (events it
  // must not apply again included) has been applied; no sleep needed to prove an absence.
  auto at_end = [](events::EventConsumer& consumer) {
    for (int p = 0; p < 4; ++p) {
      auto end = consumer.QueryHighWatermark(kSlaTopic, p, absl::Seconds(5));
      auto done = consumer.Applied(kSlaTopic, p);
      if (!end.ok() || !done || *done < *end) return false;
    }
    return true;
  };
  auto run_until = [&](ClockProjection& projection, const std::string& bootstrap, int64_t expected,
                       const char* what) {
    auto consumer = NewHistoryConsumer(
        projection, {.bootstrap_servers = bootstrap, .group_id = base::NewUuid()}, registry);
    ASSERT_TRUE(consumer->Start().ok());
    ASSERT_TRUE(
        supervisor::WaitUntil([&] { return at_end(*consumer); }, absl::Seconds(30), what).ok());
    consumer->Stop();
    EXPECT_EQ(projection.applied_events(), expected) << what;
  };
  run_until(*projection_, cluster_->bootstrap_servers(), 90, "first start applies 90 events");
  ASSERT_EQ(*projection_->size(), 60);
  clock_.Set(first + absl::Hours(40));
  const auto report_before = report();
  const auto status_before = status_of("inc-7");
  ASSERT_EQ(report_before.total().met(), 30);
  ASSERT_EQ(report_before.total().in_progress(), 30);
  ASSERT_EQ(status_before.clocks_size(), 2);

  // Restart with nothing new: nothing is applied again, everything is still there.
  ClockProjection restarted(*db_);
  auto consumer = NewHistoryConsumer(
      restarted, {.bootstrap_servers = cluster_->bootstrap_servers(), .group_id = "g2"}, registry);
  ASSERT_TRUE(consumer->Start().ok());
  ASSERT_TRUE(supervisor::WaitUntil([&] { return at_end(*consumer); }, absl::Seconds(30),
                                    "restarted consumer at the end")
                  .ok());
  EXPECT_EQ(restarted.applied_events(), 0);
  // New events after the restart are applied, and only they.
  Publish(cluster_->bootstrap_servers(), TimerEvents(30, 5, first));
  ASSERT_TRUE(
      supervisor::WaitUntil([&] { return restarted.applied_events() >= 15 && at_end(*consumer); },
                            absl::Seconds(30), "the 15 new events")
          .ok());
  consumer->Stop();
  EXPECT_EQ(restarted.applied_events(), 15);
  EXPECT_EQ(*restarted.size(), 70);
  const auto report_after_restart = report();
  EXPECT_EQ(report_after_restart.total().met(), 35);
  EXPECT_TRUE(Same(status_of("inc-7"), status_before));

  // The broker lost everything: a new cluster with an empty topic. The history stays; the
  // timer's re-published states (one per clock, as RepublishEvents sends them) change nothing.
  cluster_.reset();
  auto fresh = kafkamock::MockCluster::Start(1);
  ASSERT_TRUE(fresh.ok());
  ASSERT_TRUE((*fresh)->CreateTopic(kSlaTopic, 4).ok());
  EXPECT_TRUE(Same(report(), report_after_restart));
  std::map<std::string, v1::SlaClock> last;
  for (const auto& e : TimerEvents(0, 35, first)) {
    auto c = ClockProjection::ClockOf(e);
    ASSERT_TRUE(c.ok() && c->has_value());
    last[(*c)->clock_id()] = **c;
  }
  std::vector<events::CloudEvent> republished;
  for (const auto& [id, c] : last) {
    v1::SlaClockRepublished r;
    *r.mutable_clock() = c;
    republished.push_back(events::MakeCloudEvent(r, "itsm/sla-timer", c.incident_id(),
                                                 base::FromProtoTimestamp(c.event_time())));
  }
  Publish((*fresh)->bootstrap_servers(), republished);
  ClockProjection after_loss(*db_);
  run_until(after_loss, (*fresh)->bootstrap_servers(), 70, "the 70 re-published clocks");
  EXPECT_TRUE(Same(report(), report_after_restart));
  EXPECT_TRUE(Same(status_of("inc-7"), status_before));
  // And the clocks go on from there on the new broker.
  Publish((*fresh)->bootstrap_servers(), TimerEvents(35, 1, first));
  ClockProjection later(*db_);
  run_until(later, (*fresh)->bootstrap_servers(), 3, "one more incident on the new broker");
  EXPECT_EQ(*later.size(), 72);
}

// Concurrent creates sharing an idempotency key get the one calendar and the one definition;
// the key with another body is ALREADY_EXISTS, and nothing is written twice.
TEST_P(SlaServiceTest, ConcurrentCreatesSharingAKeyGetOneRecord) {
  constexpr int kCallers = 4;
  std::vector<std::string> calendar_ids(kCallers), definition_ids(kCallers);
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      grpc::ClientContext ctx;
      v1::CreateCalendarRequest r;
      *r.mutable_calendar() = OfficeCalendar("Shared office");
      r.set_idempotency_key("cal-1");
      v1::CreateCalendarResponse out;
      grpc::Status s = stub_->CreateCalendar(&ctx, r, &out);
      EXPECT_TRUE(s.ok()) << s.error_message();
      calendar_ids[c] = out.calendar().id();
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(std::set<std::string>(calendar_ids.begin(), calendar_ids.end()).size(), 1u);
  callers.clear();
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      grpc::ClientContext ctx;
      v1::CreateSlaDefinitionRequest r;
      *r.mutable_definition() = GoldDefinition(calendar_ids[0]);
      r.set_idempotency_key("def-1");
      v1::CreateSlaDefinitionResponse out;
      grpc::Status s = stub_->CreateSlaDefinition(&ctx, r, &out);
      EXPECT_TRUE(s.ok()) << s.error_message();
      definition_ids[c] = out.definition().id();
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(std::set<std::string>(definition_ids.begin(), definition_ids.end()).size(), 1u);
  EXPECT_EQ(Count("sla_calendars"), 1);

  grpc::ClientContext ctx;
  v1::CreateCalendarRequest other;
  *other.mutable_calendar() = OfficeCalendar("Another office");
  other.set_idempotency_key("cal-1");
  v1::CreateCalendarResponse out;
  grpc::Status s = stub_->CreateCalendar(&ctx, other, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(s.error_message(), "idempotency_key: already used for a different request");
  EXPECT_EQ(Count("sla_calendars"), 1);
}

// Who changed a calendar, and in which call: every version has an audit entry with the actor
// (x-itsm-actor) and the request id, written in the transaction of the change.
TEST_P(SlaServiceTest, CalendarChangesAreAuditedWithTheActorAndTheRequestId) {
  v1::Calendar created;
  ASSERT_TRUE(CreateCalendar(OfficeCalendar(), &created).ok());
  v1::Calendar changed = created;
  changed.mutable_holidays()->Clear();
  auto update = [&](const v1::Calendar& c, v1::UpdateCalendarResponse* out) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-itsm-actor", "carol");
    ctx.AddMetadata("x-request-id", "req-cal-7");
    v1::UpdateCalendarRequest r;
    *r.mutable_calendar() = c;
    return stub_->UpdateCalendar(&ctx, r, out);
  };
  v1::UpdateCalendarResponse updated;
  ASSERT_TRUE(update(changed, &updated).ok());
  EXPECT_EQ(updated.calendar().version(), 2);
  EXPECT_EQ(updated.calendar().updated_by(), "carol");
  // Read as a caller would: GetCalendarHistory, by id.
  auto trail = [&] {
    grpc::ClientContext ctx;
    v1::GetCalendarHistoryRequest r;
    r.set_id(created.id());
    v1::GetCalendarHistoryResponse response;
    grpc::Status s = stub_->GetCalendarHistory(&ctx, r, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return std::vector<common::v1::AuditEntry>(response.entries().begin(),
                                               response.entries().end());
  };
  auto entries = trail();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].version(), 1);
  EXPECT_EQ(entries[0].action(), "create");
  EXPECT_EQ(entries[0].actor(), "sla-admin");
  EXPECT_EQ(entries[1].version(), 2);
  EXPECT_EQ(entries[1].action(), "update");
  EXPECT_EQ(entries[1].actor(), "carol");
  EXPECT_EQ(entries[1].request_id(), "req-cal-7");
  EXPECT_EQ(records::FieldNames({entries[1].changes().begin(), entries[1].changes().end()}),
            std::vector<std::string>{"holidays"});
  // Saving it unchanged is no change: no version, no audit entry, no event.
  v1::UpdateCalendarResponse again;
  ASSERT_TRUE(update(updated.calendar(), &again).ok());
  EXPECT_EQ(again.calendar().version(), 2);
  EXPECT_EQ(trail().size(), 2u);
  EXPECT_EQ(Count("outbox"), 2);
  // The deletion is the last entry.
  {
    grpc::ClientContext ctx;
    ctx.AddMetadata("x-itsm-actor", "dave");
    v1::DeleteCalendarRequest r;
    r.set_id(created.id());
    v1::DeleteCalendarResponse response;
    ASSERT_TRUE(stub_->DeleteCalendar(&ctx, r, &response).ok());
  }
  // A deleted calendar's trail stays readable by its id, the deletion its last entry.
  entries = trail();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[2].version(), 3);
  EXPECT_EQ(entries[2].action(), "delete");
  EXPECT_EQ(entries[2].actor(), "dave");
  {  // and its event names who deleted it, as the trail does
    auto txn = db_->Begin(storage::TransactionMode::kReadOnly);
    ASSERT_TRUE(txn.ok());
    auto rows = (*txn)->Query("SELECT event_type, payload FROM outbox ORDER BY id DESC LIMIT 1");
    ASSERT_TRUE(rows.ok() && rows->rows().size() == 1);
    EXPECT_EQ(rows->rows()[0][0].AsString(), "itsm.sla.v1.CalendarDeleted");
    v1::CalendarDeleted deleted;
    ASSERT_TRUE(deleted.ParseFromString(rows->rows()[0][1].AsString()));
    EXPECT_EQ(deleted.calendar_id(), created.id());
    EXPECT_EQ(deleted.actor(), "dave");
  }
  const std::string deleted_id = created.id();
  // Definitions are audited the same way; a retirement is their last update.
  ASSERT_TRUE(CreateCalendar(OfficeCalendar(), &created).ok());
  v1::SlaDefinition gold;
  ASSERT_TRUE(CreateDefinition(GoldDefinition(created.id()), &gold).ok());
  v1::SlaDefinition retired = gold;
  retired.set_retired(true);
  ASSERT_TRUE(UpdateDefinition(retired).ok());
  auto definition_trail = [&](const std::string& id, v1::GetSlaDefinitionHistoryResponse* out,
                              int page_size = 0, const std::string& token = "") {
    grpc::ClientContext ctx;
    v1::GetSlaDefinitionHistoryRequest r;
    r.set_id(id);
    r.mutable_page()->set_page_size(page_size);
    r.mutable_page()->set_page_token(token);
    return stub_->GetSlaDefinitionHistory(&ctx, r, out);
  };
  v1::GetSlaDefinitionHistoryResponse first_page;
  ASSERT_TRUE(definition_trail(gold.id(), &first_page, 1).ok());
  ASSERT_EQ(first_page.entries_size(), 1);
  EXPECT_EQ(first_page.entries(0).action(), "create");
  ASSERT_FALSE(first_page.next_page_token().empty());
  v1::GetSlaDefinitionHistoryResponse second_page;
  ASSERT_TRUE(definition_trail(gold.id(), &second_page, 1, first_page.next_page_token()).ok());
  ASSERT_EQ(second_page.entries_size(), 1);
  EXPECT_EQ(second_page.entries(0).version(), 2);
  EXPECT_EQ(records::FieldNames(
                {second_page.entries(0).changes().begin(), second_page.entries(0).changes().end()}),
            std::vector<std::string>{"retired"});
  EXPECT_TRUE(second_page.next_page_token().empty());
  v1::GetSlaDefinitionHistoryResponse ignored;
  EXPECT_EQ(definition_trail(created.id(), &ignored).error_code(),
            grpc::StatusCode::NOT_FOUND);  // a calendar's id names no definition
  // Each route reads its own kind: a calendar's trail by the calendar's name; a definition's id
  // names no calendar (the ids share one table); an unknown or empty id is refused by name.
  auto calendar_trail = [&](const std::string& id, v1::GetCalendarHistoryResponse* out) {
    grpc::ClientContext ctx;
    v1::GetCalendarHistoryRequest r;
    r.set_id(id);
    return stub_->GetCalendarHistory(&ctx, r, out);
  };
  v1::GetCalendarHistoryResponse by_name;
  ASSERT_TRUE(calendar_trail(created.name(), &by_name).ok());
  ASSERT_EQ(by_name.entries_size(), 1);
  EXPECT_EQ(by_name.entries(0).action(), "create");
  v1::GetCalendarHistoryResponse none;
  grpc::Status s = calendar_trail(gold.id(), &none);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), absl::StrCat("id: no calendar \"", gold.id(), "\""));
  EXPECT_EQ(calendar_trail("no-such-calendar", &none).error_code(), grpc::StatusCode::NOT_FOUND);
  s = calendar_trail("", &none);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedField(s), "id");
  EXPECT_EQ(none.entries_size(), 0);
  ASSERT_TRUE(calendar_trail(deleted_id, &none).ok());
  EXPECT_EQ(none.entries_size(), 3);
}

// Entries written before migration 7, in the service's own table, are read after it through
// the record toolkit's, unchanged.
TEST_P(SlaServiceTest, TheAuditTrailOfEarlierVersionsMovesToTheToolkitsTable) {
  auto db = itsm::testing::NewDatabase(GetParam());
  ASSERT_TRUE(db.ok()) << db.status();
  std::vector<storage::Migration> earlier = SlaRepository::Migrations();
  ASSERT_EQ(earlier.size(), 7u);
  earlier.pop_back();
  ASSERT_TRUE(storage::ApplyMigrations(**db, "sla", earlier).ok());
  v1::Calendar calendar = OfficeCalendar();
  calendar.set_id(base::NewUuid());
  calendar.set_version(1);
  common::v1::AuditEntry created, updated;
  created.set_version(1);
  created.set_actor("alice");
  created.set_action("create");
  *created.mutable_time() = base::ToProtoTimestamp(clock_.Now());
  updated = created;
  updated.set_version(2);
  updated.set_actor("bob");
  updated.set_action("update");
  updated.set_request_id("req-9");
  {
    auto txn = (*db)->Begin(storage::TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(SlaRepository::InsertCalendar(**txn, calendar).ok());
    for (const auto* entry : {&created, &updated}) {
      ASSERT_TRUE((*txn)
                      ->Execute("INSERT INTO sla_audit_entries(record_id, version, kind, time_us, "
                                "data) VALUES ($1, $2, 'calendar', 0, $3)",
                                {calendar.id(), entry->version(),
                                 storage::Bytes{entry->SerializeAsString()}})
                      .ok());
    }
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  ASSERT_TRUE(storage::ApplySchema(**db, SlaRepository::Schema()).ok());
  auto txn = (*db)->Begin(storage::TransactionMode::kReadOnly);
  ASSERT_TRUE(txn.ok());
  v1::GetCalendarHistoryRequest request;
  request.set_id(calendar.name());
  v1::GetCalendarHistoryResponse history;
  ASSERT_TRUE(calendars_.History(**txn, request, history).ok());
  ASSERT_EQ(history.entries_size(), 2);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(history.entries(0), created));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(history.entries(1), updated));
  EXPECT_FALSE((*txn)->Query("SELECT 1 FROM sla_audit_entries").ok());  // the table is gone
}

// Two replicas of the service on one database, each with its own group committer, and callers
// that share an idempotency key spread over both: every caller gets the one calendar and the one
// definition, and nothing is written twice.
TEST_P(SlaServiceTest, ConcurrentCreatesSharingAKeyAcrossReplicasAllGetOneRecord) {
  // Harsher than the service (one writer): writers of one replica race each other too.
  const int writers = GetParam() == Backend::kPostgres ? 2 : 1;
  storage::GroupCommitter committer_a(*db_, {.max_batch = 64, .writers = writers});
  storage::GroupCommitter committer_b(*db_, {.max_batch = 64, .writers = writers});
  SlaGrpcService replica_a(*db_, committer_a, executor_, Apps());
  SlaGrpcService replica_b(*db_, committer_b, executor_, Apps());
  itsm::testing::GrpcTestServer server_a({&replica_a}), server_b({&replica_b});
  std::vector<std::unique_ptr<v1::SlaService::Stub>> stubs;
  // Two channels per replica, so that calls really overlap.
  for (auto* server : {&server_a, &server_b}) {
    for (int c = 0; c < 2; ++c) stubs.push_back(v1::SlaService::NewStub(server->Channel(c)));
  }
  constexpr int kRounds = 10;
  constexpr int kCallers = 4;
  for (int round = 0; round < kRounds; ++round) {
    const std::string key = absl::StrCat("shared-", round);
    const std::string calendar_name = absl::StrCat("Shared office ", round);
    std::vector<std::string> calendar_ids(kCallers), definition_ids(kCallers);
    std::vector<std::string> errors;
    absl::Mutex errors_mu;
    std::vector<std::thread> callers;
    for (int c = 0; c < kCallers; ++c) {
      callers.emplace_back([&, c] {
        auto& client = *stubs[c % stubs.size()];
        auto failed = [&](const char* what, const grpc::Status& s) {
          absl::MutexLock lock(&errors_mu);
          errors.push_back(absl::StrCat(what, ": ", s.error_code(), " ", s.error_message()));
        };
        {
          grpc::ClientContext ctx;
          v1::CreateCalendarRequest r;
          *r.mutable_calendar() = OfficeCalendar(calendar_name);
          r.set_idempotency_key(key);
          v1::CreateCalendarResponse out;
          if (grpc::Status s = client.CreateCalendar(&ctx, r, &out); s.ok()) {
            calendar_ids[c] = out.calendar().id();
          } else {
            failed("calendar", s);
          }
        }
        {
          grpc::ClientContext ctx;
          v1::CreateSlaDefinitionRequest r;
          // By the calendar's name: every caller sends the same request.
          *r.mutable_definition() = GoldDefinition(calendar_name);
          r.mutable_definition()->mutable_coverage()->set_services(0, key);
          r.set_idempotency_key(key);
          v1::CreateSlaDefinitionResponse out;
          if (grpc::Status s = client.CreateSlaDefinition(&ctx, r, &out); s.ok()) {
            definition_ids[c] = out.definition().id();
          } else {
            failed("definition", s);
          }
        }
      });
    }
    for (auto& t : callers) t.join();
    ASSERT_TRUE(errors.empty()) << errors.front();
    for (const auto* ids : {&calendar_ids, &definition_ids}) {
      EXPECT_EQ(std::set<std::string>(ids->begin(), ids->end()).size(), 1u) << key;
    }
  }
  EXPECT_EQ(Count("sla_calendars"), kRounds);
  EXPECT_EQ(Count("sla_definitions"), kRounds);
  EXPECT_EQ(Count("audit_entries"), 2 * kRounds);
  EXPECT_EQ(Count("outbox"), 2 * kRounds);
  server_a.Shutdown();
  server_b.Shutdown();
  committer_a.Stop();
  committer_b.Stop();
}

// "1 business day" (docs/sla.md 2.1): GetDueTime converts it as the timer does when a clock
// starts, by the definition's day rule.
TEST_P(SlaServiceTest, DueTimeOfABusinessDayTarget) {
  v1::Calendar calendar;
  ASSERT_TRUE(CreateCalendar(OfficeCalendar(), &calendar).ok());
  v1::SlaDefinition gold = GoldDefinition(calendar.id());
  auto* p3 = gold.add_targets();
  p3->set_priority(incident::v1::PRIORITY_P3);
  p3->set_resolution_business_days(1);
  p3->mutable_resolution_target()->set_seconds(3600);
  grpc::Status s = CreateDefinition(gold);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "definition.targets[2].resolution_business_days: set either resolution_target or "
            "resolution_business_days, not both");
  gold.mutable_targets(2)->clear_resolution_target();
  ASSERT_TRUE(CreateDefinition(gold, &gold).ok());
  EXPECT_EQ(gold.business_day_rule(), v1::BUSINESS_DAY_RULE_END_OF_DAY);

  // Raised now, Friday 16:30: day 0 is Friday, Monday a holiday, day 1 Tuesday.
  v1::GetDueTimeRequest r;
  r.set_service("vpn");
  r.set_priority(incident::v1::PRIORITY_P3);
  v1::GetDueTimeResponse due;
  ASSERT_TRUE(DueTime(r, &due).ok());
  EXPECT_EQ(base::FromProtoTimestamp(due.due_time()), Istanbul(2026, 11, 24, 18));
  EXPECT_EQ(due.target().seconds(), 90 * 60 + 9 * 3600);  // Friday 16:30-18:00, Tuesday
  ASSERT_EQ(due.warnings_size(), 3);
  EXPECT_EQ(base::FromProtoTimestamp(due.warnings(0).time()),
            Istanbul(2026, 11, 24, 12, 45));  // 50 %: 5 h 15 of business time
  gold.set_business_day_rule(v1::BUSINESS_DAY_RULE_SAME_TIME_OF_DAY);
  ASSERT_TRUE(UpdateDefinition(gold).ok());
  ASSERT_TRUE(DueTime(r, &due).ok());
  EXPECT_EQ(base::FromProtoTimestamp(due.due_time()), Istanbul(2026, 11, 24, 16, 30));
  EXPECT_EQ(due.target().seconds(), 9 * 3600);
  // A start after closing counts from the next opening: Tuesday 09:00 is day 0.
  *r.mutable_start_time() = base::ToProtoTimestamp(Istanbul(2026, 11, 20, 19));
  ASSERT_TRUE(DueTime(r, &due).ok());
  EXPECT_EQ(base::FromProtoTimestamp(due.due_time()), Istanbul(2026, 11, 24, 18));
}

// Issue 12, finding 9: retiring a definition cancels its open clocks at the retirement. What
// the timer publishes then (a breach it fired before it knew of the retirement, the
// cancellation, the withdrawal) leaves status and reports with a cancelled clock, never a
// breached one.
TEST_P(SlaServiceTest, RetiringADefinitionLeavesItsClocksCancelledNotBreached) {
  v1::Calendar calendar;
  ASSERT_TRUE(CreateCalendar(OfficeCalendar(), &calendar).ok());
  v1::SlaDefinition gold;
  ASSERT_TRUE(CreateDefinition(GoldDefinition(calendar.id()), &gold).ok());
  const absl::Time opened = Istanbul(2026, 11, 24, 9);
  clock_.Set(opened + absl::Hours(3));
  gold.set_retired(true);
  v1::SlaDefinition retired;
  ASSERT_TRUE(UpdateDefinition(gold, &retired).ok());
  EXPECT_TRUE(retired.retired());
  const absl::Time retired_at = base::FromProtoTimestamp(retired.update_time());
  EXPECT_EQ(retired_at, opened + absl::Hours(3));
  // A retired definition applies to nothing.
  v1::GetDueTimeRequest due_request;
  due_request.set_service("vpn");
  due_request.set_priority(incident::v1::PRIORITY_P1);
  v1::GetDueTimeResponse due;
  EXPECT_EQ(DueTime(due_request, &due).error_code(), grpc::StatusCode::NOT_FOUND);

  v1::SlaClock c;
  c.set_clock_id("x1");
  c.set_incident_id("inc-1");
  c.set_sla_definition_id(gold.id());
  c.set_sla_definition_name(gold.name());
  c.set_agreement_kind(v1::AGREEMENT_KIND_SLA);
  c.set_clock_kind(v1::CLOCK_KIND_RESOLUTION);
  c.set_service("vpn");
  c.set_priority(incident::v1::PRIORITY_P1);
  c.set_calendar_id(calendar.id());
  c.set_time_zone("Europe/Istanbul");
  c.mutable_target()->set_seconds(4 * 3600);
  *c.mutable_start_time() = base::ToProtoTimestamp(opened);
  c.set_stage(v1::CLOCK_STAGE_RUNNING);
  *c.mutable_event_time() = c.start_time();
  const auto apply = [&](const google::protobuf::Message& m, const v1::SlaClock& clock) {
    ASSERT_TRUE(projection_
                    ->Apply(events::MakeCloudEvent(m, "itsm/sla-timer", clock.incident_id(),
                                                   base::FromProtoTimestamp(clock.event_time())))
                    .ok());
  };
  v1::SlaClockStarted started;
  *started.mutable_clock() = c;
  apply(started, started.clock());
  // The breach at 13:00, fired before the timer read the retirement (12:00).
  c.set_breached(true);
  c.mutable_business_elapsed()->set_seconds(4 * 3600);
  *c.mutable_event_time() = base::ToProtoTimestamp(opened + absl::Hours(4));
  v1::SlaBreached breached;
  *breached.mutable_clock() = c;
  apply(breached, breached.clock());
  // Cancelled at the retirement, published with the breach's instant; then the withdrawal.
  c.set_breached(false);
  c.set_stage(v1::CLOCK_STAGE_CANCELLED);
  c.mutable_business_elapsed()->set_seconds(3 * 3600);
  *c.mutable_stop_time() = base::ToProtoTimestamp(retired_at);
  v1::SlaClockCancelled cancelled;
  *cancelled.mutable_clock() = c;
  cancelled.set_reason("definition_retired");
  apply(cancelled, cancelled.clock());
  v1::SlaBreachWithdrawn withdrawn;
  *withdrawn.mutable_clock() = c;
  withdrawn.set_reason("definition_retired");
  apply(withdrawn, withdrawn.clock());

  clock_.Set(opened + absl::Hours(6));
  v1::GetIncidentSlaStatusResponse status;
  {
    grpc::ClientContext ctx;
    v1::GetIncidentSlaStatusRequest r;
    r.set_incident_id("inc-1");
    ASSERT_TRUE(stub_->GetIncidentSlaStatus(&ctx, r, &status).ok());
  }
  ASSERT_EQ(status.clocks_size(), 1);
  EXPECT_EQ(status.clocks(0).state(), "cancelled");
  EXPECT_FALSE(status.clocks(0).breached());
  EXPECT_EQ(status.clocks(0).business_elapsed().seconds(), 3 * 3600);
  EXPECT_EQ(base::FromProtoTimestamp(status.clocks(0).stop_time()), retired_at);
  v1::GetComplianceReportResponse report;
  {
    grpc::ClientContext ctx;
    v1::GetComplianceReportRequest r;
    ASSERT_TRUE(stub_->GetComplianceReport(&ctx, r, &report).ok());
  }
  EXPECT_EQ(report.total().cancelled(), 1);
  EXPECT_EQ(report.total().breached(), 0);
  EXPECT_EQ(report.total().in_progress(), 0);
  EXPECT_EQ(report.total().met(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, SlaServiceTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

}  // namespace
}  // namespace itsm::sla
