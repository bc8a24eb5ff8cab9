// itsmctl's --output json is the proto3 JSON mapping, as the gateway and docs/events.md write it.
#include "cli.h"
#include "gtest/gtest.h"
#include "itsm/config/v1/events.pb.h"
#include "itsm/incident/v1/incident.pb.h"

namespace itsm::ctl {
namespace {

TEST(ToJson, UsesLowerCamelCaseFieldNames) {
  incident::v1::Incident incident;
  incident.set_number("INC0000001");
  incident.set_assignment_group("messaging");
  incident.set_created_by("alice");
  incident.mutable_create_time()->set_seconds(1'800'000'000);
  incident.set_version(5);
  const std::string json = ToJson(incident);
  EXPECT_NE(json.find("\"assignmentGroup\": \"messaging\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"createdBy\": \"alice\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"createTime\": \"2027-01-15T08:00:00Z\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"version\": \"5\""), std::string::npos) << json;  // int64 as a string
  EXPECT_EQ(json.find("\"assignment_group\""), std::string::npos) << json;
  // Every scalar and list field, at its default too, as the gateway answers.
  EXPECT_NE(json.find("\"description\": \"\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"configurationItemIds\": []"), std::string::npos) << json;
  EXPECT_NE(json.find("\"majorIncident\": false"), std::string::npos) << json;
  EXPECT_NE(json.find("\"reopenCount\": 0"), std::string::npos) << json;
}

TEST(ToJson, OneLineForEventsTail) {
  config::v1::CiUpdated updated;
  updated.mutable_configuration_item()->set_class_name("server");
  updated.add_changed_fields("owner_group");  // a value: field paths keep their proto names
  const std::string json = ToJson(updated, /*indented=*/false);
  EXPECT_EQ(json.find('\n'), std::string::npos) << json;
  EXPECT_EQ(json.rfind(R"({"configurationItem":{)", 0), 0u) << json;
  EXPECT_NE(json.find(R"("className":"server")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("changedFields":["owner_group"])"), std::string::npos) << json;
}

}  // namespace
}  // namespace itsm::ctl
