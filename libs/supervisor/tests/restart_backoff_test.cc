#include "itsm/supervisor/restart_backoff.h"

#include <vector>

#include "gtest/gtest.h"

namespace itsm::supervisor {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

TEST(RestartBackoff, DoublesFromOneSecondUpToThirtyWhileItKeepsCrashing) {
  RestartBackoff backoff;
  absl::Time now = kStart;
  std::vector<absl::Duration> waits;
  for (int crash = 0; crash < 8; ++crash) {
    backoff.Serving(now);
    now += absl::Seconds(5);  // serves a few seconds, then crashes again
    waits.push_back(backoff.Exited(now));
    now += waits.back();
  }
  EXPECT_EQ(waits,
            (std::vector<absl::Duration>{absl::Seconds(1), absl::Seconds(2), absl::Seconds(4),
                                         absl::Seconds(8), absl::Seconds(16), absl::Seconds(30),
                                         absl::Seconds(30), absl::Seconds(30)}));
}

TEST(RestartBackoff, AFailedStartCountsAsACrash) {
  RestartBackoff backoff;
  EXPECT_EQ(backoff.Exited(kStart), absl::Seconds(1));
  // Exited during its start: never served.
  EXPECT_EQ(backoff.Exited(kStart + absl::Seconds(2)), absl::Seconds(2));
  EXPECT_EQ(backoff.Exited(kStart + absl::Seconds(5)), absl::Seconds(4));
}

TEST(RestartBackoff, ServingAMinuteResetsTheWait) {
  RestartBackoff backoff;
  for (int i = 0; i < 6; ++i) backoff.Exited(kStart);  // up to 30 s
  backoff.Serving(kStart);
  EXPECT_EQ(backoff.Exited(kStart + absl::Seconds(59)), absl::Seconds(30));
  backoff.Serving(kStart + absl::Seconds(100));
  EXPECT_EQ(backoff.Exited(kStart + absl::Seconds(160)), absl::Seconds(1));
  EXPECT_EQ(backoff.Exited(kStart + absl::Seconds(161)), absl::Seconds(2));
}

}  // namespace
}  // namespace itsm::supervisor
