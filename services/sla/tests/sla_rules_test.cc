#include "services/sla/src/sla_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "itsm/base/time_util.h"
#include "itsm/businesstime/business_time.h"
#include "itsm/slamodel/calendar.h"
#include "services/sla/tests/office_calendar.h"

namespace itsm::sla {
namespace {

using ::testing::HasSubstr;

v1::Calendar WorkWeek() { return office::OfficeCalendar("Istanbul office", /*holiday=*/false); }

v1::SlaDefinition Gold() {
  v1::SlaDefinition d;
  d.set_name("Gold");
  d.set_kind(v1::AGREEMENT_KIND_SLA);
  d.mutable_coverage()->add_services("vpn");
  d.set_calendar_id("cal");
  auto* t = d.add_targets();
  t->set_priority(incident::v1::PRIORITY_P1);
  t->mutable_response_target()->set_seconds(900);
  t->mutable_resolution_target()->set_seconds(4 * 3600);
  return d;
}

std::string Error(v1::SlaDefinition d) { return std::string(ValidateAndNormalise(d).message()); }

TEST(ValidateCalendar, UsesTheRecordsFieldNames) {
  EXPECT_TRUE(ValidateCalendar(WorkWeek()).ok());
  auto c = WorkWeek();
  c.mutable_weekly_hours(2)->mutable_end()->set_hours(25);
  EXPECT_THAT(ValidateCalendar(c).message(),
              HasSubstr("weekly_hours[2].end: 25:00:00 is not a time of day"));
  c = WorkWeek();
  c.set_time_zone("Europe/Atlantis");
  EXPECT_THAT(ValidateCalendar(c).message(), HasSubstr("time_zone: unknown IANA time zone"));
  c = WorkWeek();
  auto* h = c.add_holidays();
  h->mutable_date()->set_year(2025);
  h->mutable_date()->set_month(2);
  h->mutable_date()->set_day(30);
  EXPECT_THAT(ValidateCalendar(c).message(),
              HasSubstr("holidays[0].date: 2025-02-30 is not a date"));
  c = WorkWeek();
  auto* e = c.add_extra_working_days();
  e->mutable_date()->set_year(2025);
  e->mutable_date()->set_month(4);
  e->mutable_date()->set_day(5);
  EXPECT_THAT(ValidateCalendar(c).message(),
              HasSubstr("extra_working_days[0].open_intervals: empty"));
  c = WorkWeek();
  c.set_name(" ");
  EXPECT_EQ(ValidateCalendar(c).message(), "name: required");
  c = WorkWeek();
  c.mutable_weekly_hours(0)->set_day(v1::WEEKDAY_UNSPECIFIED);
  // In the API's numbering (Monday = 1), not the library's (Monday = 0).
  EXPECT_EQ(ValidateCalendar(c).message(),
            "weekly_hours[0].day: 0 is not a weekday (WEEKDAY_MONDAY = 1 to WEEKDAY_SUNDAY = 7)");
}

// Issue 12: targets that could never fall due are refused when saved, with the field named.
TEST(ValidateCalendar, ACalendarWithoutWeeklyWorkingTimeIsRefused) {
  v1::Calendar c = WorkWeek();
  c.clear_weekly_hours();
  auto* extra = c.add_extra_working_days();
  extra->mutable_date()->set_year(2027);
  extra->mutable_date()->set_month(1);
  extra->mutable_date()->set_day(2);
  EXPECT_THAT(ValidateCalendar(c).message(),
              HasSubstr("weekly_hours: required unless always_open"));
  c.clear_extra_working_days();
  c.set_always_open(true);
  EXPECT_TRUE(ValidateCalendar(c).ok()) << ValidateCalendar(c);
}

TEST(ValidateAndNormalise, TargetsEndAtTheDueTimeSearchHorizon) {
  const int64_t horizon_s = absl::ToInt64Seconds(businesstime::kSearchHorizon);
  v1::SlaDefinition d = Gold();
  d.mutable_targets(0)->mutable_resolution_target()->set_seconds(horizon_s);
  EXPECT_TRUE(ValidateAndNormalise(d).ok());
  d = Gold();
  d.mutable_targets(0)->mutable_resolution_target()->set_seconds(horizon_s + 1);
  EXPECT_EQ(Error(d),
            "targets[0].resolution_target: at most 3653 days (the due-time search horizon)");
}

TEST(CheckTargetsReachable, ATargetTheCalendarCannotReachWithinTheHorizonIsRefused) {
  v1::Calendar one_hour_a_week;
  one_hour_a_week.set_name("Monday 09:00-10:00");
  one_hour_a_week.set_time_zone("UTC");
  auto* w = one_hour_a_week.add_weekly_hours();
  w->set_day(v1::WEEKDAY_MONDAY);
  w->mutable_start()->set_hours(9);
  w->mutable_end()->set_hours(10);
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  v1::SlaDefinition d = Gold();  // 15 min response, 4 h resolution: 4 weeks on this calendar
  EXPECT_TRUE(CheckTargetsReachable(d, one_hour_a_week, now).ok());
  // 10 years hold about 522 open hours here.
  d.mutable_targets(0)->mutable_resolution_target()->set_seconds(600 * 3600);
  EXPECT_THAT(std::string(CheckTargetsReachable(d, one_hour_a_week, now).message()),
              HasSubstr("targets[0].resolution_target: 600h of business time cannot be reached "
                        "within 3653 days"));
}

TEST(CheckTargetsReachable, BusinessDaysTheCalendarCannotReachAreRefused) {
  v1::Calendar one_hour_a_week;
  one_hour_a_week.set_name("Monday 09:00-10:00");
  one_hour_a_week.set_time_zone("UTC");
  auto* w = one_hour_a_week.add_weekly_hours();
  w->set_day(v1::WEEKDAY_MONDAY);
  w->mutable_start()->set_hours(9);
  w->mutable_end()->set_hours(10);
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  v1::SlaDefinition d = Gold();
  d.mutable_targets(0)->clear_resolution_target();
  d.mutable_targets(0)->set_resolution_business_days(500);  // about 9.6 years of Mondays
  ASSERT_TRUE(ValidateAndNormalise(d).ok());
  EXPECT_TRUE(CheckTargetsReachable(d, one_hour_a_week, now).ok());
  d.mutable_targets(0)->set_resolution_business_days(600);
  EXPECT_THAT(std::string(CheckTargetsReachable(d, one_hour_a_week, now).message()),
              HasSubstr("targets[0].resolution_business_days: 600 business days cannot be "
                        "reached within 3653 days"));
}

// Found from outside: a calendar open until a date, then closed by years of listed holidays,
// passed a check made from now only, and clocks started after that date never fell due (no
// warning, no breach, reported met). Every start the definition can see is checked now.
TEST(CheckTargetsReachable, OpenTimeThatRunsOutLaterIsRefusedNamingTheStart) {
  v1::Calendar c = WorkWeek();
  c.set_time_zone("UTC");
  office::AddHolidays(c, absl::CivilDay(2027, 6, 1), absl::CivilDay(2037, 7, 1));
  const absl::Time now =
      absl::FromCivil(absl::CivilSecond(2027, 5, 20, 12, 0, 0), absl::UTCTimeZone());
  v1::SlaDefinition d = Gold();
  const std::string message(CheckTargetsReachable(d, c, now).message());
  EXPECT_THAT(message, HasSubstr("targets[0].response_target: 15m of business time cannot be "
                                 "reached within 3653 days on calendar \"cal\": a clock started "
                                 "at 2027-05-31T"));
  EXPECT_THAT(message, HasSubstr("has only 0 of open time in the 3653 days after"));

  // Effective only until the day before the holidays, the same definition falls due: its
  // clocks meet at least the years of open time after them.
  d.mutable_effective_until()->set_seconds(absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilSecond(2027, 5, 27, 0, 0, 0), absl::UTCTimeZone())));
  EXPECT_TRUE(CheckTargetsReachable(d, c, now).ok()) << CheckTargetsReachable(d, c, now);

