#include "itsm/businesstime/time_zone_name.h"

#include "gtest/gtest.h"

namespace itsm::businesstime {
namespace {

TEST(TimeZoneName, TheDatabasesNamesAreNames) {
  for (const char* name : {"UTC", "Europe/Istanbul", "America/Argentina/Buenos_Aires", "Etc/GMT+5",
                           "Etc/GMT-14", "America/Port-au-Prince"}) {
    EXPECT_TRUE(IsIanaTimeZoneName(name)) << name;
    EXPECT_TRUE(LoadIanaTimeZone(name).ok()) << name;
  }
}

TEST(TimeZoneName, PathsAndTheHostsZoneAreNot) {
  for (const char* name : {"", "localtime", "/etc/localtime", "/UTC", "UTC/", "./UTC",
                           "../zoneinfo/UTC", "Europe/./Berlin", "Europe//Berlin", "Europe/Berlin ",
                           "Europe\\Berlin", "Europe/Berlin\n", "Europe/.."}) {
    EXPECT_FALSE(IsIanaTimeZoneName(name)) << name;
    const absl::StatusOr<absl::TimeZone> zone = LoadIanaTimeZone(name);
    ASSERT_FALSE(zone.ok()) << name;
    EXPECT_EQ(zone.status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_FALSE(IsIanaTimeZoneName(std::string(65, 'A')));
  EXPECT_EQ(LoadIanaTimeZone("/etc/localtime").status().message(),
            "\"/etc/localtime\" is not an IANA time zone name (such as \"Europe/Istanbul\" or "
            "\"UTC\")");
}

TEST(TimeZoneName, AWellFormedNameTheDatabaseLacksIsUnknown) {
  EXPECT_TRUE(IsIanaTimeZoneName("Europe/Atlantis"));
  EXPECT_EQ(LoadIanaTimeZone("Europe/Atlantis").status().message(),
            "unknown IANA time zone \"Europe/Atlantis\"");
}

}  // namespace
}  // namespace itsm::businesstime
