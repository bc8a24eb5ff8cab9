#include "itsm/outbox/outbox_relay.h"

#include <pthread.h>

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "itsm/base/status_macros.h"
#include "itsm/events/kafka_config.h"
#include "itsm/outbox/outbox.h"
#include "itsm/runtime/logging.h"
#include "itsm/runtime/metrics.h"

namespace itsm::outbox {
namespace log = runtime::log;

namespace {

// Held by the leading relay, for as long as its lock session lives, across all replicas sharing a
// PostgreSQL database.
constexpr int64_t kRelayLockKey = 7318030;
// Beyond the longest wait of a round for the broker: the rest of a round (reading the batch,
// marking it) and the pause between rounds.
constexpr absl::Duration kLeaderSilenceMargin = absl::Seconds(5);

// One statement marks the batch: the ids travel as one array parameter, not as SQL text.
absl::Status MarkPublished(storage::Transaction& t, int64_t now_us,
                           const std::vector<int64_t>& ids) {
  const bool postgres = t.dialect() == storage::Dialect::kPostgres;
  const std::string sql =
      postgres ? "UPDATE outbox SET published_at_us = $1 WHERE id = ANY(CAST($2 AS BIGINT[]))"
               : "UPDATE outbox SET published_at_us = $1 WHERE id IN (SELECT value FROM "
                 "json_each($2))";
  const std::string list = postgres ? absl::StrCat("{", absl::StrJoin(ids, ","), "}")
                                    : absl::StrCat("[", absl::StrJoin(ids, ","), "]");
  return t.Execute(sql, {now_us, list}).status();
}

// Errors that the same message will meet again however often it is retried. Anything else
// (timeouts, leadership changes, an unknown topic that may yet be created) is retried.
bool IsPermanent(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
      return true;
    default:
      return false;
  }
}

// A size refusal of the broker, which may count the whole batch the event was sent in.
bool IsBatchSizeRefusal(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ||
         err == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE ||
         err == RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE;
}

}  // namespace

OutboxRelay::OutboxRelay(storage::Database& db, RelayOptions options,
                         prometheus::Registry& registry, storage::GroupCommitter* writer)
    : db_(db),
      options_(std::move(options)),
      writer_(writer),
      published_(prometheus::BuildCounter()
                     .Name("itsm_outbox_published_events_total")
                     .Help("Outbox events acknowledged by Kafka and marked published.")
                     .Register(registry)
                     .Add({})),
      failed_(prometheus::BuildCounter()
                  .Name("itsm_outbox_publish_failures_total")
                  .Help("Outbox events whose delivery failed; they are retried.")
                  .Register(registry)
                  .Add({})),
      dead_lettered_(prometheus::BuildCounter()
                         .Name("itsm_outbox_dead_letter_total")
                         .Help("Outbox events the broker refused for good, moved to the dead "
                               "letters (see RepublishEvents with dead_letters).")
                         .Register(registry)
                         .Add({})),
      pending_(prometheus::BuildGauge()
                   .Name("itsm_outbox_pending_events")
                   .Help("Outbox events the relay's last round left unsent (at most one round; "
                         "the backlog is itsm_outbox_unpublished_events).")
                   .Register(registry)
                   .Add({})),
      latency_(prometheus::BuildHistogram()
                   .Name("itsm_outbox_publish_delay_seconds")
                   .Help("Time from writing an outbox row (or setting it pending again: "
                         "RepublishEvents) to Kafka acknowledging it.")
                   .Register(registry)
                   .Add({}, runtime::LatencyBuckets())),
      leader_(prometheus::BuildGauge()
                  .Name("itsm_outbox_relay_leader")
                  .Help("1 while this replica's relay publishes the outbox; 0 while another "
                        "replica sharing the database does (PostgreSQL) or it has not run yet.")
                  .Register(registry)
                  .Add({})),
      by_type_(prometheus::BuildCounter()
                   .Name("itsm_domain_events_total")
                   .Help("Domain events acknowledged by Kafka, by CloudEvents type (a bounded "
                         "set: the types docs/events.md lists).")
                   .Register(registry)) {}

prometheus::Counter& OutboxRelay::PublishedOfType(const std::string& type) {
  absl::MutexLock lock(&by_type_mu_);
  auto [it, added] = by_type_children_.try_emplace(type, nullptr);
  if (added) it->second = &by_type_.Add({{"type", type}});
  return *it->second;
}

