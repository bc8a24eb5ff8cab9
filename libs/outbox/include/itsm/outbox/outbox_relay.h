// Publishes outbox rows to Kafka with the idempotent producer (events::KafkaProducer, acks=all):
// rows taken in id order, marked published only after the broker acknowledged them (the
// delivery report). A crash between the acknowledgement and the mark re-sends those rows on
// restart with the same ce_id: delivery is at least once, and consumers de-duplicate by ce_id.
//
// No database transaction stays open while the relay waits for the broker: a round reads a batch
// in a short snapshot, produces it and waits for the delivery reports holding nothing, then marks
// what was delivered (and sets aside what was refused for good) in a short write transaction.
// So a slow or unreachable broker never holds a pooled connection, a lock or a snapshot that
// writers, migrations or vacuum would wait behind.
//
// Several replicas on one PostgreSQL database may all run a relay; one of them leads and relays,
// the others stand by. Leadership is a session-level advisory lock held on a connection of the
// relay's own (storage::LockSession, outside the pool), so one relay publishes at a time: no row
// is sent twice by two healthy relays, and one aggregate's events keep their order (two relays
// publishing interleaved batches could reorder them). The leader checks its lock session before
// every round and steps down when it ended; the server releases the lock when the leader's
// connection ends, also when its process is killed (kill -9), and a standby takes over at its
// next round. A leader that loses its session in the middle of a round may overlap one round
// with its successor: both start from the oldest unmarked row, so events may be sent twice (at
// least once, as always) but each key's first copies keep their order, as with one relay.
//
// Without bootstrap servers the relay does nothing and rows wait; when Kafka is unreachable,
// deliveries time out, rows stay pending and the next round retries them. A row the broker
// refuses for good (larger than the maximum message size, an invalid record) is moved to the
// dead letters with its error and counted: it never holds up the rows behind it, and the admin
// call RepublishEvents(dead_letters) brings it back once the cause is fixed.
#ifndef ITSM_OUTBOX_OUTBOX_RELAY_H_
#define ITSM_OUTBOX_OUTBOX_RELAY_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "itsm/events/kafka_producer.h"
#include "itsm/storage/database.h"
#include "itsm/storage/group_commit.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace itsm::outbox {

struct RelayOptions {
  std::string bootstrap_servers;  // empty: publish nothing, keep rows pending
  std::string client_properties;  // extra librdkafka properties, "k=v;k=v"
  std::string client_id = "itsm";
  int batch_size = 500;
  // Rows written by another replica (or missed wake-ups) are found at this interval.
  absl::Duration poll_interval = absl::Milliseconds(200);
  // A delivery not acknowledged in this time is retried in a later round.
  absl::Duration delivery_timeout = absl::Seconds(10);
  absl::Duration retention = absl::Hours(168);
  // With a writer: how often delivered rows are marked published.
  absl::Duration mark_interval = absl::Milliseconds(100);
  // With a writer (SQLite): how often a round starts from the oldest pending row instead of after
  // the rows earlier rounds settled, to find rows set pending again behind the relay by hand
  // (RepublishEvents calls Rescan() and is found at once).
  absl::Duration rescan_interval = absl::Seconds(1);
  // Topics published in the proto3 JSON mapping (content-type application/json) for consumers
  // without protobuf; the outbox keeps protobuf either way, so the choice can change at any time.
  std::vector<std::string> json_topics = {};
};

class OutboxRelay {
 public:
  // With SQLite, pass the service's group committer as `writer`: marking rows published then
  // rides in the service's own batched transactions, instead of a second writer contending for
  // SQLite's single write lock (and its busy-wait sleeps) and paying a second fsync per batch.
  // Marks are then also coalesced (at most one every `mark_interval`): delivered rows are
  // remembered in memory until their mark commits, so they are not sent again meanwhile, and a
  // crash in that window re-sends them with the same ce_id (at least once, as always).
  OutboxRelay(storage::Database& db, RelayOptions options, prometheus::Registry& registry,
              storage::GroupCommitter* writer = nullptr);
  ~OutboxRelay();
  OutboxRelay(const OutboxRelay&) = delete;
  OutboxRelay& operator=(const OutboxRelay&) = delete;

