#include "itsm/events/event_consumer.h"

#include <pthread.h>

#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "itsm/base/status_macros.h"
#include "itsm/events/kafka_config.h"
#include "itsm/runtime/logging.h"

namespace itsm::events {
namespace log = runtime::log;

void RecentIds::Add(const std::string& id) {
  if (index_.contains(id)) return;
  order_.push_back(id);
  index_[id] = std::prev(order_.end());
  if (order_.size() > capacity_) {
    index_.erase(order_.front());
    order_.pop_front();
  }
}

namespace {

// Done with the event: handled, or skipped for good (anything else is retried).
bool IsFinal(const absl::Status& s) {
  return s.ok() || s.code() == absl::StatusCode::kInvalidArgument;
}

// A per-event handler as a batch handler: in order; after a transient failure the later events
// of that partition are not handled (they are handed again, in order, after it).
EventConsumer::BatchHandler OneAtATime(EventConsumer::Handler handler) {
  return [handler = std::move(handler)](const std::vector<ConsumedEvent>& batch) {
    std::vector<absl::Status> out;
    out.reserve(batch.size());
    std::set<std::pair<std::string, int32_t>> failed;
    for (const ConsumedEvent& e : batch) {
      if (failed.contains({e.topic, e.partition})) {
        out.push_back(absl::AbortedError("not handled: an earlier event of its partition failed"));
        continue;
      }
      out.push_back(handler(e));
      if (!IsFinal(out.back())) {
        failed.insert({e.topic, e.partition});
      }
    }
    return out;
  };
}

}  // namespace

EventConsumer::EventConsumer(Options options, Handler handler, prometheus::Registry& registry)
    : EventConsumer(std::move(options), OneAtATime(std::move(handler)), registry) {}

EventConsumer::EventConsumer(Options options, BatchHandler handler, prometheus::Registry& registry)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      recent_(options_.dedupe_capacity),
      handled_family_(prometheus::BuildCounter()
                          .Name("itsm_consumer_events_total")
                          .Help("Consumed events by group and result: ok, duplicate (same ce_id "
                                "seen before), rejected (unprocessable, skipped), retried.")
                          .Register(registry)),
      handled_ok_(handled_family_.Add({{"group", MetricsGroup()}, {"result", "ok"}})),
      handled_duplicate_(handled_family_.Add({{"group", MetricsGroup()}, {"result", "duplicate"}})),
      handled_rejected_(handled_family_.Add({{"group", MetricsGroup()}, {"result", "rejected"}})),
      handled_retried_(handled_family_.Add({{"group", MetricsGroup()}, {"result", "retried"}})),
      lag_family_(prometheus::BuildGauge()
                      .Name("itsm_consumer_lag_messages")
                      .Help("Messages of an assigned partition not yet handled: the partition's "
                            "high watermark minus the offset after the last event done.")
                      .Register(registry)) {}

EventConsumer::~EventConsumer() { Stop(); }

void EventConsumer::OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<EventConsumer*>(opaque);
  std::vector<std::pair<std::string, int32_t>> list;
  for (int i = 0; i < partitions->cnt; ++i) {
    list.emplace_back(partitions->elems[i].topic, partitions->elems[i].partition);
  }
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (self->options_.start_positions) self->SetStartPositions(partitions);
    rd_kafka_assign(rk, partitions);
    // librdkafka keeps a partition's pause across an unassign and an assign: one paused while a
    // failing event waited for its retry, revoked and given back, would never be fetched again
    // (its backlog, the only thing that resumes it, went with the revoke).
    rd_kafka_resume_partitions(rk, partitions);
    // Those whose positions could not be read wait, fetching nothing, until they can be.
    for (const auto& key : list) {
      if (self->unpositioned_.contains(key)) self->SetPaused(key, true);
    }
    for (const auto& [topic, p] : list) {
      Assigned& a = self->assigned_[{topic, p}];
      a.next_offset = -1;
      self->PublishApplied({topic, p}, std::nullopt);
      a.lag = &self->lag_family_.Add(
          {{"group", self->MetricsGroup()}, {"topic", topic}, {"partition", std::to_string(p)}});
    }
    log::Info("partitions assigned",
              {{"group", self->options_.group_id}, {"count", static_cast<int64_t>(list.size())}});
    if (self->rebalance_) self->rebalance_(true, list);
  } else {
    // Commit what was handled before the partitions move to another member, so it does not
    // handle them again (unless the handler keeps its positions itself).
    if (!self->options_.start_positions) rd_kafka_commit(rk, nullptr, /*async=*/0);
    for (const auto& key : list) {
      self->unpositioned_.erase(key);
      auto backlog = self->backlog_.find(key);
      if (backlog != self->backlog_.end()) {
        for (const Pending& p : backlog->second.events) {
          self->pending_ids_.erase(p.fetched.consumed.event.id);
        }
        self->backlog_.erase(backlog);
      }
      auto it = self->assigned_.find(key);
      if (it == self->assigned_.end()) continue;
      // Kept, at 0, rather than removed: another consumer of the group in this process (tests)
      // may hold the same series.
      it->second.lag->Set(0);
      self->assigned_.erase(it);
      self->PublishApplied(key, std::nullopt);
    }
    if (self->rebalance_) self->rebalance_(false, list);
    rd_kafka_assign(rk, nullptr);
    log::Info("partitions revoked",
              {{"group", self->options_.group_id}, {"count", static_cast<int64_t>(list.size())}});
  }
}