  // From a date after the holidays end, too.
  d.clear_effective_until();
  d.mutable_effective_from()->set_seconds(absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilSecond(2037, 7, 1, 0, 0, 0), absl::UTCTimeZone())));
  EXPECT_TRUE(CheckTargetsReachable(d, c, now).ok()) << CheckTargetsReachable(d, c, now);

  // Past the dates business time is counted for, the field is named.
  d.mutable_effective_from()->set_seconds(absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilSecond(2395, 1, 1, 0, 0, 0), absl::UTCTimeZone())));
  EXPECT_THAT(std::string(CheckTargetsReachable(d, c, now).message()),
              HasSubstr("effective_from: after 2390-01-01"));
}

// Found from outside: the check read the calendar in its own zone while the definition's clocks
// read it in the definition's, 14 hours ahead: a target of exactly the open time left in UTC
// passed and started a clock with no due time. Checked in the clocks' zone; for zones each
// record gives, in any zone.
TEST(CheckTargetsReachable, TheClocksZoneIsTheOneChecked) {
  v1::Calendar c;
  c.set_name("Closing 24x7");
  c.set_time_zone("UTC");
  c.set_always_open(true);
  office::AddHolidays(c, absl::CivilDay(2027, 1, 1), absl::CivilDay(2037, 2, 1));
  const absl::Time now =
      absl::FromCivil(absl::CivilSecond(2026, 12, 7, 12, 0, 0), absl::UTCTimeZone());
  v1::SlaDefinition d = Gold();
  d.mutable_effective_until()->set_seconds(absl::ToUnixSeconds(now + absl::Minutes(2)));
  const int64_t left = 24 * 86400 + 11 * 3600 + 58 * 60;  // to 2027-01-01T00:00Z
  auto* target = d.mutable_targets(0)->mutable_resolution_target();
  target->set_seconds(left);
  EXPECT_TRUE(CheckTargetsReachable(d, c, now).ok()) << CheckTargetsReachable(d, c, now);
  target->set_seconds(left + 1);
  EXPECT_THAT(std::string(CheckTargetsReachable(d, c, now).message()),
              HasSubstr("targets[0].resolution_target"));

  target->set_seconds(left);
  d.set_time_zone("Pacific/Kiritimati");  // UTC+14: its 2027-01-01 begins 14 hours earlier
  EXPECT_THAT(std::string(CheckTargetsReachable(d, c, now).message()),
              HasSubstr("targets[0].resolution_target"));
  target->set_seconds(left - 14 * 3600);
  EXPECT_TRUE(CheckTargetsReachable(d, c, now).ok()) << CheckTargetsReachable(d, c, now);

  d.clear_time_zone();
  d.set_time_zone_source(v1::TIME_ZONE_SOURCE_CALLER);  // any zone
  EXPECT_THAT(std::string(CheckTargetsReachable(d, c, now).message()),
              HasSubstr("each record gives the zone"));
  target->set_seconds(left - (26 + 48) * 3600);
  EXPECT_TRUE(CheckTargetsReachable(d, c, now).ok()) << CheckTargetsReachable(d, c, now);
}

