#include "services/change/src/scheduled_slot.h"

#include <algorithm>

#include "itsm/base/time_util.h"
#include "services/change/src/change_factory.h"

namespace itsm::change {
namespace {

// At most kMaxSlot long: the calendar reads slots starting up to kMaxSlot before its range.
Interval Bounded(absl::Time start, absl::Time end) {
  return {start, std::clamp(end, start + absl::Seconds(1), start + kMaxSlot)};
}

}  // namespace

std::optional<ScheduledSlot> ScheduledSlotOf(const v1::Change& c) {
  const bool planned = c.has_planned_start_time() && c.has_planned_end_time();
  if (!c.has_actual_start_time()) {
    if (!planned) return std::nullopt;
    return ScheduledSlot{{base::FromProtoTimestamp(c.planned_start_time()),
                          base::FromProtoTimestamp(c.planned_end_time())}};
  }
  const absl::Time started = base::FromProtoTimestamp(c.actual_start_time());
  if (!planned) {
    if (!c.has_actual_end_time()) return ScheduledSlot{{started, started + kMaxSlot}, true};
    return ScheduledSlot{Bounded(started, base::FromProtoTimestamp(c.actual_end_time()))};
  }
  // Implemented with a plan: the plan and what really happened together — started early or late
  // (then for the plan's length, decision 258), and overrun once its end is recorded.
  const absl::Time planned_start = base::FromProtoTimestamp(c.planned_start_time());
  const absl::Time planned_end = base::FromProtoTimestamp(c.planned_end_time());
  const absl::Time ran_until = c.has_actual_end_time()
                                   ? base::FromProtoTimestamp(c.actual_end_time())
                                   : started + (planned_end - planned_start);
  return ScheduledSlot{Bounded(std::min(planned_start, started), std::max(planned_end, ran_until))};
}

}  // namespace itsm::change