std::string EventConsumer::ClusterId() {
  std::string cluster_id;
  if (char* id = rd_kafka_clusterid(consumer_, /*timeout_ms=*/5000); id != nullptr) {
    cluster_id = id;
    rd_kafka_mem_free(consumer_, id);
  }
  return cluster_id;
}

absl::StatusOr<std::map<EventConsumer::PartitionKey, int64_t>> EventConsumer::StoredPositions(
    const std::vector<PartitionKey>& partitions) {
  if (cluster_id_.empty()) cluster_id_ = ClusterId();
  // Positions are kept per cluster: read under no cluster id, another cluster's could be taken
  // for this one's.
  if (cluster_id_.empty()) return absl::UnavailableError("the broker's cluster id is not known");
  return options_.start_positions(cluster_id_, partitions);
}

std::optional<int64_t> EventConsumer::StartOffset(const PartitionKey& key,
                                                  const std::map<PartitionKey, int64_t>& stored,
                                                  absl::Duration timeout) {
  auto it = stored.find(key);
  if (it == stored.end()) return RD_KAFKA_OFFSET_BEGINNING;
  int64_t low = 0, high = 0;
  const rd_kafka_resp_err_t err =
      rd_kafka_query_watermark_offsets(consumer_, key.first.c_str(), key.second, &low, &high,
                                       static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  // Unknown end (the broker busy electing leaders): asked again later. The beginning would be
  // safe, but replaying the whole partition holds back everything that waits for the consumer
  // to reach the end (the SLA timer's firing).
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    log::Warn("cannot ask where the partition ends; it waits",
              {{"group", options_.group_id},
               {"topic", key.first},
               {"partition", static_cast<int64_t>(key.second)},
               {"error", rd_kafka_err2str(err)}});
    return std::nullopt;
  }
  // Beyond the end: the topic is younger than the position (recreated, or a broker that lost
  // its data); its events are all new to the handler.
  if (it->second > high) {
    log::Info("stored position not in the partition; starting at its beginning",
              {{"group", options_.group_id},
               {"topic", key.first},
               {"partition", static_cast<int64_t>(key.second)},
               {"stored", it->second},
               {"high_watermark", high}});
    return RD_KAFKA_OFFSET_BEGINNING;
  }
  return it->second;
}