TEST(ValidateAndNormalise, BusinessDayTargets) {
  v1::SlaDefinition d = Gold();
  d.mutable_targets(0)->clear_resolution_target();
  d.mutable_targets(0)->set_resolution_business_days(2);
  ASSERT_TRUE(ValidateAndNormalise(d).ok());
  // Days are due at the end of the day unless the definition says otherwise.
  EXPECT_EQ(d.business_day_rule(), v1::BUSINESS_DAY_RULE_END_OF_DAY);
  d.set_business_day_rule(v1::BUSINESS_DAY_RULE_SAME_TIME_OF_DAY);
  ASSERT_TRUE(ValidateAndNormalise(d).ok());
  EXPECT_EQ(d.business_day_rule(), v1::BUSINESS_DAY_RULE_SAME_TIME_OF_DAY);
  d.set_business_day_rule(static_cast<v1::BusinessDayRule>(7));
  EXPECT_EQ(Error(d), "business_day_rule: unknown value");
  d = Gold();
  d.mutable_targets(0)->set_resolution_business_days(2);  // and resolution_target
  EXPECT_EQ(Error(d),
            "targets[0].resolution_business_days: set either resolution_target or "
            "resolution_business_days, not both");
  d = Gold();
  d.mutable_targets(0)->clear_response_target();
  d.mutable_targets(0)->set_response_business_days(-1);
  EXPECT_EQ(Error(d), "targets[0].response_business_days: must be positive");
  d.mutable_targets(0)->set_response_business_days(3654);
  EXPECT_EQ(Error(d),
            "targets[0].response_business_days: at most 3653 (the due-time search horizon)");
  // Without days the rule is left as given.
  d = Gold();
  ASSERT_TRUE(ValidateAndNormalise(d).ok());
  EXPECT_EQ(d.business_day_rule(), v1::BUSINESS_DAY_RULE_UNSPECIFIED);
}

