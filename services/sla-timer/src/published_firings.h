// The warnings and breaches the timer has published, read back from itsm.sla.v1: what a Redis
// that lost its last writes forgot having fired.
//
// A firing's marker (the clock's "breach fired") is written to Redis, then its event is
// published. A crash of Redis' host or a failover can lose the marker after the event left:
// the consumer then applies the record's events again from the positions that Redis kept, and
// a late resolution among them (stamped before the due time, applied after the breach had
// fired) completes the clock as met, with no SlaBreachWithdrawn for the SlaBreached consumers
// already have. So, whenever the consumer is given partitions, the timer reads what was
// published since the offsets Redis holds (ClockStore::PublishedOffsets; noted an hour after
// their delivery, MaturingOffsets, so a Redis that lost writes holds offsets at or before every
// event whose marker it lost, for as long as the replay may take), and TimerLogic::Apply fires
// those again, at their instants, before a record's next event (TimerLogic::Refire): the late
// resolution then withdraws the breach, as it would have.
//
//   PublishedFirings firings(100'000);
//   ITSM_RETURN_IF_ERROR(ReadPublishedFirings({.bootstrap_servers = b, .topic = kSlaTopic,
//                                              .after = stored}, firings));
//   auto out = logic.Apply(stored_state, change, partition, &firings);
#ifndef ITSM_SERVICES_SLA_TIMER_PUBLISHED_FIRINGS_H_
#define ITSM_SERVICES_SLA_TIMER_PUBLISHED_FIRINGS_H_

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace itsm::sla_timer {

// One SlaWarningReached or SlaBreached as published: its ce_id and ce_time (the instant the
// threshold was reached).
struct PublishedFiring {
  std::string event_id;
  absl::Time at;
};

// The firings read back, by record. Thread-safe. Bounded: past `capacity` firings, the earliest
// (by instant) make room for the later ones, which are those whose markers a Redis that lost its
// last writes may have lost.
class PublishedFirings {
 public:
  explicit PublishedFirings(size_t capacity) : capacity_(capacity) {}

  void Add(const std::string& record_id, const PublishedFiring& firing);
  // The record's firings, earliest first (empty for most records).
  std::vector<PublishedFiring> Of(const std::string& record_id) const;
  // Whether this event id was published with this ce_time (to the microsecond, as published).
  bool Contains(const std::string& event_id, absl::Time at) const;
  size_t size() const;
  // Firings dropped to make room, since the start.
  int64_t dropped() const;

 private:
  struct Kept {
    std::string record_id;
    absl::Time at;
  };
  const size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::vector<PublishedFiring>> by_record_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Kept> by_id_ ABSL_GUARDED_BY(mu_);
  std::set<std::pair<absl::Time, std::string>> by_time_ ABSL_GUARDED_BY(mu_);  // (at, id)
  int64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
};

// The offsets the publisher delivered to the SLA topic, released for ClockStore::NotePublished
// only once they are `lag` old. A noted offset is where the next read-back starts, so it must
// stay at or before every firing a Redis that lost writes may have lost until the consumer has
// applied again the events that were in the log then (a late resolution among them is what
// needs the firing). Noted at once, the offsets delivered after the loss would move past those
// firings while the replay runs, and a restart or a partition moving to another replica in the
// middle of it would read back too late. Thread-safe.
class MaturingOffsets {
 public:
  explicit MaturingOffsets(absl::Duration lag) : lag_(lag) {}

  // Offsets just delivered (the last of each partition), at `now`.
  void Delivered(const std::map<int32_t, int64_t>& offsets, absl::Time now);
  // The last offset of each partition delivered at least `lag` before `now` and not released
  // yet; empty when none.
  std::map<int32_t, int64_t> Matured(absl::Time now);
  // Forgets what is not released yet: for a Redis accepted as another dataset, which may have
  // lost writes, only what is delivered from then on may be noted, `lag` later.
  void Clear();

 private:
  const absl::Duration lag_;
  absl::Mutex mu_;
  std::deque<std::pair<absl::Time, std::map<int32_t, int64_t>>> pending_ ABSL_GUARDED_BY(mu_);
};

struct PublishedFiringsScan {
  std::string bootstrap_servers = {};
  std::string client_properties = {};  // extra librdkafka properties, "k=v;k=v"
  std::string topic = {};
  // Per partition, an offset known published (ClockStore::PublishedOffsets): reading starts
  // after it. A partition without one is read from its beginning; one whose stored offset lies
  // past the partition's end (the log went back) too.
  std::map<int32_t, int64_t> after = {};
  // At most this many of a partition's last events are read.
  int64_t max_events_per_partition = 1'000'000;
  // No event for this long while some are still to read: UNAVAILABLE (the broker is in
  // trouble; asked again). Past `deadline` from the call, what was read is kept and the rest
  // given up (logged as an error): the read runs on the consumer's thread, inside librdkafka's
  // max.poll.interval.ms (5 minutes), and retried from scratch it could never finish.
  absl::Duration stall_timeout = absl::Seconds(10);
  absl::Duration deadline = absl::Seconds(120);
};

// Reads `scan.topic` from `scan.after` up to each partition's end as it is when called (at most
// its last `max_events_per_partition` events), and adds every warning and breach to `into`.
// UNAVAILABLE when the broker cannot be read now (the caller tries again); OK with nothing added
// when the topic does not exist yet.
absl::Status ReadPublishedFirings(const PublishedFiringsScan& scan, PublishedFirings& into);

}  // namespace itsm::sla_timer

#endif  // ITSM_SERVICES_SLA_TIMER_PUBLISHED_FIRINGS_H_