OutboxRelay::~OutboxRelay() {
  Stop();
  producer_.reset();  // flushes what is still queued
}

absl::Status OutboxRelay::EnsureProducer() {
  if (producer_) return absl::OkStatus();
  ITSM_ASSIGN_OR_RETURN(
      producer_, events::KafkaProducer::Create({.bootstrap_servers = options_.bootstrap_servers,
                                                .client_properties = options_.client_properties,
                                                .client_id = options_.client_id,
                                                .delivery_timeout = options_.delivery_timeout}));
  return absl::OkStatus();
}

absl::Status OutboxRelay::Start() {
  // A producer that refuses events the outbox accepts would dead-letter them one by one: refuse
  // the configuration at start instead.
  ITSM_ASSIGN_OR_RETURN(auto props, events::ParseKafkaProperties(options_.client_properties));
  if (auto it = props.find("message.max.bytes"); it != props.end()) {
    const size_t needed = Outbox::kMaxEventBytes + Outbox::kEnvelopeAllowance;
    size_t configured = 0;
    if (!absl::SimpleAtoi(it->second, &configured) || configured < needed) {
      return absl::InvalidArgumentError(absl::StrCat(
          "kafka_client_properties: message.max.bytes=", it->second, " is below the ", needed,
          " bytes an event may take (", Outbox::kMaxEventBytes, " of payload and its envelope)"));
    }
  }
  if (options_.bootstrap_servers.empty()) {
    log::Warn("no Kafka bootstrap servers configured: events stay in the outbox until one is set");
    return absl::OkStatus();
  }
  ITSM_RETURN_IF_ERROR(EnsureProducer());
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "outbox-relay");
    Loop();
  });
  return absl::OkStatus();
}

void OutboxRelay::Wake() {
  absl::MutexLock lock(&mu_);
  wake_ = true;
}

void OutboxRelay::Rescan() {
  {
    absl::MutexLock lock(&marks_mu_);
    rescan_ = true;
  }
  Wake();
}

void OutboxRelay::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) {
    thread_.join();
    // The last round: rows committed since the loop's last look (the group committer stops
    // before the relay, so its final batch is among them) are published now, not at the next
    // start. Bounded: Kafka may be down, and the rows then simply stay pending.
    const absl::Time deadline = absl::Now() + options_.delivery_timeout;
    while (absl::Now() < deadline) {
      if (writer_) FlushMarks(/*force=*/true, /*wait=*/true);
      auto n = PublishOnce();
      if (!n.ok()) {
        log::Warn("final outbox round failed; events stay pending",
                  {{"error", n.status().ToString()}});
        break;
      }
      if (*n < options_.batch_size) break;
    }
  }
  FlushMarks(/*force=*/true, /*wait=*/true);
  // Hand the lead over now rather than when the process exits: a standby replica takes it at its
  // next round.
  absl::MutexLock round(&round_mu_);
  if (lock_session_) {
    lock_session_.reset();
    SetLeader(false);
  }
}

void OutboxRelay::SetLeader(bool leader) {
  leader_flag_.store(leader);
  leader_.Set(leader ? 1 : 0);
}

absl::StatusOr<bool> OutboxRelay::Lead() {
  if (lock_session_ && leader_flag_.load()) {
    absl::Status alive = lock_session_->Check();
    if (alive.ok()) return true;
    // The server released the lock with the session: another replica may be relaying already.
    log::Warn("the outbox relay lost its lock session; it relays again only if it retakes the lock",
              {{"error", alive.ToString()}});
    lock_session_.reset();
    SetLeader(false);
  }
  if (!lock_session_) {
    // The leader touches its session before every round, and a round waits for the broker at
    // most delivery_timeout: a leader silent for longer is frozen or hung, and the server ends
    // its session so that a standby takes over (found from outside: a leader stopped with
    // SIGSTOP kept the lock, and every replica's events waited, for as long as it was stopped).
    ITSM_ASSIGN_OR_RETURN(lock_session_,
                          db_.OpenLockSession(options_.delivery_timeout + kLeaderSilenceMargin));
  }
  absl::StatusOr<bool> locked = lock_session_->TryLock(kRelayLockKey);
  if (!locked.ok()) {
    lock_session_.reset();
    return locked.status();
  }
  if (*locked) {
    log::Info("this replica now relays the outbox");
    SetLeader(true);
  }
  return *locked;
}

