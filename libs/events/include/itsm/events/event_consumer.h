// Consumes CloudEvents from Kafka in a consumer group: messages of one partition are handled in
// order; a message is handled at most once per ce_id as far as the de-duplication window
// reaches; its offset is committed only after the handler succeeded.
//
// Handler results, per event:
//   OK                  -> offset stored (committed within auto.commit.interval, and on revoke)
//   INVALID_ARGUMENT    -> the event can never be processed: counted, logged, skipped
//   anything else       -> transient: handed again with backoff until it succeeds or Stop();
//                          meanwhile its partition is paused (nothing more fetched from it, the
//                          later events wait) and the other partitions go on
//
//   EventConsumer consumer({.bootstrap_servers = b, .group_id = "sla-timer",
//                           .topics = {"itsm.incident.v1"}}, handler, registry);
//   consumer.Start();
//
// Options::start_positions lets a handler that stores its positions in its own database (in the
// transaction of its effects) resume from them instead of the group's committed offsets.
//
// A batch handler receives up to Options::max_batch events at once (those already fetched: the
// consumer never waits to fill a batch), in partition order, and answers one status per event,
// so that it can share round trips to its store between events. It must not apply an event of
// a record (an incident, a key) when an earlier event of the same record in the batch failed
// transiently: that event is handed again, and the later ones of its partition with it. Events
// that succeeded are not handed again; their offsets are stored once every earlier event of
// their partition is done.
#ifndef ITSM_EVENTS_EVENT_CONSUMER_H_
#define ITSM_EVENTS_EVENT_CONSUMER_H_

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "itsm/events/cloud_event.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace itsm::events {

struct ConsumedEvent {
  CloudEvent event;
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  // The message's create time (KafkaProducer::Batch::Produce's `written`: when its service
  // wrote the event; a producer that gave none, when it was sent), to the millisecond.
  // InfinitePast when the broker keeps another time (LogAppendTime) or none.
  absl::Time written = absl::InfinitePast();
};

// Remembers the last `capacity` ce_ids seen. Handlers that need exactly-once effects beyond
// this window make their writes idempotent themselves (e.g. keyed by ce_id in their store).
class RecentIds {
 public:
  explicit RecentIds(size_t capacity) : capacity_(capacity) {}
  bool Contains(const std::string& id) const { return index_.contains(id); }
  void Add(const std::string& id);

 private:
  size_t capacity_;
  std::list<std::string> order_;
  absl::flat_hash_map<std::string, std::list<std::string>::iterator> index_;
};

class EventConsumer {
 public:
  struct Options {
    std::string bootstrap_servers = {};
    std::string group_id = {};
    // The `group` label of the consumer's metrics; empty: group_id. A group made unique per
    // process (a consumer that reads every partition in every replica) names its role here, so
    // that a restart does not start new series.
    std::string metrics_group = {};
    std::vector<std::string> topics = {};
    std::string client_properties = {};  // extra librdkafka properties, "k=v;k=v"
    // Where a group with no committed offset starts: "earliest" replays the topic.
    std::string auto_offset_reset = "earliest";
    size_t dedupe_capacity = 100000;
    // Short enough that a replica replacing a crashed one takes over its partitions quickly.
    int session_timeout_ms = 6000;
    int heartbeat_interval_ms = 500;
    absl::Duration max_retry_backoff = absl::Seconds(5);
    // Most events handed to a batch handler at once.
    size_t max_batch = 500;
    // Set when the handler keeps its positions itself, with its effects (exactly-once effect
    // across restarts, and a store rolled back rolls its positions back with it): on every
    // assignment each partition starts at the offset this returns for it — absent, or beyond
    // the partition's end (a topic younger than the stored positions, e.g. after a broker lost
    // its data), at the partition's beginning — and nothing is committed to the broker. Given
    // the broker's cluster id, so that positions stored for another cluster can be ignored,
    // and the partitions being assigned. When it fails with DATA_LOSS (what is stored cannot be
    // read), the partitions start at their beginning (handlers that use it apply events
    // idempotently); with any other error (the store down or loading), they wait, paused, and
    // it is asked again every second until it answers. Never asked without a cluster id.
    std::function<absl::StatusOr<std::map<std::pair<std::string, int32_t>, int64_t>>(
        const std::string& cluster_id, const std::vector<std::pair<std::string, int32_t>>&)>
        start_positions = nullptr;
    // With start_positions, for a handler whose store cannot write a position in the same
    // transaction as the effects: told, on the consumer thread after the handler returned, each
    // partition's offset of the first event not done, whenever it moved (the offsets the
    // consumer would have committed). The handler's effects for the events before it are
    // stored by then, so a store that keeps the order of its writes (Redis) never holds a
    // position ahead of its effects. A failure only leaves the stored position behind: more
    // is handed again after a restart, never less.
    std::function<void(const std::string& cluster_id,
                       const std::map<std::pair<std::string, int32_t>, int64_t>& next_offsets)>
        store_positions = nullptr;
  };
  using Handler = std::function<absl::Status(const ConsumedEvent&)>;
  using BatchHandler = std::function<std::vector<absl::Status>(const std::vector<ConsumedEvent>&)>;
  // Told which partitions this member gained or is about to lose (before their offsets commit).
  using RebalanceListener =
      std::function<void(bool assigned, const std::vector<std::pair<std::string, int32_t>>&)>;

  EventConsumer(Options options, Handler handler, prometheus::Registry& registry);
  EventConsumer(Options options, BatchHandler handler, prometheus::Registry& registry);
  ~EventConsumer();
  EventConsumer(const EventConsumer&) = delete;
  EventConsumer& operator=(const EventConsumer&) = delete;