  // Creates the producer (INVALID_ARGUMENT for a bad property) and starts the relay thread.
  absl::Status Start();
  // Called after a commit that wrote outbox rows: publish now rather than at the next poll.
  void Wake();
  // Called after rows already sent were set pending again (RepublishEvents): the next round
  // starts from the oldest pending row. Wakes the relay.
  void Rescan();
  // Finishes the current round, then publishes what is still pending (rows committed up to now,
  // e.g. by a group committer stopped just before) within delivery_timeout, marks what was
  // delivered, and joins.
  void Stop();

  // One round, synchronously: publish up to batch_size pending rows. Returns how many were
  // published (0 on a PostgreSQL replica that does not lead). For tests and for the thread.
  absl::StatusOr<int> PublishOnce();

  // PostgreSQL: whether this relay held the relay lock at its last round (SQLite: it relays once
  // it ran a round). Also the gauge itsm_outbox_relay_leader.
  bool leader() const { return leader_flag_.load(); }

 private:
  void Loop();
  // Creates the producer on first use (it recreates itself after a fatal error).
  absl::Status EnsureProducer();
  // PostgreSQL: true while this relay holds the relay lock (taken now if free); steps down when
  // its lock session ended.
  absl::StatusOr<bool> Lead() ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);
  void SetLeader(bool leader);
  // Runs `write` through the writer (SQLite), else in a short transaction of its own.
  absl::Status RunWrite(const std::function<absl::Status(storage::Transaction&)>& write);
  // With a writer: submits the coalesced marks when due (or now, with `force`), without waiting
  // unless `wait`.
  void FlushMarks(bool force, bool wait);
  void CollectGarbage();

  storage::Database& db_;
  const RelayOptions options_;
  storage::GroupCommitter* writer_;
  // Made by the first round (Start, or PublishOnce in tests).
  std::unique_ptr<events::KafkaProducer> producer_;

  // One round at a time (the thread, Stop's final round, tests).
  absl::Mutex round_mu_;
  // PostgreSQL: the relay's own connection, holding the relay lock while this relay leads.
  std::unique_ptr<storage::LockSession> lock_session_ ABSL_GUARDED_BY(round_mu_);
  // Rounds left that send one event each: the broker refused a batch as too large (its limit
  // counts the whole batch), and each of its events is tried alone before any is set aside.
  int rounds_sending_alone_ ABSL_GUARDED_BY(round_mu_) = 0;
  std::atomic<bool> leader_flag_{false};

  absl::Mutex mu_;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
  absl::Time last_gc_ = absl::InfinitePast();

  // Delivered rows whose "published" mark has not committed yet (writer mode only): skipped by
  // the next rounds so they are not sent twice.
  absl::Mutex marks_mu_;
  absl::flat_hash_set<int64_t> delivered_unmarked_ ABSL_GUARDED_BY(marks_mu_);
  std::vector<int64_t> to_mark_ ABSL_GUARDED_BY(marks_mu_);
  absl::Time last_mark_ = absl::InfinitePast();
  // Writer mode only: every pending row up to this id is delivered (its mark deferred) or set
  // aside, so a round reads after it. Without it, each round read back every row delivered since
  // the last mark — payload and all — only to skip it: at 64 creates in flight, a dozen rows read
  // for each one sent. SQLite commits outbox ids in order (one writer, AUTOINCREMENT), so a row
  // committed later always has a larger id; rows set pending again below the cursor are found by
  // a rescan.
  int64_t settled_up_to_ ABSL_GUARDED_BY(marks_mu_) = 0;
  bool rescan_ ABSL_GUARDED_BY(marks_mu_) = true;
  absl::Time last_rescan_ ABSL_GUARDED_BY(marks_mu_) = absl::InfinitePast();

  prometheus::Counter& published_;
  prometheus::Counter& failed_;
  prometheus::Counter& dead_lettered_;
  prometheus::Gauge& pending_;
  prometheus::Histogram& latency_;
  prometheus::Gauge& leader_;
  // itsm_domain_events_total{type}: a child per event type, added on first use.
  prometheus::Counter& PublishedOfType(const std::string& type);
  prometheus::Family<prometheus::Counter>& by_type_;
  absl::Mutex by_type_mu_;
  absl::flat_hash_map<std::string, prometheus::Counter*> by_type_children_
      ABSL_GUARDED_BY(by_type_mu_);
};

}  // namespace itsm::outbox

#endif  // ITSM_OUTBOX_OUTBOX_RELAY_H_
