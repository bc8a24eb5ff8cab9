#include "itsm/supervisor/restart_backoff.h"

#include <algorithm>

namespace itsm::supervisor {

absl::Duration RestartBackoff::Exited(absl::Time now) {
  if (serving_since_.has_value() && now - *serving_since_ >= options_.reset_after) {
    next_ = options_.initial;
  }
  serving_since_.reset();
  const absl::Duration wait = next_;
  next_ = std::min(next_ * 2, options_.max);
  return wait;
}

}  // namespace itsm::supervisor