  void SetRebalanceListener(RebalanceListener listener) { rebalance_ = std::move(listener); }
  // Joins the group and starts the polling thread. INVALID_ARGUMENT for bad configuration.
  absl::Status Start();
  // Finishes the event in hand, commits stored offsets, leaves the group.
  void Stop();

  // Safe from any thread. The offset of the first event of an assigned partition that is not
  // done yet (handled or skipped for good): every event before it is done. nullopt when the
  // partition is not assigned to this member or its position is not known yet (nothing fetched
  // and the end of the partition not reached since the assignment).
  std::optional<int64_t> Applied(const std::string& topic, int32_t partition) const;
  // Safe from any thread. The broker's high watermark (the offset after its last message) of a
  // partition, asked now (a round trip). UNAVAILABLE when the broker cannot answer in `timeout`
  // or the consumer is not running.
  absl::StatusOr<int64_t> QueryHighWatermark(const std::string& topic, int32_t partition,
                                             absl::Duration timeout) const;
  // Safe from any thread. Events of the assigned partitions not done yet, as the lag gauges
  // last counted them (at most a second ago; 0 with no partition assigned).
  int64_t MessagesBehind() const { return messages_behind_.load(); }

 private:
  const std::string& MetricsGroup() const {
    return options_.metrics_group.empty() ? options_.group_id : options_.metrics_group;
  }
  using PartitionKey = std::pair<std::string, int32_t>;
  // A fetched message, converted; `status` is not OK when it is not a CloudEvent.
  struct Fetched {
    ConsumedEvent consumed;
    absl::Status status;
  };
  // A fetched event whose offset is not stored yet, with its result once it is done.
  struct Pending {
    Fetched fetched;
    std::optional<absl::Status> result;
  };
  // A partition's events not stored yet, in offset order. After a transient failure the
  // partition is paused and its events wait until retry_at.
  struct Backlog {
    std::deque<Pending> events;
    absl::Duration backoff = absl::Milliseconds(50);
    absl::Time retry_at = absl::InfinitePast();
    bool paused = false;
  };
  static Fetched Convert(rd_kafka_message_t* msg);
  void Loop();
  // Takes what is already fetched, up to max_batch, after the first message, into backlog_.
  void Gather(rd_kafka_message_t* first);
  // Hands every event ready (of partitions not waiting after a failure) to the handler, stores
  // the offsets of what is done, pauses partitions that failed and resumes those that cleared.
  void HandleReady();
  void SetPaused(const PartitionKey& partition, bool paused);
  // Stores each partition's next offset (one call for the batch).
  void StoreOffsets(const std::map<PartitionKey, int64_t>& next_offsets);
  // Publishes assigned_[key].next_offset to Applied() (nullopt: forget the partition).
  void PublishApplied(const PartitionKey& key, std::optional<int64_t> next_offset);
  // Sets the lag gauges of the assigned partitions (at most once a second).
  void UpdateLag();
  // Options::start_positions: sets where each newly assigned partition starts.
  void SetStartPositions(rd_kafka_topic_partition_list_t* partitions);
  // Asks start_positions again for the partitions whose positions could not be read when they
  // were assigned; seeks and resumes those it answers for.
  void PositionWaitingPartitions();
  absl::StatusOr<std::map<PartitionKey, int64_t>> StoredPositions(
      const std::vector<PartitionKey>& partitions);
  // Where `key` starts: its stored position, or its beginning when it has none or the position
  // is beyond the partition's end; nullopt while the partition's end cannot be asked (the
  // partition waits, unpositioned: starting at the beginning would replay it all).
  // `timeout`: for the broker's answer (the consumer thread waits for it).
  std::optional<int64_t> StartOffset(const PartitionKey& key,
                                     const std::map<PartitionKey, int64_t>& stored,
                                     absl::Duration timeout);
  std::string ClusterId();
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque);

  Options options_;
  BatchHandler handler_;
  RebalanceListener rebalance_;
  // What the consumer thread works on (rebalances run inside its poll, on the same thread): a
  // revoke drops the revoked partitions' backlogs, since another member handles them now.
  std::map<PartitionKey, Backlog> backlog_;
  absl::flat_hash_set<std::string> pending_ids_;  // ce_ids in backlog_ (duplicates within it)
  // Per assigned partition: the offset of the first event not done (-1: nothing fetched since
  // the assignment) and its lag gauge.
  struct Assigned {
    int64_t next_offset = -1;
    prometheus::Gauge* lag = nullptr;
  };
  std::map<PartitionKey, Assigned> assigned_;
  std::string cluster_id_;  // the broker's, asked on assignment (start_positions)
  // Assigned partitions, paused, whose stored positions could not be read yet.
  std::set<PartitionKey> unpositioned_;
  absl::Time next_position_attempt_ = absl::InfinitePast();
  absl::Time last_lag_update_ = absl::InfinitePast();
  RecentIds recent_;
  // What Applied() answers from other threads: a copy of assigned_'s next offsets.
  mutable absl::Mutex applied_mu_;
  std::map<PartitionKey, int64_t> applied_ ABSL_GUARDED_BY(applied_mu_);
  // Guards consumer_ against Stop() for QueryHighWatermark on other threads.
  mutable absl::Mutex handle_mu_;
  rd_kafka_t* consumer_ = nullptr;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> messages_behind_{0};
  std::thread thread_;

  prometheus::Family<prometheus::Counter>& handled_family_;
  prometheus::Counter& handled_ok_;
  prometheus::Counter& handled_duplicate_;
  prometheus::Counter& handled_rejected_;
  prometheus::Counter& handled_retried_;
  prometheus::Family<prometheus::Gauge>& lag_family_;
};

}  // namespace itsm::events

#endif  // ITSM_EVENTS_EVENT_CONSUMER_H_
