// Subscription filters: type patterns (exact, prefix wildcard, everything), their validation,
// and record filters over the subject and the record keys found by reflection.
#include "services/webhooks/src/event_filter.h"

#include "gtest/gtest.h"
#include "itsm/incident/v1/events.pb.h"
#include "itsm/sla/v1/events.pb.h"
#include "itsm/supplier/v1/events.pb.h"

namespace itsm::webhooks {
namespace {

TEST(EventFilter, TypePatterns) {
  EXPECT_TRUE(TypeMatches("itsm.incident.v1.IncidentCreated", "itsm.incident.v1.IncidentCreated"));
  EXPECT_FALSE(TypeMatches("itsm.incident.v1.IncidentCreated", "itsm.incident.v1.IncidentClosed"));
  EXPECT_TRUE(TypeMatches("itsm.incident.v1.*", "itsm.incident.v1.IncidentClosed"));
  EXPECT_FALSE(TypeMatches("itsm.incident.v1.*", "itsm.incident.v10.IncidentClosed"));
  EXPECT_FALSE(TypeMatches("itsm.incident.v1.*", "itsm.change.v1.ChangeCreated"));
  EXPECT_TRUE(TypeMatches("itsm.*", "itsm.change.v1.ChangeCreated"));
  EXPECT_TRUE(TypeMatches("*", "anything"));
}

TEST(EventFilter, PatternValidationNamesTheField) {
  EXPECT_TRUE(CheckEventTypePattern("f", "itsm.incident.v1.IncidentCreated").ok());
  EXPECT_TRUE(CheckEventTypePattern("f", "itsm.incident.v1.*").ok());
  EXPECT_TRUE(CheckEventTypePattern("f", "*").ok());
  for (const char* bad : {"", ".*", "itsm..v1", "itsm.incident.v1.", "itsm.*.v1", "itsm incident",
                          "itsm.incident.v1.Incident*", ".itsm"}) {
    absl::Status s = CheckEventTypePattern("subscription.event_types[2]", bad);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << bad;
    EXPECT_NE(s.message().find("subscription.event_types[2]"), absl::string_view::npos) << bad;
  }
}

TEST(EventFilter, RecordFilterMatchesSubjectIdNumberOrService) {
  incident::v1::IncidentCreated created;
  created.mutable_incident()->set_id("e911");
  created.mutable_incident()->set_number("INC0000007");
  created.mutable_incident()->set_service("mail");
  const EventFacts facts{"itsm.incident.v1.IncidentCreated", "e911", RecordKeysOf(created)};
  EXPECT_TRUE(EventFilter({"itsm.incident.v1.*"}, "").Matches(facts));
  EXPECT_TRUE(EventFilter({"itsm.incident.v1.*"}, "e911").Matches(facts));
  EXPECT_TRUE(EventFilter({"itsm.incident.v1.*"}, "INC0000007").Matches(facts));
  EXPECT_TRUE(EventFilter({"itsm.incident.v1.*"}, "mail").Matches(facts));
  EXPECT_FALSE(EventFilter({"itsm.incident.v1.*"}, "web").Matches(facts));
  EXPECT_FALSE(EventFilter({"itsm.change.v1.*"}, "mail").Matches(facts));
}

// An SLA clock's events name their record by id and number: a subscription for INC0000007
// hears of its breach (found from outside: they named it by id only).
TEST(EventFilter, RecordFilterByNumberMatchesTheRecordsClockEvents) {
  sla::v1::SlaBreached breached;
  breached.mutable_clock()->set_incident_id("e911");
  breached.mutable_clock()->set_record_number("INC0000007");
  const EventFacts facts{"itsm.sla.v1.SlaBreached", "e911", RecordKeysOf(breached)};
  EXPECT_TRUE(EventFilter({"itsm.sla.v1.*"}, "INC0000007").Matches(facts));
  EXPECT_FALSE(EventFilter({"itsm.sla.v1.*"}, "INC0000008").Matches(facts));
}

TEST(EventFilter, RecordKeysIncludeRepeatedServices) {
  supplier::v1::SupplierCreated created;
  created.mutable_supplier()->set_id("s1");
  created.mutable_supplier()->add_services("mail");
  created.mutable_supplier()->add_services("web");
  const std::vector<std::string> keys = RecordKeysOf(created);
  EXPECT_NE(std::find(keys.begin(), keys.end(), "web"), keys.end());
  EXPECT_NE(std::find(keys.begin(), keys.end(), "s1"), keys.end());
}

}  // namespace
}  // namespace itsm::webhooks
