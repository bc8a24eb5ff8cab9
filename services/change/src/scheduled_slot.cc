#include "services/change/src/scheduled_slot.h"

#include <algorithm>

#include "itsm/base/time_util.h"
#include "services/change/src/change_factory.h"

namespace itsm::change {

std::optional<ScheduledSlot> ScheduledSlotOf(const v1::Change& c) {
  if (c.has_planned_start_time() && c.has_planned_end_time()) {
    return ScheduledSlot{{base::FromProtoTimestamp(c.planned_start_time()),
                          base::FromProtoTimestamp(c.planned_end_time())}};
  }
  if (!c.has_actual_start_time()) return std::nullopt;
  const absl::Time start = base::FromProtoTimestamp(c.actual_start_time());
  // At most kMaxSlot either way: the calendar reads slots starting up to kMaxSlot before its range.
  if (!c.has_actual_end_time()) return ScheduledSlot{{start, start + kMaxSlot}, true};
  const absl::Time end = std::clamp(base::FromProtoTimestamp(c.actual_end_time()),
                                    start + absl::Seconds(1), start + kMaxSlot);
  return ScheduledSlot{{start, end}};
}

}  // namespace itsm::change