void OutboxRelay::FlushMarks(bool force, bool wait) {
  std::vector<int64_t> ids;
  {
    absl::MutexLock lock(&marks_mu_);
    const absl::Time now = absl::Now();
    if (to_mark_.empty() || (!force && now - last_mark_ < options_.mark_interval)) return;
    last_mark_ = now;
    ids.swap(to_mark_);
  }
  auto forget = [this, ids](absl::Status status) {
    absl::MutexLock lock(&marks_mu_);
    if (status.ok()) {
      for (int64_t id : ids) delivered_unmarked_.erase(id);
    } else {
      // Not marked: try again with the next flush (the rows stay skipped meanwhile).
      to_mark_.insert(to_mark_.end(), ids.begin(), ids.end());
    }
  };
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  if (wait) {
    forget(RunWrite(
        [now_us, &ids](storage::Transaction& t) { return MarkPublished(t, now_us, ids); }));
    return;
  }
  writer_->Submit([ids, now_us](storage::Transaction& t) { return MarkPublished(t, now_us, ids); },
                  forget);
}

void OutboxRelay::Loop() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto woken = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return wake_ || stopping_; };
      bool marks_waiting;
      {
        absl::MutexLock marks_lock(&marks_mu_);
        marks_waiting = !to_mark_.empty();
      }
      mu_.AwaitWithTimeout(absl::Condition(&woken),
                           marks_waiting ? std::min(options_.poll_interval, options_.mark_interval)
                                         : options_.poll_interval);
      if (stopping_) return;
      wake_ = false;
    }
    // Keep going while full batches come back: a backlog drains without waiting for wake-ups.
    for (;;) {
      if (writer_) FlushMarks(/*force=*/false, /*wait=*/false);
      auto n = PublishOnce();
      if (!n.ok()) {
        log::Warn("outbox relay round failed", {{"error", n.status().ToString()}});
        absl::SleepFor(absl::Milliseconds(200));
        break;
      }
      absl::MutexLock lock(&mu_);
      if (*n < options_.batch_size || stopping_) break;
    }
    if (writer_) FlushMarks(/*force=*/false, /*wait=*/false);
    CollectGarbage();
  }
}

void OutboxRelay::CollectGarbage() {
  const absl::Time now = absl::Now();
  if (now - last_gc_ < absl::Minutes(1)) return;
  last_gc_ = now;
  // Small batches through the writer, like the marks: a batch holds the write lock for a few
  // milliseconds among the service's own, where one large delete (or a scan of the table on its
  // own connection) stalled every write behind it for as long as it took.
  constexpr int kBatch = 1000;
  constexpr int kMaxBatchesPerRound = 100;  // 100,000 events a minute
  int64_t total = 0;
  for (int batch = 0; batch < kMaxBatchesPerRound; ++batch) {
    int64_t deleted = 0;
    const absl::Status status = RunWrite([&](storage::Transaction& t) -> absl::Status {
      ITSM_ASSIGN_OR_RETURN(deleted,
                            Outbox::DeletePublishedBefore(t, now - options_.retention, kBatch));
      return absl::OkStatus();
    });
    if (!status.ok()) {
      log::Warn("outbox retention cleanup failed", {{"error", status.ToString()}});
      break;
    }
    total += deleted;
    if (deleted < kBatch) break;
  }
  if (total > 0) log::Info("outbox retention cleanup", {{"deleted", total}});
}

