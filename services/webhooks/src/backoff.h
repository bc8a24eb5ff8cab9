// When a failed delivery is tried again: exponential backoff with full jitter (a uniform draw
// between 0 and min(cap, base * 2^(attempt-1))), so that receivers coming back after an outage
// are not hit by every delivery at the same instant. Pure: the random draw is passed in.
#ifndef ITSM_SERVICES_WEBHOOKS_BACKOFF_H_
#define ITSM_SERVICES_WEBHOOKS_BACKOFF_H_

#include "absl/time/time.h"

namespace itsm::webhooks {

struct BackoffPolicy {
  absl::Duration base = absl::Seconds(5);
  absl::Duration cap = absl::Hours(1);
};

// The ceiling of the draw after failed attempt number `attempt` (1, 2, ...).
absl::Duration BackoffCeiling(const BackoffPolicy& policy, int attempt);

// The delay before the next attempt; `uniform01` is a draw in [0, 1).
absl::Duration BackoffDelay(const BackoffPolicy& policy, int attempt, double uniform01);

}  // namespace itsm::webhooks

#endif  // ITSM_SERVICES_WEBHOOKS_BACKOFF_H_
