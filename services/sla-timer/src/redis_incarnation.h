// Which Redis process the timer works on. Redis acknowledges a write before its AOF reaches the
// disk (appendfsync everysec) and before its replicas have it, so a Redis whose host crashed, or
// a replica promoted in its place, can hold less than the timer saw stored: a resolution among
// the writes lost would end in a breach that never happened. The timer keeps its consumer
// positions in Redis next to the clocks (written after the effects they cover), so a Redis that
// lost writes lost the positions past them too; what it must not do is go on from where its
// consumer stands in memory. Every Redis connection of the timer is admitted here with the
// server's identity (its run_id and replication id: a process that restarted, or that was
// resynchronised from another as a replica, is another dataset): the first one seen is the
// timer's, and a connection to another is refused until the timer has gone back to the
// positions that one holds (SlaTimer stops its consumer, calls Accept(), and starts a new one,
// which resumes from them). Accept() starts a new generation: connections admitted before it
// are closed before their next call.
//
// The same process can also lose what the timer wrote while it runs (FLUSHALL, FLUSHDB, a key
// evicted or deleted by hand). For that, each partition has a marker key in Redis, set (to a
// value never used before) where there is none when a consumer takes the partition's positions
// (ClockStore::Positions, which notes its value here), and checked by every write of the
// partition's clocks and positions and by every look for due clocks: a marker gone, or set
// again by another replica since, is reported with Lost(), and the timer goes back to the
// positions Redis holds (none: the topic's beginning) exactly as for another dataset.
#ifndef ITSM_SERVICES_SLA_TIMER_REDIS_INCARNATION_H_
#define ITSM_SERVICES_SLA_TIMER_REDIS_INCARNATION_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace itsm::sla_timer {

class RedisIncarnation {
 public:
  // The marker beside the published offsets (ClockStore::PublishedKey), which belong to no
  // partition of the record topic.
  static constexpr int32_t kPublishedOffsets = -1;

  // The generation, for the timer's Redis (the first identity seen, or the one accepted last);
  // UNAVAILABLE for another one, which is remembered for Accept().
  absl::StatusOr<uint64_t> Admit(const std::string& identity);
  // Another Redis was met, or the timer's lost its data, and is not accepted yet.
  bool Changed() const;
  // The Redis met last (or the one that lost its data) becomes the timer's, in a new generation
  // with no partition marked; returns its identity.
  std::string Accept();
  uint64_t generation() const;

  // The partition's marker in Redis has `value`, read in this generation: from now on a write or
  // a look that finds another value, or none, reports Lost().
  void Marked(int32_t partition, std::string value);
  std::optional<std::string> Marker(int32_t partition) const;
  // A marked partition's marker is gone: Redis no longer holds what the timer wrote.
  void Lost(int32_t partition);

 private:
  mutable absl::Mutex mu_;
  std::string accepted_ ABSL_GUARDED_BY(mu_);
  std::string met_ ABSL_GUARDED_BY(mu_);
  bool lost_ ABSL_GUARDED_BY(mu_) = false;
  std::map<int32_t, std::string> marked_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace itsm::sla_timer

#endif  // ITSM_SERVICES_SLA_TIMER_REDIS_INCARNATION_H_