void EventConsumer::SetStartPositions(rd_kafka_topic_partition_list_t* partitions) {
  cluster_id_ = ClusterId();
  std::vector<PartitionKey> assigning;
  for (int i = 0; i < partitions->cnt; ++i) {
    assigning.emplace_back(partitions->elems[i].topic, partitions->elems[i].partition);
  }
  auto stored = StoredPositions(assigning);
  if (!stored.ok() && stored.status().code() != absl::StatusCode::kDataLoss) {
    // The store cannot answer now (down, loading its data). Starting at the beginning would be
    // safe but could replay weeks of events; the partitions wait, paused, until it answers
    // (PositionWaitingPartitions).
    log::Warn("cannot read the stored positions; the partitions wait until they can be read",
              {{"group", options_.group_id}, {"error", stored.status().ToString()}});
    for (const PartitionKey& key : assigning) unpositioned_.insert(key);
    next_position_attempt_ = absl::Now() + absl::Seconds(1);
  } else if (!stored.ok()) {
    // Safe, only slower: handlers that keep their positions apply events idempotently.
    log::Warn("the stored positions cannot be read; starting at the beginning",
              {{"group", options_.group_id}, {"error", stored.status().ToString()}});
  }
  for (int i = 0; i < partitions->cnt; ++i) {
    std::optional<int64_t> start = stored.ok()
                                       ? StartOffset(assigning[i], *stored, absl::Seconds(5))
                                       : RD_KAFKA_OFFSET_BEGINNING;
    if (!start) {
      // Assigned paused at a placeholder, and positioned later (PositionWaitingPartitions).
      unpositioned_.insert(assigning[i]);
      next_position_attempt_ = absl::Now() + absl::Seconds(1);
    }
    partitions->elems[i].offset = start.value_or(RD_KAFKA_OFFSET_BEGINNING);
  }
}

void EventConsumer::PositionWaitingPartitions() {
  if (unpositioned_.empty() || absl::Now() < next_position_attempt_) return;
  const std::vector<PartitionKey> waiting(unpositioned_.begin(), unpositioned_.end());
  auto stored = StoredPositions(waiting);
  if (!stored.ok() && stored.status().code() != absl::StatusCode::kDataLoss) {
    next_position_attempt_ = absl::Now() + absl::Seconds(1);
    return;
  }
  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(waiting.size()));
  for (const PartitionKey& key : waiting) {
    // Briefly, and no further once the broker could not answer for one: the consumer thread
    // waits meanwhile, and the other partitions' events with it.
    std::optional<int64_t> start = stored.ok() ? StartOffset(key, *stored, absl::Milliseconds(500))
                                               : RD_KAFKA_OFFSET_BEGINNING;
    if (!start) break;
    rd_kafka_topic_partition_list_add(list, key.first.c_str(), key.second)->offset = *start;
  }
  if (list->cnt < static_cast<int>(waiting.size())) {
    next_position_attempt_ = absl::Now() + absl::Seconds(1);  // the rest are asked again
  }
  if (list->cnt == 0) {
    rd_kafka_topic_partition_list_destroy(list);
    return;
  }
  rd_kafka_error_t* error = rd_kafka_seek_partitions(consumer_, list, /*timeout_ms=*/5000);
  if (error != nullptr) {
    log::Warn("cannot seek to the stored positions",
              {{"group", options_.group_id}, {"error", rd_kafka_error_string(error)}});
    rd_kafka_error_destroy(error);
    next_position_attempt_ = absl::Now() + absl::Seconds(1);
  } else {
    for (int i = 0; i < list->cnt; ++i) {
      if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      const PartitionKey key(list->elems[i].topic, list->elems[i].partition);
      unpositioned_.erase(key);
      SetPaused(key, false);
      log::Info("stored position read; the partition starts there",
                {{"group", options_.group_id},
                 {"topic", key.first},
                 {"partition", static_cast<int64_t>(key.second)},
                 {"offset", list->elems[i].offset}});
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
}

absl::Status EventConsumer::Start() {
  ITSM_ASSIGN_OR_RETURN(auto props, ParseKafkaProperties(options_.client_properties));
  props["bootstrap.servers"] = options_.bootstrap_servers;
  props["group.id"] = options_.group_id;
  props["auto.offset.reset"] = options_.auto_offset_reset;
  // Offsets are stored by us after the handler succeeded; the auto-committer only commits what
  // was stored.
  props["enable.auto.offset.store"] = "false";
  props["enable.auto.commit"] = options_.start_positions ? "false" : "true";
  props["auto.commit.interval.ms"] = "1000";
  props["session.timeout.ms"] = std::to_string(options_.session_timeout_ms);
  props["heartbeat.interval.ms"] = std::to_string(options_.heartbeat_interval_ms);
  props["isolation.level"] = "read_committed";
  // Kafka answers a fetch as soon as data arrives, but the embedded broker waits the whole
  // fetch.wait.max.ms (500 ms by default): keep it short so events arrive promptly on both.
  if (!props.contains("fetch.wait.max.ms")) props["fetch.wait.max.ms"] = "20";
  // Reaching the end of a partition tells where this member stands in it even when there is
  // nothing to fetch (Applied() after an assignment to an idle partition).
  props["enable.partition.eof"] = "true";
  ITSM_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf, MakeKafkaConf(props));
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_rebalance_cb(conf, &EventConsumer::OnRebalance);
  char err[512];
  consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (!consumer_) {
    return absl::InvalidArgumentError(absl::StrCat("cannot create the Kafka consumer: ", err));
  }
  rd_kafka_poll_set_consumer(consumer_);
  rd_kafka_topic_partition_list_t* topics =
      rd_kafka_topic_partition_list_new(static_cast<int>(options_.topics.size()));
  for (const auto& t : options_.topics) {
    rd_kafka_topic_partition_list_add(topics, t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  rd_kafka_resp_err_t sub = rd_kafka_subscribe(consumer_, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (sub != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InvalidArgumentError(absl::StrCat("cannot subscribe: ", rd_kafka_err2str(sub)));
  }
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "event-consumer");
    Loop();
  });
  return absl::OkStatus();
}

