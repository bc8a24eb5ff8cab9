// The SLA timer's clocks in Redis. Layout (the {p} hash tag is the Kafka partition of the
// incident on itsm.incident.v1, so one partition's keys would share a Redis Cluster slot):
//
//   <prefix>:clk:{p}:<incident id>   hash  r = revision (1, 2, ...), s = TimerState (protobuf);
//                                          expires once the record is finished
//   <prefix>:due:{p}                 zset  member incident id, score = next warning/breach (ms)
//   <prefix>:outbox:{p}              list  TimerOutboxEntry (protobuf), oldest first
//   <prefix>:open:{p}                hash  "<kind>:<stage>" -> open clocks of the partition
//   <prefix>:pos:{p}                 hash  "<topic>@<cluster id>" -> the record consumer's
//                                          position: the offset of its first event not applied
//   <prefix>:published               hash  "<cluster id>/<partition>" -> an offset of itsm.sla.v1
//                                          delivered before it was written (PublishedFirings)
//   <prefix>:dataset:{p}             string a value set once (a UUID): while it is the value the
//                                          timer read, Redis holds what it wrote there
//   <prefix>:published:dataset{<prefix>:published}
//                                    string the same for the published offsets (RedisIncarnation)
//
// Every change goes through one Lua script (kCommitScript) that, atomically: checks the
// revision it was computed from (compare-and-set, so the consumer, the firing loop and a second
// replica never both apply a change to the same state), writes the state with its fired
// markers, moves the incident in the due set, adjusts the open-clock counts and appends the
// events to the outbox. So an event is in the outbox if and only if its state change is stored.
#ifndef ITSM_SERVICES_SLA_TIMER_CLOCK_STORE_H_
#define ITSM_SERVICES_SLA_TIMER_CLOCK_STORE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "itsm/redis/redis_client.h"
#include "itsm/sla/v1/timer_state.pb.h"
#include "services/sla-timer/src/redis_incarnation.h"
#include "services/sla-timer/src/timer_logic.h"

namespace itsm::sla_timer {

class ClockStore {
 public:
  ClockStore(std::string redis_address, std::string prefix = "itsm:sla",
             redis::RedisAuth auth = {});

  // From now on Positions() sets the partitions' markers where there are none and notes their
  // values in `incarnation`, and the writes and looks of a marked partition fail UNAVAILABLE,
  // writing nothing, once its marker is gone or another (reported to `incarnation`). Only a timer
  // with a consumer watches: without one no positions are taken, and nothing would set the markers.
  void WatchDataset(RedisIncarnation* incarnation);

  // One incident's (or service request's) clocks: the partition of its events and its id.
  struct Key {
    int32_t partition = 0;
    std::string incident_id = {};
  };
  struct Loaded {
    // Not OK when this key cannot be read (an error reply, a state that does not parse): the
    // other keys of the call are unaffected.
    absl::Status status = absl::OkStatus();
    int64_t revision = 0;  // 0: no state
    std::optional<sla::v1::TimerState> state;
  };
  // The states of `keys`, in order, in one round trip. Fails as a whole only when Redis
  // cannot be reached.
  absl::StatusOr<std::vector<Loaded>> Load(const std::vector<Key>& keys);

  struct Write {
    Key key = {};
    int64_t expected_revision = 0;
    const Outcome* outcome = nullptr;
    // > 0: the state key expires after this long (a finished record); 0: it stays.
    absl::Duration expire_after = absl::ZeroDuration();
  };
  // Per write: true when applied, false when the state changed since it was read (read again),
  // an error when Redis refused that write's script, having written nothing: DATA_LOSS when the
  // record's key holds something else than a state, INTERNAL for a partition key of the wrong
  // kind or an open count that is not a number. Fails as a whole only when Redis cannot be
  // reached.
  absl::StatusOr<std::vector<absl::StatusOr<bool>>> Commit(const std::vector<Write>& writes);

