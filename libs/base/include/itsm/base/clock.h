// Time as a dependency: code that decides by the time of day takes a Clock&, so that tests
// inject a ManualClock instead of sleeping through real durations.
#ifndef ITSM_BASE_CLOCK_H_
#define ITSM_BASE_CLOCK_H_

#include <atomic>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace itsm::base {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  // The process-wide real clock; stateless, so sharing it is safe.
  static SystemClock& Get() {
    static SystemClock clock;
    return clock;
  }
};

// A clock that moves only when told to; safe to read from several threads.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(absl::Time start) : now_micros_(absl::ToUnixMicros(start)) {}
  absl::Time Now() const override { return absl::FromUnixMicros(now_micros_.load()); }
  void Set(absl::Time t) { now_micros_.store(absl::ToUnixMicros(t)); }
  void Advance(absl::Duration d) { now_micros_.fetch_add(absl::ToInt64Microseconds(d)); }

 private:
  std::atomic<int64_t> now_micros_;
};

}  // namespace itsm::base

#endif  // ITSM_BASE_CLOCK_H_