void EventConsumer::Stop() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
  if (consumer_) {
    if (!options_.start_positions) rd_kafka_commit(consumer_, nullptr, /*async=*/0);
    rd_kafka_consumer_close(consumer_);
    absl::MutexLock lock(&handle_mu_);
    rd_kafka_destroy(consumer_);
    consumer_ = nullptr;
  }
  absl::MutexLock lock(&applied_mu_);
  applied_.clear();
}

std::optional<int64_t> EventConsumer::Applied(const std::string& topic, int32_t partition) const {
  absl::MutexLock lock(&applied_mu_);
  auto it = applied_.find({topic, partition});
  if (it == applied_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<int64_t> EventConsumer::QueryHighWatermark(const std::string& topic,
                                                          int32_t partition,
                                                          absl::Duration timeout) const {
  absl::MutexLock lock(&handle_mu_);
  if (consumer_ == nullptr) return absl::UnavailableError("the consumer is not running");
  int64_t low = 0, high = 0;
  const rd_kafka_resp_err_t err =
      rd_kafka_query_watermark_offsets(consumer_, topic.c_str(), partition, &low, &high,
                                       static_cast<int>(absl::ToInt64Milliseconds(timeout)));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(
        absl::StrCat("high watermark of ", topic, "/", partition, ": ", rd_kafka_err2str(err)));
  }
  return high;
}

void EventConsumer::PublishApplied(const PartitionKey& key, std::optional<int64_t> next_offset) {
  absl::MutexLock lock(&applied_mu_);
  if (next_offset) {
    applied_[key] = *next_offset;
  } else {
    applied_.erase(key);
  }
}

void EventConsumer::Loop() {
  while (!stopping_.load()) {
    // Wake up for the earliest retry of a paused partition, else after 100 ms without events.
    absl::Duration wait = absl::Milliseconds(100);
    const absl::Time now = absl::Now();
    for (const auto& [key, b] : backlog_) {
      if (b.paused) wait = std::min(wait, std::max(absl::ZeroDuration(), b.retry_at - now));
    }
    rd_kafka_message_t* msg =
        rd_kafka_consumer_poll(consumer_, static_cast<int>(absl::ToInt64Milliseconds(wait)));
    if (msg) Gather(msg);
    PositionWaitingPartitions();
    HandleReady();
    UpdateLag();
  }
}

void EventConsumer::UpdateLag() {
  const absl::Time now = absl::Now();
  if (now - last_lag_update_ < absl::Seconds(1)) return;
  last_lag_update_ = now;
  int64_t behind = 0;
  for (auto& [key, a] : assigned_) {
    int64_t low = 0, high = 0;
    // The watermarks of the last fetch (no request to the broker) while the partition is being
    // fetched; a paused one is not, so its watermark is asked (messages arriving while it waits
    // are not done either and count).
    auto backlog = backlog_.find(key);
    const bool paused = backlog != backlog_.end() && backlog->second.paused;
    const rd_kafka_resp_err_t err =
        paused
            ? rd_kafka_query_watermark_offsets(consumer_, key.first.c_str(), key.second, &low,
                                               &high, /*timeout_ms=*/500)
            : rd_kafka_get_watermark_offsets(consumer_, key.first.c_str(), key.second, &low, &high);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR || high < 0) continue;
    if (a.next_offset < 0) continue;  // nothing fetched since the assignment
    const int64_t lag = std::max<int64_t>(0, high - a.next_offset);
    a.lag->Set(static_cast<double>(lag));
    behind += lag;
  }
  messages_behind_.store(behind);
}

