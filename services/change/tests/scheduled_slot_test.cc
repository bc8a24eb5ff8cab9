#include "services/change/src/scheduled_slot.h"

#include "gtest/gtest.h"
#include "itsm/base/time_util.h"
#include "services/change/src/change_factory.h"

namespace itsm::change {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);
absl::Time At(int hour) { return kT0 + absl::Hours(hour); }

v1::Change Planned(int from, int to) {
  v1::Change c;
  *c.mutable_planned_start_time() = base::ToProtoTimestamp(At(from));
  *c.mutable_planned_end_time() = base::ToProtoTimestamp(At(to));
  return c;
}
void Ran(v1::Change& c, int from, std::optional<int> to = std::nullopt) {
  *c.mutable_actual_start_time() = base::ToProtoTimestamp(At(from));
  if (to) *c.mutable_actual_end_time() = base::ToProtoTimestamp(At(*to));
}
std::pair<absl::Time, absl::Time> Slot(const v1::Change& c) {
  const std::optional<ScheduledSlot> s = ScheduledSlotOf(c);
  EXPECT_TRUE(s.has_value());
  return s ? std::pair{s->interval.start, s->interval.end} : std::pair{absl::Time(), absl::Time()};
}

TEST(ScheduledSlot, ThePlanAndWhatReallyRanTogether) {
  EXPECT_FALSE(ScheduledSlotOf(v1::Change()).has_value()) << "neither planned nor run";
  EXPECT_EQ(Slot(Planned(10, 12)), std::pair(At(10), At(12)));
  v1::Change early = Planned(10, 12);
  Ran(early, 6);  // started four hours early: for the plan's length from then, and the plan
  EXPECT_EQ(Slot(early), std::pair(At(6), At(12)));
  v1::Change late = Planned(10, 12);
  Ran(late, 20);
  EXPECT_EQ(Slot(late), std::pair(At(10), At(22)));
  v1::Change overran = Planned(10, 12);
  Ran(overran, 10, 15);
  EXPECT_EQ(Slot(overran), std::pair(At(10), At(15)));
  v1::Change on_time = Planned(10, 12);
  Ran(on_time, 10, 11);
  EXPECT_EQ(Slot(on_time), std::pair(At(10), At(12))) << "the plan still holds what it booked";

  v1::Change emergency;
  Ran(emergency, 3);
  const std::optional<ScheduledSlot> running = ScheduledSlotOf(emergency);
  ASSERT_TRUE(running.has_value());
  EXPECT_TRUE(running->open_ended);
  EXPECT_EQ(running->interval.end, At(3) + kMaxSlot);
  Ran(emergency, 3, 4);
  EXPECT_EQ(Slot(emergency), std::pair(At(3), At(4)));
  EXPECT_FALSE(ScheduledSlotOf(emergency)->open_ended);

  v1::Change far = Planned(24 * 40, 24 * 40 + 2);
  Ran(far, 0);  // started forty days before its plan: at most the longest slot
  EXPECT_EQ(Slot(far), std::pair(At(0), At(0) + kMaxSlot));
}

}  // namespace
}  // namespace itsm::change
