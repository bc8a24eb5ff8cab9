#include "itsm/records/record_diff.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "itsm/incident/v1/incident.pb.h"

namespace itsm::records {
namespace {

// An edit inside one element of a list of messages is a change of that list.
TEST(RecordDiff, AnEditInsideAListOfMessagesIsAChange) {
  common::v1::AuditEntry before;
  before.add_changes()->set_field("state");
  common::v1::AuditEntry after = before;
  after.mutable_changes(0)->set_new_value("DONE");
  const auto changes = DiffFields(before, after);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].field(), "changes");
  EXPECT_NE(changes[0].new_value().find("DONE"), std::string::npos) << changes[0].new_value();
  EXPECT_TRUE(DiffFields(before, before).empty());
}

// Only differences count, as their texts read: a field equal on both sides, or unset on both,
// is left out whatever its kind; a field set on one side only, or changed, is reported with both
// texts.
TEST(RecordDiff, ReportsExactlyTheFieldsWhoseTextsDiffer) {
  incident::v1::Incident before;
  before.set_title("Checkout slow");
  before.set_description(std::string(4000, 'd'));
  before.set_impact(2);
  before.set_priority(incident::v1::PRIORITY_P3);
  before.set_major_incident(true);
  before.mutable_create_time()->set_seconds(1764800000);
  before.add_change_ids("CHG1");
  before.set_version(3);
  incident::v1::Incident after = before;
  after.set_version(4);  // version and update_time change with every write: never reported
  after.mutable_update_time()->set_seconds(1764800001);
  EXPECT_TRUE(DiffFields(before, after).empty());

  after.set_title("Checkout down");
  after.set_impact(0);  // reads "" like an unset number
  after.set_priority(incident::v1::PRIORITY_P1);
  after.set_major_incident(false);
  after.clear_create_time();
  after.add_change_ids("CHG2");
  const auto changes = DiffFields(before, after);
  std::vector<std::string> fields;
  for (const auto& c : changes) fields.push_back(c.field());
  EXPECT_THAT(fields, ::testing::ElementsAre("title", "impact", "priority", "major_incident",
                                             "change_ids", "create_time"));
  EXPECT_EQ(changes[0].old_value(), "Checkout slow");
  EXPECT_EQ(changes[0].new_value(), "Checkout down");
  EXPECT_EQ(changes[1].old_value(), "2");
  EXPECT_EQ(changes[1].new_value(), "");
  EXPECT_EQ(changes[2].old_value(), "PRIORITY_P3");
  EXPECT_EQ(changes[2].new_value(), "PRIORITY_P1");
  EXPECT_EQ(changes[3].old_value(), "true");
  EXPECT_EQ(changes[3].new_value(), "false");
  EXPECT_EQ(changes[4].old_value(), R"(["CHG1"])");
  EXPECT_EQ(changes[4].new_value(), R"(["CHG1","CHG2"])");
  EXPECT_EQ(changes[5].old_value(), "2025-12-03T22:13:20.000000Z");
  EXPECT_EQ(changes[5].new_value(), "");

  // A create: nothing before, every field set reported (version and update_time aside).
  EXPECT_EQ(DiffFields(incident::v1::Incident(), before).size(), 7u);
}

}  // namespace
}  // namespace itsm::records