  // Incidents with a warning or breach due at or before `now`, earliest first, after skipping
  // the first `offset`.
  absl::StatusOr<std::vector<std::string>> Due(int32_t partition, absl::Time now, int offset,
                                               int limit);
  absl::Status RemoveDue(int32_t partition, const std::string& incident_id);

  // The oldest outbox entries of a partition (serialised TimerOutboxEntry).
  absl::StatusOr<std::vector<std::string>> PeekOutbox(int32_t partition, int limit);
  // Removes the first `count` entries if the first is still `first` (another replica may have
  // taken them meanwhile: then nothing is removed). Returns whether it removed them.
  absl::StatusOr<bool> AckOutbox(int32_t partition, const std::string& first, int count);
  absl::StatusOr<int64_t> OutboxLength(int32_t partition);
  absl::StatusOr<std::map<std::string, int64_t>> OpenClocks(int32_t partition);

  // The record consumer's positions in `partitions` of `topic` on the cluster `cluster_id`,
  // kept here rather than in the broker so that a Redis that lost writes (a crash of its host,
  // a failover) lost the positions past them too. Written after the effects they cover (the
  // consumer's store_positions). Partitions with no position, or a value that is not one (logged),
  // are absent: they start at their beginning.
  absl::StatusOr<std::map<int32_t, int64_t>> Positions(const std::string& topic,
                                                       const std::string& cluster_id,
                                                       const std::vector<int32_t>& partitions);
  absl::Status StorePositions(const std::string& topic, const std::string& cluster_id,
                              const std::map<int32_t, int64_t>& next_offsets);

  // Offsets of the SLA topic's partitions known delivered on the cluster `cluster_id`, written
  // after their delivery (NotePublished): every event published after a write Redis lost lies
  // beyond them. Not per incident partition (a record's clock events go to any partition of
  // the SLA topic); replicas overwrite each other's, each with an offset it delivered at least
  // the lag before (SlaTimer::Options::published_offsets_lag). Fields that are not offsets are
  // left out; a key that is not a hash reads as none.
  absl::StatusOr<std::map<int32_t, int64_t>> PublishedOffsets(const std::string& cluster_id);
  absl::Status NotePublished(const std::string& cluster_id,
                             const std::map<int32_t, int64_t>& offsets);

  // An event as an entry of the outbox list (serialised TimerOutboxEntry).
  // `written`: when the event's news happened for consumers (its Kafka timestamp); InfinitePast
  // is now. A re-published state is as old as the clock's last event.
  static std::string OutboxEntry(const events::CloudEvent& event,
                                 absl::Time written = absl::InfinitePast());

  std::string StateKey(int32_t partition, const std::string& incident_id) const;
  std::string DueKey(int32_t partition) const;
  std::string OutboxKey(int32_t partition) const;
  std::string OpenKey(int32_t partition) const;
  std::string PositionKey(int32_t partition) const;
  std::string PublishedKey() const;
  // The marker of a partition, or of the published offsets (RedisIncarnation::kPublishedOffsets).
  std::string DatasetKey(int32_t partition) const;
  redis::RedisClient& redis() { return redis_; }

 private:
  // The value the partition's marker must have, when it is watched.
  std::optional<std::string> Marker(int32_t partition) const;
  // Reports the partition's marker gone; the error to return for it.
  absl::Status DatasetLost(int32_t partition);

  std::string prefix_;
  redis::RedisClient redis_;
  redis::RedisClient::Script commit_;
  redis::RedisClient::Script ack_;
  redis::RedisClient::Script marked_hash_set_;
  RedisIncarnation* dataset_ = nullptr;
};

// The score of a due instant: milliseconds, rounded up, so that a due entry is never taken
// before its instant.
double DueScore(absl::Time t);

}  // namespace itsm::sla_timer

#endif  // ITSM_SERVICES_SLA_TIMER_CLOCK_STORE_H_
