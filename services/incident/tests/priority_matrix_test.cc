#include "services/incident/src/priority_matrix.h"

#include "gtest/gtest.h"

namespace itsm::incident {
namespace {

TEST(PriorityMatrix, DefaultIsTheItilTable) {
  const PriorityMatrix m = PriorityMatrix::Default();
  const int expected[3][3] = {{1, 2, 3}, {2, 3, 4}, {3, 4, 5}};
  for (int impact = 1; impact <= 3; ++impact) {
    for (int urgency = 1; urgency <= 3; ++urgency) {
      EXPECT_EQ(m.PriorityFor(impact, urgency), expected[impact - 1][urgency - 1])
          << "impact " << impact << " urgency " << urgency;
    }
  }
}

TEST(PriorityMatrix, ParsesACustomScale) {
  auto m = PriorityMatrix::Parse("1,1,2,3; 1,2,3,4; 2,3,4,5; 3,4,5,5");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->impact_levels(), 4);
  EXPECT_EQ(m->urgency_levels(), 4);
  EXPECT_EQ(m->PriorityFor(1, 2), v1::PRIORITY_P1);
  EXPECT_EQ(m->PriorityFor(4, 4), v1::PRIORITY_P5);
}

TEST(PriorityMatrix, RejectsBadTablesSayingWhere) {
  for (const char* bad : {"", "1,2;3", "1,2,6;1,2,3", "1,x", "0,1"}) {
    auto m = PriorityMatrix::Parse(bad);
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(m.status().message().find("priority_matrix"), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace itsm::incident
