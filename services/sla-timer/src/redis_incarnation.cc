#include "services/sla-timer/src/redis_incarnation.h"

#include "absl/strings/str_cat.h"

namespace itsm::sla_timer {

absl::Status RedisIncarnation::Admit(const std::string& run_id) {
  absl::MutexLock lock(&mu_);
  if (accepted_.empty()) accepted_ = run_id;
  if (run_id == accepted_) return absl::OkStatus();
  met_ = run_id;
  return absl::UnavailableError(
      absl::StrCat("redis is another process now (run_id ", run_id, ", was ", accepted_,
                   "): refused until the timer goes back to the positions it holds"));
}

bool RedisIncarnation::Changed() const {
  absl::MutexLock lock(&mu_);
  return !met_.empty() && met_ != accepted_;
}

std::string RedisIncarnation::Accept() {
  absl::MutexLock lock(&mu_);
  if (!met_.empty()) accepted_ = met_;
  return accepted_;
}

}  // namespace itsm::sla_timer