TEST(ValidateAndNormalise, FillsDefaults) {
  v1::SlaDefinition d = Gold();
  ASSERT_TRUE(ValidateAndNormalise(d).ok());
  EXPECT_THAT(d.warning_thresholds(), ::testing::ElementsAre(50, 75, 90));
  EXPECT_EQ(d.time_zone_source(), v1::TIME_ZONE_SOURCE_DEFINITION);
  EXPECT_TRUE(d.resolution_conditions().has_pause());
  EXPECT_FALSE(d.resolution_conditions().has_resume());
  // Normalising twice changes nothing.
  v1::SlaDefinition again = d;
  ASSERT_TRUE(ValidateAndNormalise(again).ok());
  EXPECT_EQ(again.SerializeAsString(), d.SerializeAsString());
}

TEST(ValidateAndNormalise, EveryErrorNamesItsField) {
  auto d = Gold();
  d.set_kind(v1::AGREEMENT_KIND_UNSPECIFIED);
  EXPECT_THAT(Error(d), HasSubstr("kind: required"));
  d = Gold();
  d.set_kind(v1::AGREEMENT_KIND_UNDERPINNING_CONTRACT);
  EXPECT_EQ(Error(d), "supplier_id: required for an underpinning contract");
  d.set_supplier_id("acme");
  EXPECT_EQ(Error(d), "");
  // Contracts link it by the supplier's id: a number would never match (found from outside).
  for (const char* number : {"SUP0000008", "sup0000008"}) {
    d.set_supplier_id(number);
    EXPECT_EQ(Error(d),
              "supplier_id: give the record's id, not its number SUP0000008 (GET "
              "/v1/suppliers/SUP0000008 answers its id)");
  }
  d = Gold();
  d.set_kind(v1::AGREEMENT_KIND_OLA);
  EXPECT_EQ(Error(d), "internal_group: required for an OLA");
  d = Gold();
  d.mutable_coverage()->clear_services();
  EXPECT_EQ(Error(d), "coverage.services: at least one service");
  // Services and categories are matched exactly: padded or blank, they would match nothing.
  d = Gold();
  d.mutable_coverage()->add_services(" vpn");
  EXPECT_EQ(Error(d),
            "coverage.services[1]: has blanks around it, and would match nothing named without "
            "them");
  d = Gold();
  d.mutable_coverage()->add_services(d.coverage().services(0));
  EXPECT_EQ(Error(d), "coverage.services[1]: named twice");
  d = Gold();
  d.mutable_coverage()->add_categories("\t");
  EXPECT_EQ(Error(d), "coverage.categories[0]: blank; leave it out or name one");
  d = Gold();
  d.mutable_targets(0)->mutable_resolution_target()->set_seconds(0);
  EXPECT_EQ(Error(d), "targets[0].resolution_target: must be positive");
  d = Gold();
  d.mutable_targets(0)->mutable_response_target()->set_seconds(-5);
  EXPECT_EQ(Error(d), "targets[0].response_target: must be positive");
  d = Gold();  // a fraction of a second: the timer counts whole seconds, it would breach early
  d.mutable_targets(0)->mutable_response_target()->set_seconds(0);
  d.mutable_targets(0)->mutable_response_target()->set_nanos(500);
  EXPECT_EQ(Error(d), "targets[0].response_target: whole seconds only");
  d.mutable_targets(0)->mutable_response_target()->set_seconds(60);
  EXPECT_EQ(Error(d), "targets[0].response_target: whole seconds only");
  d = Gold();
  *d.add_targets() = d.targets(0);
  EXPECT_EQ(Error(d), "targets[1].priority: P1 has a target already");
  d = Gold();
  d.add_targets()->set_priority(incident::v1::PRIORITY_P2);
  EXPECT_EQ(Error(d),
            "targets[1]: set response_target or response_business_days, resolution_target or "
            "resolution_business_days, or both");
  d = Gold();
  for (double p : {50.0, 90.0, 75.0}) d.add_warning_thresholds(p);
  EXPECT_THAT(Error(d), HasSubstr("warning_thresholds[2]: 75 does not follow 90"));
  d = Gold();
  d.add_warning_thresholds(100);
  EXPECT_THAT(Error(d), HasSubstr("warning_thresholds[0]: 100 is not in (0, 100)"));
  d = Gold();
  d.add_warning_thresholds(0);
  EXPECT_THAT(Error(d), HasSubstr("warning_thresholds[0]: 0 is not in (0, 100)"));
  // A warning that rounds to the breach (99.99% of 900 s is 899.91 s: 900 s) or to the start
  // (0.01% of 900 s: 0 s) warns of nothing; 99.9% of 900 s is 899 s, a second before.
  d = Gold();
  d.add_warning_thresholds(99.99);
  EXPECT_EQ(Error(d),
            "warning_thresholds[0]: 99.99% of targets[0].response_target (900 s) falls at 900 s, "
            "the breach itself; clocks count whole seconds");
  d = Gold();
  d.add_warning_thresholds(0.01);
  EXPECT_THAT(Error(d), HasSubstr("falls at 0 s, the clock's start"));
  d = Gold();
  d.add_warning_thresholds(99.9);
  EXPECT_EQ(Error(d), "");
  d = Gold();
  d.mutable_effective_from()->set_seconds(2000);
  d.mutable_effective_until()->set_seconds(1000);
  EXPECT_EQ(Error(d), "effective_until: must be after effective_from");
  d = Gold();
  d.set_time_zone("Mars/Olympus");
  EXPECT_THAT(Error(d), HasSubstr("time_zone: unknown IANA time zone"));
  d = Gold();
  d.mutable_resolution_conditions()->mutable_pause()->add_any_of();  // always paused
  EXPECT_THAT(Error(d), HasSubstr("resolution_conditions.pause: a pause that can never end"));
}

