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
  EXPECT_EQ(json.find('_'), std::string::npos) << json;
}

TEST(ToJson, OneLineForEventsTail) {
  config::v1::CiUpdated updated;
  updated.mutable_configuration_item()->set_class_name("server");
  updated.add_changed_fields("owner_group");  // a value: field paths keep their proto names
  const std::string json = ToJson(updated, /*indented=*/false);
  EXPECT_EQ(json,
            R"({"configurationItem":{"className":"server"},"changedFields":["owner_group"]})");
}

}  // namespace
}  // namespace itsm::ctl
