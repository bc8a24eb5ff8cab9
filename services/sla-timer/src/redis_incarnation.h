// Which Redis process the timer works on. Redis acknowledges a write before its AOF reaches the
// disk (appendfsync everysec) and before its replicas have it, so a Redis whose host crashed, or
// a replica promoted in its place, can hold less than the timer saw stored: a resolution among
// the writes lost would end in a breach that never happened. The timer keeps its consumer
// positions in Redis next to the clocks (written after the effects they cover), so a Redis that
// lost writes lost the positions past them too; what it must not do is go on from where its
// consumer stands in memory. Every Redis connection of the timer is admitted here with the
// server's run_id: the first one seen is the timer's, and a connection to another process is
// refused until the timer has gone back to the positions that process holds (SlaTimer stops its
// consumer, calls Accept(), and starts a new one, which resumes from them).
#ifndef ITSM_SERVICES_SLA_TIMER_REDIS_INCARNATION_H_
#define ITSM_SERVICES_SLA_TIMER_REDIS_INCARNATION_H_

#include <string>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace itsm::sla_timer {

class RedisIncarnation {
 public:
  // OK for the timer's Redis process (the first run_id seen, or the one accepted last);
  // UNAVAILABLE for another one, which is remembered for Accept().
  absl::Status Admit(const std::string& run_id);
  // Another Redis process was met and is not accepted yet.
  bool Changed() const;
  // The process met last becomes the timer's; returns its run_id.
  std::string Accept();

 private:
  mutable absl::Mutex mu_;
  std::string accepted_ ABSL_GUARDED_BY(mu_);
  std::string met_ ABSL_GUARDED_BY(mu_);
};

}  // namespace itsm::sla_timer

#endif  // ITSM_SERVICES_SLA_TIMER_REDIS_INCARNATION_H_