// A pause on a hold reason that does not exist would never pause: false breaches (found from
// outside). The API's own spelling names the same reason and is normalised.
TEST(ValidateAndNormalise, HoldReasonsMustExistAndAreNormalised) {
  auto with_pause_on = [](const std::string& reason) {
    v1::SlaDefinition d = Gold();
    v1::FieldPredicate* on_hold =
        d.mutable_resolution_conditions()->mutable_pause()->add_any_of()->add_all_of();
    on_hold->set_field(v1::CONDITION_FIELD_HOLD_REASON);
    on_hold->set_operator_(v1::CONDITION_OPERATOR_IN);
    on_hold->add_values(reason);
    return d;
  };
  v1::SlaDefinition d = with_pause_on("HOLD_REASON_AWAITING_CALLER");
  ASSERT_EQ(Error(d), "");
  ASSERT_TRUE(ValidateAndNormalise(d).ok());
  EXPECT_EQ(d.resolution_conditions().pause().any_of(0).all_of(0).values(0), "awaiting_caller");
  EXPECT_EQ(Error(with_pause_on("Awaiting_Supplier")), "");
  EXPECT_EQ(Error(with_pause_on("AWAITING_CHANGE")), "");
  EXPECT_EQ(Error(with_pause_on("")), "") << "none";
  EXPECT_EQ(Error(with_pause_on("awaiting_calller")),
            "resolution_conditions.pause.any_of[0].all_of[0].values[0]: unknown hold reason "
            "\"awaiting_calller\" (awaiting_caller, awaiting_supplier, awaiting_change)");
}

