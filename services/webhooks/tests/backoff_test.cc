// Exponential backoff with full jitter: ceilings double to the cap, draws stay below them.
#include "services/webhooks/src/backoff.h"

#include "gtest/gtest.h"

namespace itsm::webhooks {
namespace {

TEST(Backoff, CeilingDoublesUntilTheCap) {
  const BackoffPolicy p{.base = absl::Seconds(5), .cap = absl::Seconds(60)};
  EXPECT_EQ(BackoffCeiling(p, 1), absl::Seconds(5));
  EXPECT_EQ(BackoffCeiling(p, 2), absl::Seconds(10));
  EXPECT_EQ(BackoffCeiling(p, 4), absl::Seconds(40));
  EXPECT_EQ(BackoffCeiling(p, 5), absl::Seconds(60));
  EXPECT_EQ(BackoffCeiling(p, 1000000), absl::Seconds(60));
}

TEST(Backoff, FullJitterDrawsBetweenZeroAndTheCeiling) {
  const BackoffPolicy p{.base = absl::Seconds(1), .cap = absl::Hours(1)};
  EXPECT_EQ(BackoffDelay(p, 3, 0.0), absl::ZeroDuration());
  EXPECT_EQ(BackoffDelay(p, 3, 0.5), absl::Seconds(2));
  EXPECT_LT(BackoffDelay(p, 3, 0.999999), absl::Seconds(4));
  // Out-of-range draws are clamped rather than trusted.
  EXPECT_EQ(BackoffDelay(p, 3, 7.0), absl::Seconds(4));
  EXPECT_EQ(BackoffDelay(p, 3, -1.0), absl::ZeroDuration());
}

}  // namespace
}  // namespace itsm::webhooks
