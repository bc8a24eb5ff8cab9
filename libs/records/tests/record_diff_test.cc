#include "itsm/records/record_diff.h"

#include "gtest/gtest.h"

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

}  // namespace
}  // namespace itsm::records
