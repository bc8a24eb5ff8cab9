// The SLA timer's moving parts around TimerLogic and ClockStore:
//  - the incident event handler (run by events::EventConsumer, group itsm-sla-timer): read the
//    incident's state, decide, commit state + events in one Redis script; the consumer stores
//    the offset only after that returned OK;
//  - the firing loop: for each partition this replica owns, take the incidents whose next
//    warning or breach is due (ZRANGEBYSCORE ... LIMIT), fire, commit (compare-and-set);
//  - the publisher: drains each owned partition's Redis outbox to itsm.sla.v1 with an
//    idempotent producer (acks=all) and removes entries only after their delivery reports.
// Partition ownership follows the consumer group (SetOwned / the rebalance listener): a revoked
// partition's firing and publishing stop before the revoke returns.
//
// Time comes from the injected base::Clock, so tests drive firing with a ManualClock.
#ifndef ITSM_SERVICES_SLA_TIMER_SLA_TIMER_H_
#define ITSM_SERVICES_SLA_TIMER_SLA_TIMER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "itsm/base/clock.h"
#include "itsm/events/event_consumer.h"
#include "itsm/events/kafka_producer.h"
#include "itsm/runtime/executor.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/sla-timer/src/clock_store.h"
#include "services/sla-timer/src/firing_watermark.h"
#include "services/sla-timer/src/published_firings.h"
#include "services/sla-timer/src/redis_incarnation.h"
#include "services/sla-timer/src/timer_logic.h"

namespace itsm::sla_timer {

// How far the incident consumer has applied each partition, and what the broker holds: what the
// firing loop needs to fire only on complete knowledge (FiringWatermark). The consumer's in the
// service; tests give their own.
class PartitionLog {
 public:
  virtual ~PartitionLog() = default;
  // The offset of the first event of `partition` not applied yet; nullopt when unknown.
  virtual std::optional<int64_t> Applied(int32_t partition) = 0;
  // The broker's high watermark of `partition`, asked now.
  virtual absl::StatusOr<int64_t> HighWatermark(int32_t partition) = 0;
};

// Most firings read back from the SLA topic kept at once (PublishedFirings): ~150 bytes each.
inline constexpr size_t kPublishedFiringsKept = 100'000;

class SlaTimer {
 public:
  struct Options {
    std::string redis_address = "127.0.0.1:6379";
    redis::RedisAuth redis_auth = {};
    std::string key_prefix = "itsm:sla";
    std::string kafka_bootstrap_servers = {};
    std::string kafka_client_properties = {};
    std::string group_id = "itsm-sla-timer";
    // The record topic consumed: kIncidentTopic (incidents and service requests) or
    // kChangeTopic (changes). One timer process runs the clocks of one topic, each with its own
    // consumer group and Redis key prefix (docs/sla-timer.md, "Changes").
    std::string topic = kIncidentTopic;
    absl::Duration fire_poll_interval = absl::Milliseconds(100);
    int fire_batch = 500;
    // A due clock that could not fire is passed over this long before it is tried again.
    absl::Duration unfireable_retry = absl::Seconds(1);
    absl::Duration publish_poll_interval = absl::Milliseconds(100);
    int publish_batch = 500;
    absl::Duration delivery_timeout = absl::Seconds(30);
    // How long the state of a closed or cancelled record stays in Redis once its clocks are all
    // done (Redis expires it then): long enough to absorb late redeliveries.
    absl::Duration closed_retention = absl::Hours(24 * 7);
    TimerLogic::Options logic = {};
    // How long the consumer may take, after a start or the acceptance of a Redis that lost
    // writes, to apply again the events the log held then: delivered offsets of the SLA topic
    // are noted in Redis (where the read-back of published firings starts) this long after
    // their delivery (published_firings.h).
    absl::Duration published_offsets_lag = absl::Hours(1);
    // Told of every warning and breach fired by the firing loop, with when (benchmarks).
    std::function<void(const Fired&, absl::Time fired_at)> on_fired = nullptr;
  };

