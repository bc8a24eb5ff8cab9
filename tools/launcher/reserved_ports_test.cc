// The reserved-ports list the launcher writes back: the kernel's own form, nothing lost.
#include "reserved_ports.h"

#include "gtest/gtest.h"

namespace itsm::launcher {
namespace {

TEST(WithReservedPorts, AddsPortsMergingRangesInAscendingOrder) {
  EXPECT_EQ(WithReservedPorts("", {50051, 50050, 50052}).value(), "50050-50052");
  EXPECT_EQ(WithReservedPorts("50053-50055,60000", {50052, 50056, 40000}).value(),
            "40000,50052-50056,60000");
  // Already there: unchanged.
  EXPECT_EQ(WithReservedPorts("50050-50058", {50051}).value(), "50050-50058");
  EXPECT_EQ(WithReservedPorts(" 9150 , 9152 ", {9151}).value(), "9150-9152");
}

TEST(WithReservedPorts, RefusesTextThatIsNotAPortList) {
  for (const char* bad : {"abc", "5-", "70000", "10-5", "1-2-3", "0"}) {
    EXPECT_EQ(WithReservedPorts(bad, {50051}).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace itsm::launcher
