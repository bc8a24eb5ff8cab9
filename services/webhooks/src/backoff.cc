#include "services/webhooks/src/backoff.h"

#include <algorithm>

namespace itsm::webhooks {

absl::Duration BackoffCeiling(const BackoffPolicy& policy, int attempt) {
  absl::Duration ceiling = policy.base;
  // Doubling stops at the cap, so a large attempt number cannot overflow.
  for (int i = 1; i < attempt && ceiling < policy.cap; ++i) ceiling *= 2;
  return std::min(ceiling, policy.cap);
}

absl::Duration BackoffDelay(const BackoffPolicy& policy, int attempt, double uniform01) {
  const double u = std::clamp(uniform01, 0.0, 1.0);
  return absl::Microseconds(
      static_cast<int64_t>(absl::ToDoubleMicroseconds(BackoffCeiling(policy, attempt)) * u));
}

}  // namespace itsm::webhooks
