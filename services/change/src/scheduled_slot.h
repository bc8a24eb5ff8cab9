// The time a change holds in the schedule: what the calendar shows and what other changes are
// checked against (docs/change.md, "Conflicts"; decision 259).
#ifndef ITSM_SERVICES_CHANGE_SCHEDULED_SLOT_H_
#define ITSM_SERVICES_CHANGE_SCHEDULED_SLOT_H_

#include <optional>

#include "itsm/change/v1/change.pb.h"
#include "services/change/src/window_schedule.h"

namespace itsm::change {

struct ScheduledSlot {
  Interval interval;
  // Implemented without a planned slot and not ended: when it ends is not known, so `interval`
  // runs kMaxSlot from its actual start (until its end is recorded).
  bool open_ended = false;
};

// Its planned slot; for a change implemented without one (an emergency change), from its actual
// start to its actual end, or kMaxSlot from its start while it runs; for one implemented with
// one, the plan and what really ran together (an early or late start for the plan's length, an
// overrun once its end is recorded). At most kMaxSlot long. None for a change with neither (not
// planned, not implemented).
std::optional<ScheduledSlot> ScheduledSlotOf(const v1::Change& change);

}  // namespace itsm::change

#endif  // ITSM_SERVICES_CHANGE_SCHEDULED_SLOT_H_
