// FiringWatermark: a partition's clocks fire only up to an instant at which every event the
// broker held has been applied.
#include "services/sla-timer/src/firing_watermark.h"

#include "gtest/gtest.h"

namespace itsm::sla_timer {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(FiringWatermark, CompleteUpToTheInstantTheConsumerReachedTheBroker) {
  FiringWatermark w;
  int asked = 0;
  auto high = [&](int64_t h) {
    return [&asked, h]() -> absl::StatusOr<int64_t> {
      ++asked;
      return h;
    };
  };
  // Position unknown (nothing fetched since the assignment): nothing is complete.
  EXPECT_EQ(w.Advance(kT0, std::nullopt, high(5)), absl::InfinitePast());
  EXPECT_EQ(asked, 0);
  // The broker holds 5 events, 3 are applied: a mark at kT0 waits for the consumer.
  EXPECT_EQ(w.Advance(kT0, 3, high(5)), absl::InfinitePast());
  EXPECT_EQ(w.Waiting(), kT0);
  // Later passes do not move the mark (and do not ask again) until it is reached...
  EXPECT_EQ(w.Advance(kT0 + absl::Seconds(10), 4, high(9)), absl::InfinitePast());
  EXPECT_EQ(asked, 1);
  // ...then knowledge is complete up to the mark's instant, and a new mark is taken.
  EXPECT_EQ(w.Advance(kT0 + absl::Seconds(20), 5, high(7)), kT0);
  EXPECT_EQ(w.Waiting(), kT0 + absl::Seconds(20));
  // Caught up with the broker: complete up to now.
  EXPECT_EQ(w.Advance(kT0 + absl::Seconds(30), 7, high(7)), kT0 + absl::Seconds(30));
  EXPECT_FALSE(w.Waiting().has_value());
}

TEST(FiringWatermark, AnUnreachableBrokerHoldsFiringBack) {
  FiringWatermark w;
  auto down = []() -> absl::StatusOr<int64_t> { return absl::UnavailableError("down"); };
  EXPECT_EQ(w.Advance(kT0, 3, down), absl::InfinitePast());
  auto up = []() -> absl::StatusOr<int64_t> { return 3; };
  EXPECT_EQ(w.Advance(kT0 + absl::Seconds(1), 3, up), kT0 + absl::Seconds(1));
  // Never goes back.
  EXPECT_EQ(w.Advance(kT0 + absl::Seconds(2), 3, down), kT0 + absl::Seconds(1));
}

// The consumer's position past the partition's end: the log went back (an unclean election,
// another cluster at the same address), and a resolution it now holds at a low offset may not be
// applied yet. Nothing fires until the consumer is back on the log.
TEST(FiringWatermark, APositionPastTheEndOfTheLogIsNotCompleteness) {
  FiringWatermark w;
  auto high = [](int64_t h) { return [h]() -> absl::StatusOr<int64_t> { return h; }; };
  EXPECT_EQ(w.Advance(kT0, 10, high(10)), kT0);
  EXPECT_EQ(w.Advance(kT0 + absl::Seconds(1), 1'000, high(4)), kT0);
  EXPECT_FALSE(w.Waiting().has_value());
  // The consumer reset to the new log's start: a mark waits for it as usual.
  EXPECT_EQ(w.Advance(kT0 + absl::Seconds(2), 0, high(4)), kT0);
  EXPECT_EQ(w.Waiting(), kT0 + absl::Seconds(2));
  EXPECT_EQ(w.Advance(kT0 + absl::Seconds(3), 4, high(4)), kT0 + absl::Seconds(3));
}

// A mark taken on the log before it went back would wait for an offset the new log may never
// reach: dropped once the position goes back, and a new one taken on the new log.
TEST(FiringWatermark, AMarkOfALogThatWentBackIsDropped) {
  FiringWatermark w;
  auto high = [](int64_t h) { return [h]() -> absl::StatusOr<int64_t> { return h; }; };
  EXPECT_EQ(w.Advance(kT0, 990, high(1000)), absl::InfinitePast());
  EXPECT_EQ(w.Waiting(), kT0);
  // Reset onto a log of 4 events, all applied.
  EXPECT_EQ(w.Advance(kT0 + absl::Seconds(1), 4, high(4)), kT0 + absl::Seconds(1));
  EXPECT_FALSE(w.Waiting().has_value());
}

}  // namespace
}  // namespace itsm::sla_timer
