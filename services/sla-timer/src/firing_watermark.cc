#include "services/sla-timer/src/firing_watermark.h"

#include <algorithm>

namespace itsm::sla_timer {

absl::Time FiringWatermark::Advance(absl::Time now, std::optional<int64_t> applied,
                                    const HighWatermark& high_watermark) {
  // Without a known position nothing more is known to be complete.
  if (!applied) return complete_until_;
  // The position went back: the consumer was reset onto a log that went back. A mark taken on
  // the log before says nothing of this one (and might never be reached on it).
  if (last_applied_ && *applied < *last_applied_) mark_.reset();
  last_applied_ = applied;
  if (mark_ && *applied >= mark_->high_watermark) {
    complete_until_ = std::max(complete_until_, mark_->taken);
    mark_.reset();
  }
  if (!mark_ && complete_until_ < now) {
    // Asked at `now`, so whatever the broker holds then — every event published before `now` —
    // lies below it: once applied, knowledge is complete up to `now`.
    absl::StatusOr<int64_t> high = high_watermark();
    if (!high.ok()) return complete_until_;  // broker unreachable: wait, never guess
    // Applied past the end of the log: the log went back (an unclean leader election, another
    // cluster at the broker's address), and what was applied says nothing of what it now holds.
    // Wait until the consumer has been put back on it.
    if (*applied > *high) return complete_until_;
    if (*applied == *high) {
      complete_until_ = now;
    } else {
      mark_ = Mark{now, *high};
    }
  }
  return complete_until_;
}

std::optional<absl::Time> FiringWatermark::Waiting() const {
  if (!mark_) return std::nullopt;
  return mark_->taken;
}

}  // namespace itsm::sla_timer
