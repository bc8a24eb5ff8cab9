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
  return lost_ || (!met_.empty() && met_ != accepted_);
}

std::string RedisIncarnation::Accept() {
  absl::MutexLock lock(&mu_);
  const bool another = !met_.empty() && met_ != accepted_;
  if (another) accepted_ = met_;
  if (another || lost_) {
    lost_ = false;
    marked_.clear();
    ++generation_;
  }
  return accepted_;
}

uint64_t RedisIncarnation::generation() const {
  absl::MutexLock lock(&mu_);
  return generation_;
}

void RedisIncarnation::Marked(int32_t partition, std::string value) {
  absl::MutexLock lock(&mu_);
  marked_[partition] = std::move(value);
}

std::optional<std::string> RedisIncarnation::Marker(int32_t partition) const {
  absl::MutexLock lock(&mu_);
  auto it = marked_.find(partition);
  if (it == marked_.end()) return std::nullopt;
  return it->second;
}

void RedisIncarnation::Lost(int32_t partition) {
  absl::MutexLock lock(&mu_);
  if (marked_.contains(partition)) lost_ = true;
}

}  // namespace itsm::sla_timer