void EventConsumer::Gather(rd_kafka_message_t* first) {
  size_t taken = 0;
  for (rd_kafka_message_t* msg = first; msg != nullptr;
       msg = taken < options_.max_batch ? rd_kafka_consumer_poll(consumer_, 0) : nullptr) {
    ++taken;
    // Fetched before its pause took hold, from where it will not start: dropped (the seek to
    // its stored position fetches again).
    if (msg->rkt != nullptr &&
        unpositioned_.contains({rd_kafka_topic_name(msg->rkt), msg->partition})) {
      rd_kafka_message_destroy(msg);
      continue;
    }
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF && msg->rkt != nullptr) {
      // Everything before msg->offset was fetched: with nothing of it waiting, all is done.
      const PartitionKey key(rd_kafka_topic_name(msg->rkt), msg->partition);
      auto backlog = backlog_.find(key);
      auto assigned = assigned_.find(key);
      if ((backlog == backlog_.end() || backlog->second.events.empty()) &&
          assigned != assigned_.end() && msg->offset != assigned->second.next_offset) {
        // Below what was done: the log went back (an unclean leader election, a recreated
        // topic) and the consumer was reset onto it. Its end is where the consumer is now.
        if (msg->offset < assigned->second.next_offset) {
          log::Warn("the partition ends before what was done; its log went back",
                    {{"group", options_.group_id},
                     {"topic", key.first},
                     {"partition", static_cast<int64_t>(key.second)},
                     {"done_until", assigned->second.next_offset},
                     {"end", msg->offset}});
        }
        assigned->second.next_offset = msg->offset;
        PublishApplied(key, msg->offset);
      }
      rd_kafka_message_destroy(msg);
      continue;
    }
    if (msg->err) {
      if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        log::Warn("Kafka consumer error",
                  {{"group", options_.group_id}, {"error", rd_kafka_message_errstr(msg)}});
      }
      rd_kafka_message_destroy(msg);
      continue;
    }
    const PartitionKey key(rd_kafka_topic_name(msg->rkt), msg->partition);
    Backlog& backlog = backlog_[key];
    // Fetched again after a pause: already waiting here.
    if (!backlog.events.empty() && msg->offset <= backlog.events.back().fetched.consumed.offset) {
      rd_kafka_message_destroy(msg);
      continue;
    }
    Pending pending{Convert(msg), std::nullopt};
    rd_kafka_message_destroy(msg);
    const Fetched& f = pending.fetched;
    if (!f.status.ok()) {
      pending.result = f.status;
    } else if (recent_.Contains(f.consumed.event.id) ||
               !pending_ids_.insert(f.consumed.event.id).second) {
      handled_duplicate_.Increment();
      pending.result = absl::OkStatus();
    }
    // The first message since the assignment: where this member starts in the partition.
    auto assigned = assigned_.find(key);
    if (assigned != assigned_.end() && assigned->second.next_offset < 0) {
      assigned->second.next_offset = f.consumed.offset;
      PublishApplied(key, f.consumed.offset);
    }
    backlog.events.push_back(std::move(pending));
  }
}

EventConsumer::Fetched EventConsumer::Convert(rd_kafka_message_t* msg) {
  Fetched out;
  ConsumedEvent& consumed = out.consumed;
  consumed.topic = rd_kafka_topic_name(msg->rkt);
  consumed.partition = msg->partition;
  consumed.offset = msg->offset;
  if (msg->key) consumed.key.assign(static_cast<const char*>(msg->key), msg->key_len);
  rd_kafka_timestamp_type_t stamp_type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const int64_t stamp_ms = rd_kafka_message_timestamp(msg, &stamp_type);
  if (stamp_type == RD_KAFKA_TIMESTAMP_CREATE_TIME && stamp_ms > 0) {
    consumed.written = absl::FromUnixMillis(stamp_ms);
  }

  auto event = FromKafkaMessage(*msg);
  if (event.ok()) {
    consumed.event = *std::move(event);
  } else {
    out.status = event.status();
  }
  return out;
}

