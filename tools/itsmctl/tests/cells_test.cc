#include "cells.h"

#include "gtest/gtest.h"
#include "itsm/supplier/v1/supplier.pb.h"

namespace itsm::ctl {
namespace {

TEST(Cells, ClipCutsOnACharacterBoundary) {
  EXPECT_EQ(Clip("short", 40), "short");
  EXPECT_EQ(Clip("abcdef", 3), "abc…");
  // "é" is two bytes and "€" three: a byte count would cut them in half.
  EXPECT_EQ(Clip("éééé", 2), "éé…");
  EXPECT_EQ(Clip("a€b", 2), "a€…");
  EXPECT_EQ(Clip("a€", 2), "a€");
  EXPECT_EQ(Clip("", 0), "");
  EXPECT_EQ(Clip("x", 0), "…");
}

TEST(Cells, CharCountCountsCharactersNotBytes) {
  EXPECT_EQ(CharCount(""), 0u);
  EXPECT_EQ(CharCount("abc"), 3u);
  EXPECT_EQ(CharCount("Zürich €"), 8u);
}

TEST(Cells, EnumWordDropsThePrefix) {
  EXPECT_EQ(EnumWord("CHANGE_STATE_IMPLEMENT", "CHANGE_STATE_"), "implement");
  // A name without the prefix (an unknown value's number) is kept whole.
  EXPECT_EQ(EnumWord("7", "CHANGE_STATE_"), "7");
}

// Found from outside: "--contact Jane:account manager" was refused without saying what is taken.
TEST(Cells, AnEnumWordIsReadAsWrittenOrRefusedWithTheWordsTaken) {
  using supplier::v1::ContactRole;
  for (const char* word : {"account_manager", "Account Manager", "account-manager"}) {
    absl::StatusOr<ContactRole> role = ParseEnumWord<ContactRole>("contact", word, "CONTACT_ROLE_");
    ASSERT_TRUE(role.ok()) << word << ": " << role.status();
    EXPECT_EQ(*role, supplier::v1::CONTACT_ROLE_ACCOUNT_MANAGER);
  }
  for (const char* word : {"unspecified", "boss", ""}) {
    absl::StatusOr<ContactRole> role = ParseEnumWord<ContactRole>("contact", word, "CONTACT_ROLE_");
    EXPECT_EQ(role.status().code(), absl::StatusCode::kInvalidArgument) << word;
    EXPECT_NE(role.status().message().find("--contact: unknown value"), std::string::npos);
    EXPECT_NE(role.status().message().find("one of account_manager, "), std::string::npos)
        << role.status();
    EXPECT_EQ(role.status().message().find("unspecified,"), std::string::npos) << role.status();
  }
}

TEST(Cells, DurationText) {
  google::protobuf::Duration d;
  EXPECT_EQ(DurationText(d), "0s");
  d.set_seconds(4 * 3600 + 30 * 60);
  EXPECT_EQ(DurationText(d), "4h30m");
  d.set_seconds(-15 * 60);
  EXPECT_EQ(DurationText(d), "-15m");
}

TEST(Cells, WhenShowsADashForAnUnsetTime) {
  google::protobuf::Timestamp unset;
  EXPECT_EQ(When(unset), "-");
  EXPECT_EQ(When(unset, absl::UTCTimeZone()), "-");
  google::protobuf::Timestamp t;
  t.set_seconds(1764928812);
  EXPECT_EQ(When(t, absl::UTCTimeZone()), "2025-12-05 10:00:12 UTC");
}

}  // namespace
}  // namespace itsm::ctl
