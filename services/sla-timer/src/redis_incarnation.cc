#include "services/sla-timer/src/redis_incarnation.h"

#include "absl/strings/str_cat.h"

namespace itsm::sla_timer {

absl::StatusOr<uint64_t> RedisIncarnation::Admit(const std::string& identity) {
  absl::MutexLock lock(&mu_);
  if (accepted_.empty()) accepted_ = identity;
  if (identity == accepted_) return generation_;
  met_ = identity;
  return absl::UnavailableError(
      absl::StrCat("redis is another dataset now (", identity, ", was ", accepted_,
                   "): refused until the timer goes back to the positions it holds"));
}

bool RedisIncarnation::Changed() const {
  absl::MutexLock lock(&mu_);
  return !met_.empty() && met_ != accepted_;
}

std::string RedisIncarnation::Accept() {
  absl::MutexLock lock(&mu_);
  if (!met_.empty() && met_ != accepted_) {
    accepted_ = met_;
    ++generation_;
  }
  return accepted_;
}

uint64_t RedisIncarnation::generation() const {
  absl::MutexLock lock(&mu_);
  return generation_;
}

}  // namespace itsm::sla_timer