void EventConsumer::HandleReady() {
  const absl::Time now = absl::Now();
  std::vector<Pending*> handed;
  std::vector<ConsumedEvent> hand;
  for (auto& [key, backlog] : backlog_) {
    if (backlog.retry_at > now) continue;  // waiting after a failure
    for (Pending& p : backlog.events) {
      if (p.result) continue;
      handed.push_back(&p);
      hand.push_back(p.fetched.consumed);
    }
  }
  std::set<PartitionKey> failed;
  if (!hand.empty()) {
    std::vector<absl::Status> statuses = handler_(hand);
    if (statuses.size() != hand.size()) {
      statuses.assign(hand.size(), absl::InternalError("the handler answered a wrong count"));
    }
    for (size_t k = 0; k < hand.size(); ++k) {
      if (IsFinal(statuses[k])) {
        handed[k]->result = statuses[k];
        if (statuses[k].ok()) {
          recent_.Add(hand[k].event.id);
          handled_ok_.Increment();
        }
        continue;
      }
      if (failed.insert({hand[k].topic, hand[k].partition}).second) {
        handled_retried_.Increment();
        log::Warn("event handler failed; its partition waits and retries",
                  {{"group", options_.group_id},
                   {"topic", hand[k].topic},
                   {"partition", static_cast<int64_t>(hand[k].partition)},
                   {"ce_id", hand[k].event.id},
                   {"error", statuses[k].ToString()}});
      }
    }
  }
  // Each partition: store the offsets of the events done, in order, up to the first not done.
  std::map<PartitionKey, int64_t> next_offsets;
  for (auto it = backlog_.begin(); it != backlog_.end();) {
    const PartitionKey& key = it->first;
    Backlog& backlog = it->second;
    while (!backlog.events.empty() && backlog.events.front().result) {
      const Pending& done = backlog.events.front();
      const ConsumedEvent& consumed = done.fetched.consumed;
      if (!done.result->ok()) {
        handled_rejected_.Increment();
        log::Error("event rejected and skipped",
                   {{"group", options_.group_id},
                    {"topic", consumed.topic},
                    {"partition", static_cast<int64_t>(consumed.partition)},
                    {"offset", consumed.offset},
                    {"ce_id", consumed.event.id},
                    {"ce_type", consumed.event.type},
                    {"error", done.result->ToString()}});
      }
      next_offsets[key] = consumed.offset + 1;
      pending_ids_.erase(consumed.event.id);
      backlog.events.pop_front();
    }
    if (failed.contains(key)) {
      backlog.retry_at = now + backlog.backoff;
      backlog.backoff = std::min(backlog.backoff * 2, options_.max_retry_backoff);
      if (!backlog.paused) SetPaused(key, true);
      backlog.paused = true;
    }
    if (backlog.events.empty()) {
      if (backlog.paused) SetPaused(key, false);
      it = backlog_.erase(it);
    } else {
      ++it;
    }
  }
  StoreOffsets(next_offsets);
}

void EventConsumer::SetPaused(const PartitionKey& partition, bool paused) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, partition.first.c_str(), partition.second);
  rd_kafka_resp_err_t err = paused ? rd_kafka_pause_partitions(consumer_, list)
                                   : rd_kafka_resume_partitions(consumer_, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    log::Warn(paused ? "cannot pause partition" : "cannot resume partition",
              {{"group", options_.group_id},
               {"topic", partition.first},
               {"partition", static_cast<int64_t>(partition.second)},
               {"error", rd_kafka_err2str(err)}});
  }
}

void EventConsumer::StoreOffsets(const std::map<PartitionKey, int64_t>& next_offsets) {
  if (next_offsets.empty()) return;
  rd_kafka_topic_partition_list_t* offsets =
      rd_kafka_topic_partition_list_new(static_cast<int>(next_offsets.size()));
  for (const auto& [partition, next] : next_offsets) {
    rd_kafka_topic_partition_list_add(offsets, partition.first.c_str(), partition.second)->offset =
        next;
    auto it = assigned_.find(partition);
    if (it != assigned_.end()) {
      it->second.next_offset = next;
      PublishApplied(partition, next);
    }
  }
  if (options_.store_positions && !cluster_id_.empty()) {
    options_.store_positions(cluster_id_, next_offsets);
  }
  rd_kafka_offsets_store(consumer_, offsets);
  rd_kafka_topic_partition_list_destroy(offsets);
}

}  // namespace itsm::events
