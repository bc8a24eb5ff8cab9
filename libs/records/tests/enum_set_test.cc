#include "itsm/records/enum_set.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"
#include "itsm/base/error_detail.h"
#include "itsm/incident/v1/incident.pb.h"

namespace itsm::records {
namespace {

using incident::v1::IncidentState;

const google::protobuf::EnumDescriptor& States() {
  return *incident::v1::IncidentState_descriptor();
}

TEST(EnumSetMask, NothingAskedIsAnyValue) {
  incident::v1::ListIncidentsRequest request;
  auto mask = EnumSetMask("states", States(), request.states());
  ASSERT_TRUE(mask.ok()) << mask.status();
  EXPECT_EQ(*mask, 0);
}

TEST(EnumSetMask, EachValueAskedSetsItsBit) {
  incident::v1::ListIncidentsRequest request;
  request.add_states(incident::v1::INCIDENT_STATE_NEW);
  request.add_states(incident::v1::INCIDENT_STATE_RESOLVED);
  request.add_states(incident::v1::INCIDENT_STATE_NEW);  // twice is once
  auto mask = EnumSetMask("states", States(), request.states());
  ASSERT_TRUE(mask.ok()) << mask.status();
  EXPECT_EQ(*mask, (int64_t{1} << incident::v1::INCIDENT_STATE_NEW) |
                       (int64_t{1} << incident::v1::INCIDENT_STATE_RESOLVED));
  // A vector of the enum's values reads the same.
  const std::vector<IncidentState> values = {incident::v1::INCIDENT_STATE_NEW,
                                             incident::v1::INCIDENT_STATE_RESOLVED};
  EXPECT_EQ(*EnumSetMask("states", States(), values), *mask);
}

TEST(EnumSetMask, AnUndeclaredValueIsRefusedNamingItsEntry) {
  incident::v1::ListIncidentsRequest request;
  request.add_states(incident::v1::INCIDENT_STATE_NEW);
  request.add_states(static_cast<IncidentState>(42));  // an open enum keeps unknown numbers
  auto mask = EnumSetMask("states", States(), request.states());
  ASSERT_EQ(mask.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(base::ErrorField(mask.status()), "states[1]");
  EXPECT_NE(mask.status().message().find("unknown value 42 (itsm.incident.v1.IncidentState)"),
            absl::string_view::npos)
      << mask.status();
}

TEST(EnumSetMask, TheZeroOnlyWhereAllowed) {
  const std::vector<int> zero = {0};
  auto refused = EnumSetMask("states", States(), zero);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(base::ErrorField(refused.status()), "states[0]");
  auto allowed = EnumSetMask("states", States(), zero, EnumZero::kAllowed);
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_EQ(*allowed, 1);
}

// An enum declaring numbers a 64-bit mask cannot hold (bit 63 would make it negative, and a
// negative number has no bit): refused rather than shifted out of range.
TEST(EnumSetMask, NumbersOutsideTheMaskAreRefused) {
  google::protobuf::FileDescriptorProto file;
  file.set_name("wide.proto");
  file.set_package("test");
  file.set_syntax("proto3");
  auto* wide = file.add_enum_type();
  wide->set_name("Wide");
  for (const int number : {0, 1, 62, 63, 64, -1}) {
    auto* value = wide->add_value();
    value->set_name(absl::StrCat("WIDE_", number < 0 ? "MINUS" : "", number < 0 ? 1 : number));
    value->set_number(number);
  }
  google::protobuf::DescriptorPool pool;
  const google::protobuf::FileDescriptor* built = pool.BuildFile(file);
  ASSERT_NE(built, nullptr);
  const google::protobuf::EnumDescriptor& type = *built->enum_type(0);
  auto highest = EnumSetMask("values", type, std::vector<int>{1, 62});
  ASSERT_TRUE(highest.ok()) << highest.status();
  EXPECT_EQ(*highest, (int64_t{1} << 1) | (int64_t{1} << 62));
  for (const int number : {63, 64, -1}) {
    auto mask = EnumSetMask("values", type, std::vector<int>{1, number});
    EXPECT_EQ(mask.status().code(), absl::StatusCode::kInvalidArgument) << number;
    EXPECT_EQ(base::ErrorField(mask.status()), "values[1]") << number;
  }
}

}  // namespace
}  // namespace itsm::records
