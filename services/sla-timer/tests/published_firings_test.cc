// What the timer keeps of the firings it reads back, and when it notes delivered offsets.
#include "services/sla-timer/src/published_firings.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace itsm::sla_timer {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

std::vector<std::string> Ids(const std::vector<PublishedFiring>& firings) {
  std::vector<std::string> ids;
  for (const PublishedFiring& f : firings) ids.push_back(f.event_id);
  return ids;
}

TEST(PublishedFirings, KeepsEachRecordsFiringsInTimeOrderMatchedToTheMicrosecond) {
  PublishedFirings firings(10);
  firings.Add("inc-1", {.event_id = "breach", .at = kT0 + absl::Minutes(30)});
  firings.Add("inc-1", {.event_id = "warning", .at = kT0 + absl::Minutes(15)});
  firings.Add("inc-1", {.event_id = "warning", .at = kT0 + absl::Minutes(15)});  // read twice
  EXPECT_THAT(Ids(firings.Of("inc-1")), ElementsAre("warning", "breach"));
  EXPECT_THAT(firings.Of("inc-2"), IsEmpty());
  EXPECT_EQ(firings.size(), 2u);
  // Published times are cut to the microsecond.
  EXPECT_TRUE(firings.Contains("breach", kT0 + absl::Minutes(30) + absl::Nanoseconds(700)));
  EXPECT_FALSE(firings.Contains("breach", kT0 + absl::Minutes(30) + absl::Microseconds(1)));
  EXPECT_FALSE(firings.Contains("breach", kT0 + absl::Minutes(15)));
}

TEST(PublishedFirings, WhenFullTheEarliestMakeRoomForTheLatest) {
  PublishedFirings firings(3);
  // Read partition by partition: not in time order.
  for (int k : {3, 0, 4, 1, 2}) {
    firings.Add(k % 2 == 0 ? "inc-even" : "inc-odd",
                {.event_id = "e" + std::to_string(k), .at = kT0 + absl::Seconds(k)});
  }
  EXPECT_EQ(firings.size(), 3u);
  EXPECT_EQ(firings.dropped(), 2);
  EXPECT_THAT(Ids(firings.Of("inc-even")), ElementsAre("e2", "e4"));
  EXPECT_THAT(Ids(firings.Of("inc-odd")), ElementsAre("e3"));
  EXPECT_FALSE(firings.Contains("e0", kT0));
  EXPECT_FALSE(firings.Contains("e1", kT0 + absl::Seconds(1)));
}

TEST(MaturingOffsets, ReleasesTheLastOffsetOfEachPartitionOnceItIsOldEnough) {
  MaturingOffsets offsets(absl::Hours(1));
  offsets.Delivered({{0, 10}, {1, 4}}, kT0);
  offsets.Delivered({{0, 12}}, kT0 + absl::Milliseconds(300));  // the same second: merged
  offsets.Delivered({{0, 20}, {2, 7}}, kT0 + absl::Minutes(30));
  EXPECT_THAT(offsets.Matured(kT0 + absl::Minutes(59)), IsEmpty());
  // Released an hour after the last delivery merged into it, not the first.
  EXPECT_THAT(offsets.Matured(kT0 + absl::Hours(1) + absl::Milliseconds(200)), IsEmpty());
  EXPECT_EQ(offsets.Matured(kT0 + absl::Hours(1) + absl::Milliseconds(300)),
            (std::map<int32_t, int64_t>{{0, 12}, {1, 4}}));
  EXPECT_THAT(offsets.Matured(kT0 + absl::Hours(1) + absl::Seconds(2)), IsEmpty());
  offsets.Clear();  // another Redis dataset: nothing delivered before it is noted
  EXPECT_THAT(offsets.Matured(kT0 + absl::Hours(5)), IsEmpty());
}

}  // namespace
}  // namespace itsm::sla_timer