  SlaTimer(Options options, DefinitionSource& source, base::Clock& clock,
           prometheus::Registry& registry);
  ~SlaTimer();

  // Starts the firing loop, the publisher (when Kafka is configured) and the consumer.
  absl::Status Start();
  // In this order (the runtime's shutdown does the same): the consumer stops taking events
  // (its positions are in Redis already), the firing loop stops, the publisher drains what it
  // can.
  void StopConsumer();
  void StopFiring();
  void StopPublisher();

  // The consumer's handler: one status per event (events::EventConsumer::BatchHandler). Events
  // of different incidents share Redis round trips; one incident's apply in order.
  std::vector<absl::Status> HandleBatch(const std::vector<events::ConsumedEvent>& batch);
  // One event (tests).
  absl::Status Handle(const events::ConsumedEvent& event);
  // One firing pass over the owned partitions at clock.Now(); returns how many fired. With a
  // partition log (Start() uses the consumer's; SetPartitionLog in tests), a partition's clocks
  // fire only up to the instant its events are known to be applied (FiringWatermark); without
  // one (events handed to Handle directly) every event is applied when Handle returns.
  absl::StatusOr<int> FireOnce();
  // Before Start(); not owned. Start() sets the consumer's when none is set.
  void SetPartitionLog(PartitionLog* log) { partition_log_ = log; }
  // One publishing pass; returns how many events were delivered.
  absl::StatusOr<int> PublishOnce();
  // RepublishEvents: appends the current state of every clock whose last event is in
  // [start, end), one SlaClockRepublished each (clock_republisher.h), to the Redis outbox of its
  // partition — of every partition, owned or not: each partition's owner publishes its outbox.
  // Returns how many were queued. Scans Redis (SCAN, 500 keys a round trip); events a change
  // commits meanwhile may come before the re-published state of their clock, which consumers
  // that keep the newer state (by event_time) ignore. UNAVAILABLE when Redis or a pinned
  // definition cannot be read now (what was queued stays queued; calling again is harmless).
  absl::StatusOr<int64_t> Republish(absl::Time start, absl::Time end);
  // Events waiting in the Redis outboxes of every partition.
  absl::StatusOr<int64_t> PendingEvents();
  // Partition ownership (the rebalance listener calls these; tests without a consumer too).
  void Assign(const std::vector<int32_t>& partitions);
  void Revoke(const std::vector<int32_t>& partitions);
  std::set<int32_t> owned() const;