TEST(CheckNoOverlap, SameKindServicePriorityAndDatesConflict) {
  auto a = Gold();
  a.set_id("a");
  a.mutable_effective_from()->set_seconds(1000);
  a.mutable_effective_until()->set_seconds(2000);
  auto b = Gold();
  b.set_id("b");
  b.set_name("Gold 2");
  b.mutable_effective_from()->set_seconds(1999);
  absl::Status s = CheckNoOverlap(b, {a});
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(s.message(),
              HasSubstr("definition \"Gold\" (a) is an active SLA for service \"vpn\" at P1"));
  // Adjacent ranges do not overlap (until is exclusive).
  b.mutable_effective_from()->set_seconds(2000);
  EXPECT_TRUE(CheckNoOverlap(b, {a}).ok());
  b.clear_effective_from();
  // Another kind, another service, another priority, a retired one, or itself: no conflict.
  auto ola = b;
  ola.set_kind(v1::AGREEMENT_KIND_OLA);
  EXPECT_TRUE(CheckNoOverlap(ola, {a}).ok());
  auto other_service = b;
  other_service.mutable_coverage()->set_services(0, "mail");
  EXPECT_TRUE(CheckNoOverlap(other_service, {a}).ok());
  auto p2 = b;
  p2.mutable_targets(0)->set_priority(incident::v1::PRIORITY_P2);
  EXPECT_TRUE(CheckNoOverlap(p2, {a}).ok());
  // Narrowed to disjoint categories: never the same record, so both may exist; narrowed to
  // sharing ones, or one not narrowed at all, they overlap.
  auto network = b, hardware = a;
  network.mutable_coverage()->add_categories("network");
  hardware.mutable_coverage()->add_categories("hardware");
  EXPECT_TRUE(CheckNoOverlap(network, {hardware}).ok());
  hardware.mutable_coverage()->add_categories("network");
  EXPECT_EQ(CheckNoOverlap(network, {hardware}).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(CheckNoOverlap(network, {a}).code(), absl::StatusCode::kAlreadyExists);
  auto retired = a;
  retired.set_retired(true);
  EXPECT_TRUE(CheckNoOverlap(b, {retired}).ok());
  EXPECT_TRUE(CheckNoOverlap(a, {a}).ok());
}

TEST(Applies, CoverageDatesAndPriority) {
  auto d = Gold();
  d.mutable_effective_from()->set_seconds(1000);
  d.mutable_coverage()->add_categories("network");
  v1::ResolveApplicableSlaRequest r;
  r.set_service("vpn");
  r.set_priority(incident::v1::PRIORITY_P1);
  r.set_category("network");
  EXPECT_TRUE(Applies(d, r, absl::FromUnixSeconds(1000)));
  EXPECT_FALSE(Applies(d, r, absl::FromUnixSeconds(999)));
  r.set_category("hardware");
  EXPECT_FALSE(Applies(d, r, absl::FromUnixSeconds(1000)));
  r.set_category("network");
  r.set_priority(incident::v1::PRIORITY_P2);
  EXPECT_FALSE(Applies(d, r, absl::FromUnixSeconds(1000)));
  r.set_priority(incident::v1::PRIORITY_P1);
  r.set_kind(v1::AGREEMENT_KIND_OLA);
  EXPECT_FALSE(Applies(d, r, absl::FromUnixSeconds(1000)));
}

}  // namespace
}  // namespace itsm::sla