absl::StatusOr<int> OutboxRelay::PublishOnce() {
  absl::MutexLock round(&round_mu_);
  ITSM_RETURN_IF_ERROR(EnsureProducer());
  const bool postgres = db_.dialect() == storage::Dialect::kPostgres;
  if (postgres) {
    ITSM_ASSIGN_OR_RETURN(const bool leader, Lead());
    if (!leader) return 0;  // another replica relays
  } else if (!leader_flag_.load()) {
    SetLeader(true);  // SQLite: one process per file, so its relay is the only one
  }
  const bool deferred_marks = !postgres && writer_ != nullptr;
  // Rows delivered whose mark has not committed yet: skipped, not sent twice.
  absl::flat_hash_set<int64_t> skip;
  int64_t after = 0;  // read rows with larger ids only (writer mode)
  if (deferred_marks) {
    absl::MutexLock lock(&marks_mu_);
    const absl::Time now = absl::Now();
    if (rescan_ || now - last_rescan_ >= options_.rescan_interval) {
      rescan_ = false;
      last_rescan_ = now;
      settled_up_to_ = 0;
    }
    after = settled_up_to_;
    for (int64_t id : delivered_unmarked_) {
      if (id > after) skip.insert(id);
    }
  }
  // A snapshot read, finished before anything is produced: no transaction, pooled connection or
  // table lock is held while the broker is waited for.
  storage::ResultSet all_rows;
  {
    ITSM_ASSIGN_OR_RETURN(auto txn, db_.Begin(storage::TransactionMode::kReadOnly));
    ITSM_ASSIGN_OR_RETURN(
        all_rows, txn->Query("SELECT id, topic, message_key, event_id, event_source, event_type,"
                             " event_time_us, event_subject, content_type, payload, created_at_us,"
                             " COALESCE(pending_since_us, created_at_us)"
                             " FROM outbox WHERE published_at_us IS NULL AND id > $2"
                             " ORDER BY id LIMIT $1",
                             {options_.batch_size + static_cast<int>(skip.size()), after}));
  }
  std::vector<const std::vector<storage::Value>*> rows_to_send;
  const int round_size = rounds_sending_alone_ > 0 ? 1 : options_.batch_size;
  if (rounds_sending_alone_ > 0) --rounds_sending_alone_;
  for (const auto& row : all_rows.rows()) {
    if (static_cast<int>(rows_to_send.size()) == round_size) break;
    if (!skip.contains(row[0].AsInt())) rows_to_send.push_back(&row);
  }
  if (rows_to_send.empty()) {
    pending_.Set(0);
    return 0;
  }

  ITSM_ASSIGN_OR_RETURN(events::KafkaProducer::Batch batch, producer_->NewBatch());
  struct InFlight {
    int64_t id;
    int64_t pending_since_us;  // the publish delay counts from here
    prometheus::Counter* of_type;
  };
  std::vector<InFlight> in_flight;
  std::vector<Outbox::DeadLetter> dead;
  in_flight.reserve(rows_to_send.size());
  for (const auto* row_ptr : rows_to_send) {
    const auto& row = *row_ptr;
    events::CloudEvent event;
    event.id = row[3].AsString();
    event.source = row[4].AsString();
    event.type = row[5].AsString();
    event.time = absl::FromUnixMicros(row[6].AsInt());
    event.subject = row[7].AsString();
    event.content_type = row[8].AsString();
    event.data = row[9].AsString();
    const int64_t id = row[0].AsInt();
    const std::string& topic = row[1].AsString();
    if (std::find(options_.json_topics.begin(), options_.json_topics.end(), topic) !=
        options_.json_topics.end()) {
      auto json = events::AsJsonEvent(event);
      if (json.ok()) {
        event = *std::move(json);
      } else {
        // Still published (as protobuf, its content-type says so): holding it back would stall
        // its record's later events for a conversion that will never succeed.
        log::Error("cannot convert an outbox event to JSON; published as protobuf",
                   {{"event_id", event.id}, {"error", json.status().ToString()}});
      }
    }
    // Stamped with the row's creation: an event published again (a new broker, RepublishEvents)
    // still says when it was written.
    rd_kafka_resp_err_t err =
        batch.Produce(topic, row[2].AsString(), event, absl::FromUnixMicros(row[10].AsInt()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && IsPermanent(err)) {
      // Refused before sending (larger than message.max.bytes): it will never go; set it aside
      // and go on with the rows behind it.
      dead.push_back({id, rd_kafka_err2str(err)});
      log::Error("outbox event refused for good; moved to the dead letters",
                 {{"event_id", event.id}, {"topic", topic}, {"error", rd_kafka_err2str(err)}});
      continue;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // Not queued (local queue full, unknown topic...): later rows would overtake this one, so
      // stop here and retry from it next round.
      failed_.Increment();
      log::Warn("cannot queue an outbox event",
                {{"event_id", event.id}, {"topic", topic}, {"error", rd_kafka_err2str(err)}});
      break;
    }
    in_flight.push_back({id, row[11].AsInt(), &PublishedOfType(event.type)});
  }

  const std::vector<events::KafkaProducer::Delivery> deliveries = batch.Wait();
  std::vector<int64_t> delivered;
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  for (size_t i = 0; i < in_flight.size(); ++i) {
    const InFlight& p = in_flight[i];
    const events::KafkaProducer::Delivery& d = deliveries[i];
    if (d.delivered()) {
      delivered.push_back(p.id);
      latency_.Observe(static_cast<double>(now_us - p.pending_since_us) / 1e6);
    } else if (d.reported && IsBatchSizeRefusal(d.error) && in_flight.size() > 1) {
      // The broker's limit may be on the batch, not this event: each goes alone first, from
      // the oldest not delivered; only one refused alone is set aside.
      failed_.Increment();
      rounds_sending_alone_ = static_cast<int>(in_flight.size());
    } else if (d.reported && IsPermanent(d.error)) {
      dead.push_back({p.id, rd_kafka_err2str(d.error)});
      log::Error("outbox event refused by the broker for good; moved to the dead letters",
                 {{"outbox_id", p.id}, {"error", rd_kafka_err2str(d.error)}});
    } else {
      failed_.Increment();
    }
  }
  if (delivered.size() < in_flight.size()) {
    log::Warn("some outbox events were not acknowledged; they will be retried",
              {{"delivered", static_cast<int64_t>(delivered.size())},
               {"attempted", static_cast<int64_t>(in_flight.size())}});
  }

  if (deferred_marks) {
    absl::MutexLock lock(&marks_mu_);
    for (int64_t id : delivered) delivered_unmarked_.insert(id);
    to_mark_.insert(to_mark_.end(), delivered.begin(), delivered.end());
  }
  if ((!deferred_marks && !delivered.empty()) || !dead.empty()) {
    // The round's outcome in one short write. Should it fail, the delivered rows are sent again
    // next round (at least once) and the refused ones are tried again.
    ITSM_RETURN_IF_ERROR(RunWrite([&](storage::Transaction& t) -> absl::Status {
      if (!deferred_marks && !delivered.empty()) {
        ITSM_RETURN_IF_ERROR(MarkPublished(t, now_us, delivered));
      }
      if (dead.empty()) return absl::OkStatus();
      return Outbox::MoveToDeadLetters(t, dead, absl::Now());
    }));
  }
  if (deferred_marks) {
    // The cursor moves over the leading rows that are settled: delivered (now or before) or set
    // aside. A row not delivered stops it, so the next round starts from that row again.
    absl::flat_hash_set<int64_t> settled(delivered.begin(), delivered.end());
    for (const Outbox::DeadLetter& d : dead) settled.insert(d.id);
    int64_t settled_up_to = after;
    for (const auto& row : all_rows.rows()) {
      const int64_t id = row[0].AsInt();
      if (!skip.contains(id) && !settled.contains(id)) break;
      settled_up_to = id;
    }
    absl::MutexLock lock(&marks_mu_);
    if (!rescan_) settled_up_to_ = std::max(settled_up_to_, settled_up_to);
  }
  dead_lettered_.Increment(static_cast<double>(dead.size()));
  published_.Increment(static_cast<double>(delivered.size()));
  // Counted once the round's marks are written (or handed to the writer), like published_.
  for (size_t i = 0; i < in_flight.size(); ++i) {
    if (deliveries[i].delivered()) in_flight[i].of_type->Increment();
  }
  if (static_cast<int>(rows_to_send.size()) < options_.batch_size) {
    pending_.Set(static_cast<double>(rows_to_send.size() - delivered.size()));
  }
  return static_cast<int>(delivered.size());
}

absl::Status OutboxRelay::RunWrite(
    const std::function<absl::Status(storage::Transaction&)>& write) {
  // SQLite: through the service's batched transactions rather than contending for the single
  // write lock. PostgreSQL: a transaction of our own, committed before the next round reads.
  if (writer_ && db_.dialect() == storage::Dialect::kSqlite) {
    absl::Status status = writer_->Run(write);
    // A stopped committer (the service is shutting down) falls back to a transaction of our own.
    if (status.code() != absl::StatusCode::kUnavailable) return status;
  }
  ITSM_ASSIGN_OR_RETURN(auto own, db_.Begin(storage::TransactionMode::kReadWrite));
  ITSM_RETURN_IF_ERROR(write(*own));
  return own->Commit();
}

}  // namespace itsm::outbox