 private:
  struct InFlight;
  struct BatchState;
  struct Chunk;
  // Events decided per commit of a round: small enough that deciding the first and committing
  // the last, which do not overlap, are a small part of a round of 500.
  static constexpr size_t kCommitChunk = 64;
  std::optional<InFlight> Prepare(const events::ConsumedEvent& consumed, absl::Status& status);
  // Reads the states of `round` (one event per record), decides, writes the changes. Not OK
  // when Redis cannot be reached; per-event results go to `b` (events whose changes were
  // stored before Redis failed keep theirs).
  absl::Status RunRound(BatchState& b, const std::vector<InFlight*>& round);
  // The change `f` makes to its record's stored `state`; none for a replay, or when it failed
  // (then b.status says how).
  std::optional<Outcome> Decide(BatchState& b, InFlight& f, const ClockStore::Loaded& state);
  // The results of a committed chunk into `b`; not OK when its commit could not reach Redis.
  absl::Status FinishChunk(BatchState& b, Chunk& chunk);
  // `f` failed transiently: it comes back, and its record's later events with it.
  void Fail(BatchState& b, InFlight& f, const absl::Status& status);
  // `f` can never apply (its data is wrong, not the time): skipped, so that it holds back
  // nothing else of its partition.
  void Reject(BatchState& b, InFlight& f, const absl::Status& status);
  // Reject for a record's key that holds no readable state (DATA_LOSS), else Fail.
  void FailOrReject(BatchState& b, InFlight& f, const absl::Status& status);
  // What the firing pass knew of these partitions (watermarks, unfireable clocks): stale once
  // a partition is (re)assigned or revoked.
  void ForgetFiring(const std::vector<int32_t>& partitions) ABSL_EXCLUSIVE_LOCKS_REQUIRED(fire_mu_);
  // "partition/id": events of one record apply in order.
  static std::string RecordKey(const InFlight& f);
  void CountHandled(const std::string& type, const char* result);
  // Metrics of warnings and breaches fired at `now` (and on_fired, for the firing loop's).
  void CountFired(const std::vector<Fired>& fired, absl::Time now, bool from_firing_loop);
  // itsm_sla_timer_clock_events_total{type}: the clock events a stored outcome wrote to the
  // outbox (SlaMet, SlaBreached, SlaClockStarted, ...).
  void CountClockEvents(const std::vector<events::CloudEvent>& written);
  // One walk over a partition's due clocks. Batches are taken past the clocks left due (they
  // could not fire), so that no number of them holds back the clocks due after them.
  struct FireWalk {
    // Clocks that could not fire, by when to try them again (real time): the previous walk's
    // (read) and this walk's (written).
    const absl::flat_hash_map<std::string, absl::Time>& retry_at;
    absl::flat_hash_map<std::string, absl::Time> unfireable;
    int left_due = 0;  // due clocks before the next batch, left in place
    int fired = 0;
  };
  // Fires the next batch of the walk; returns how many due clocks it took.
  absl::StatusOr<size_t> FirePartition(int32_t p, absl::Time now, FireWalk& walk)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(fire_mu_);
  void LeaveUnfireable(FireWalk& walk, const std::string& id, const absl::Status& why);
  // How long a stored outcome's state may live: closed_retention once its record is finished.
  absl::Duration ExpireAfter(const Outcome& out) const;
  // Counts and logs what a stored outcome did: fired, clock events, no SLA, events parked or
  // dropped (TimerLogic::Apply).
  void CountStored(const std::string& record_id, const Outcome& out, absl::Time now,
                   bool from_firing_loop);
  absl::StatusOr<int> PublishPartition(int32_t p);
  // Notes in Redis the last offset delivered to each partition of the SLA topic.
  void NotePublished(const std::vector<events::KafkaProducer::Delivery>& deliveries);
  // The incident consumer, its positions kept in Redis, its rebalances owning partitions here.
  std::unique_ptr<events::EventConsumer> NewConsumer();
  // Redis is another dataset than the one the timer worked on: a new consumer takes the place
  // of the running one and starts at the positions this Redis holds (RedisIncarnation). Also
  // starts the consumer again when that failed.
  void ResumeFromRedisPositions();
  absl::Status StartProducer();
  void FireLoop();
  void PublishLoop();
  void RefreshGauges();
  // Whether Redis may delete the timer's keys when it is full (its maxmemory-policy): the
  // markers find an emptied Redis, not one that evicted some clocks and kept the marker.
  void CheckEvictionPolicy();
  void WakePublisher();

  Options options_;
  base::Clock& clock_;
  prometheus::Registry& registry_;
  TimerLogic logic_;
  // Which Redis process the stores may talk to (declared before them: they ask it on connect).
  RedisIncarnation incarnation_;
  // One Redis connection per thread that uses it.
  ClockStore handler_store_;
  // Runs the handler's commits (on handler_store_), so that the next chunk's decisions overlap
  // them; declared after the store it uses, so it stops first.
  runtime::Executor committer_{"sla-timer-commit", 1, 1};
  ClockStore fire_store_;
  ClockStore publish_store_;
  // Delivered offsets noted in Redis an hour later (published_firings.h). Held while noting
  // and while a new Redis dataset is accepted, so that nothing delivered before the
  // acceptance is noted in the new dataset.
  absl::Mutex note_mu_;
  // The publisher's broker cluster (ClockStore::NotePublished), asked until known, at most every
  // ten seconds.
  std::string published_cluster_id_ ABSL_GUARDED_BY(note_mu_);
  absl::Time cluster_id_asked_ ABSL_GUARDED_BY(note_mu_) = absl::InfinitePast();
  MaturingOffsets maturing_;
  // What was published since the offsets Redis holds, read back on every assignment, before
  // the assigned partitions' events are applied (published_firings.h).
  PublishedFirings published_firings_{kPublishedFiringsKept};
  // The admin calls' connection (RepublishEvents, GetOutboxStats), one call at a time.
  DefinitionSource& source_;
  absl::Mutex admin_mu_;
  ClockStore admin_store_ ABSL_GUARDED_BY(admin_mu_);

  mutable absl::Mutex own_mu_;
  std::set<int32_t> owned_ ABSL_GUARDED_BY(own_mu_);
  // Held while one partition is fired / published: Revoke takes them to wait for the pass.
  absl::Mutex fire_mu_;
  absl::Mutex publish_mu_;
  absl::Mutex wake_mu_;
  bool wake_ ABSL_GUARDED_BY(wake_mu_) = false;

  // Guards replacing consumer_ (ResumeFromRedisPositions, on the firing loop's thread) against
  // StopConsumer; the firing loop reads it through consumer_log_ without the lock, which is
  // safe because only its own thread replaces it.
  absl::Mutex consumer_mu_;
  bool consumer_stopped_ ABSL_GUARDED_BY(consumer_mu_) = false;
  // The consumer that replaced one could not start: the firing loop tries again each second.
  std::atomic<bool> consumer_down_{false};
  absl::Time next_consumer_start_ ABSL_GUARDED_BY(consumer_mu_) = absl::InfinitePast();
  std::unique_ptr<events::EventConsumer> consumer_;
  std::unique_ptr<PartitionLog> consumer_log_;
  PartitionLog* partition_log_ = nullptr;
  // Per owned partition, up to when its events are applied; reset when it is (re)assigned.
  std::map<int32_t, FiringWatermark> watermarks_ ABSL_GUARDED_BY(fire_mu_);
  // Per owned partition, its clocks that could not fire in the last walk (FireWalk::unfireable).
  std::map<int32_t, absl::flat_hash_map<std::string, absl::Time>> unfireable_
      ABSL_GUARDED_BY(fire_mu_);
  std::unique_ptr<events::KafkaProducer> producer_;
  std::atomic<bool> stop_fire_{false};
  std::atomic<bool> stop_publish_{false};
  std::thread fire_thread_;
  std::thread publish_thread_;
  absl::Time last_gauges_ = absl::InfinitePast();
  // The ce_time of the last record event handled (Unix µs), for the lag gauge.
  std::atomic<int64_t> last_event_time_us_{0};
  absl::Time last_eviction_check_ = absl::InfinitePast();
  std::string eviction_policy_;  // as last read, on the firing thread

  // Metrics (docs/sla-timer.md lists them).
  prometheus::Family<prometheus::Gauge>& open_family_;
  prometheus::Family<prometheus::Counter>& fired_family_;
  prometheus::Histogram& fire_delay_;
  // Delivered to Kafka minus due, of warnings and breaches: what the freshness SLO reads.
  prometheus::Histogram& publish_delay_;
  prometheus::Gauge& lag_seconds_;
  prometheus::Counter& events_ahead_;
  prometheus::Gauge& event_ahead_seconds_;
  prometheus::Family<prometheus::Counter>& handled_family_;
  prometheus::Family<prometheus::Counter>& without_sla_family_;
  prometheus::Gauge& outbox_pending_;
  prometheus::Counter& published_;
  prometheus::Counter& publish_failures_;
  prometheus::Gauge& owned_partitions_;
  prometheus::Gauge& unfireable_clocks_;
  prometheus::Gauge& last_fire_pass_;
  prometheus::Family<prometheus::Counter>& clock_events_family_;
  prometheus::Counter& redis_rewinds_;
  prometheus::Counter& firings_published_again_;
  prometheus::Gauge& redis_may_evict_;
};

}  // namespace itsm::sla_timer

#endif  // ITSM_SERVICES_SLA_TIMER_SLA_TIMER_H_
