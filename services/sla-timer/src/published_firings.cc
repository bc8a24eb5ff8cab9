#include "services/sla-timer/src/published_firings.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/events/cloud_event.h"
#include "itsm/events/kafka_config.h"
#include "itsm/runtime/logging.h"
#include "itsm/sla/v1/events.pb.h"

namespace itsm::sla_timer {

void PublishedFirings::Add(const std::string& record_id, const PublishedFiring& firing) {
  absl::MutexLock lock(&mu_);
  if (by_id_.contains(firing.event_id)) return;
  while (!by_time_.empty() && by_id_.size() >= capacity_) {
    const auto earliest = by_time_.begin();
    const std::string& id = earliest->second;
    auto kept = by_id_.find(id);
    std::vector<PublishedFiring>& of = by_record_[kept->second.record_id];
    std::erase_if(of, [&](const PublishedFiring& f) { return f.event_id == id; });
    if (of.empty()) by_record_.erase(kept->second.record_id);
    by_id_.erase(kept);
    by_time_.erase(earliest);
    ++dropped_;
  }
  by_id_[firing.event_id] = {.record_id = record_id, .at = firing.at};
  by_time_.emplace(firing.at, firing.event_id);
  std::vector<PublishedFiring>& of = by_record_[record_id];
  of.insert(std::upper_bound(
                of.begin(), of.end(), firing,
                [](const PublishedFiring& a, const PublishedFiring& b) { return a.at < b.at; }),
            firing);
}

std::vector<PublishedFiring> PublishedFirings::Of(const std::string& record_id) const {
  absl::MutexLock lock(&mu_);
  auto it = by_record_.find(record_id);
  if (it == by_record_.end()) return {};
  return it->second;
}

bool PublishedFirings::Contains(const std::string& event_id, absl::Time at) const {
  absl::MutexLock lock(&mu_);
  auto it = by_id_.find(event_id);
  // The outbox keeps an event's time in microseconds (TimerOutboxEntry.time_us).
  return it != by_id_.end() && absl::ToUnixMicros(it->second.at) == absl::ToUnixMicros(at);
}

size_t PublishedFirings::size() const {
  absl::MutexLock lock(&mu_);
  return by_id_.size();
}

int64_t PublishedFirings::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

void MaturingOffsets::Delivered(const std::map<int32_t, int64_t>& offsets, absl::Time now) {
  if (offsets.empty()) return;
  absl::MutexLock lock(&mu_);
  // One entry per second at most, stamped with its last delivery (released no earlier than
  // `lag` after it).
  if (pending_.empty() || now - pending_.back().first >= absl::Seconds(1)) {
    pending_.emplace_back(now, std::map<int32_t, int64_t>{});
  }
  pending_.back().first = std::max(pending_.back().first, now);
  for (const auto& [partition, offset] : offsets) {
    int64_t& last = pending_.back().second[partition];
    last = std::max(last, offset);
  }
}

std::map<int32_t, int64_t> MaturingOffsets::Matured(absl::Time now) {
  absl::MutexLock lock(&mu_);
  std::map<int32_t, int64_t> out;
  while (!pending_.empty() && pending_.front().first <= now - lag_) {
    for (const auto& [partition, offset] : pending_.front().second) {
      int64_t& last = out[partition];
      last = std::max(last, offset);
    }
    pending_.pop_front();
  }
  return out;
}

void MaturingOffsets::Clear() {
  absl::MutexLock lock(&mu_);
  pending_.clear();
}

namespace {

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

absl::StatusOr<KafkaHandle> NewReader(const PublishedFiringsScan& scan) {
  ITSM_ASSIGN_OR_RETURN(auto props, events::ParseKafkaProperties(scan.client_properties));
  props["bootstrap.servers"] = scan.bootstrap_servers;
  // The consumer API wants a group even for partitions assigned by hand; nothing is committed.
  props["group.id"] = absl::StrCat("itsm-sla-timer-readback-", base::NewUuid());
  props["enable.auto.commit"] = "false";
  props["enable.partition.eof"] = "true";
  // An offset retention removed meanwhile reads from what is left, never from the end.
  props["auto.offset.reset"] = "earliest";
  props.erase("group.instance.id");  // the service consumer's static membership, not ours
  ITSM_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf, events::MakeKafkaConf(props));
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(absl::StrCat("kafka reader: ", err));
  }
  return KafkaHandle(rk);
}

// The topic's partition count; 0 when the broker does not know the topic.
absl::StatusOr<int> PartitionCount(rd_kafka_t* rk, const std::string& topic) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 5000);
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::UnavailableError(absl::StrCat("metadata of ", topic, ": ", rd_kafka_err2str(err)));
  }
  int count = 0;
  absl::Status status;
  if (md->topic_cnt == 1) {
    const rd_kafka_resp_err_t topic_err = md->topics[0].err;
    if (topic_err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      count = md->topics[0].partition_cnt;
    } else if (topic_err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      status = absl::UnavailableError(
          absl::StrCat("metadata of ", topic, ": ", rd_kafka_err2str(topic_err)));
    }
  }
  rd_kafka_metadata_destroy(md);
  if (!status.ok()) return status;
  return count;
}

bool IsFiring(const std::string& type) {
  return type == sla::v1::SlaBreached::descriptor()->full_name() ||
         type == sla::v1::SlaWarningReached::descriptor()->full_name();
}

}  // namespace

absl::Status ReadPublishedFirings(const PublishedFiringsScan& scan, PublishedFirings& into) {
  const absl::Time started = absl::Now();
  const absl::Time deadline = started + scan.deadline;
  ITSM_ASSIGN_OR_RETURN(KafkaHandle rk, NewReader(scan));
  ITSM_ASSIGN_OR_RETURN(const int partitions, PartitionCount(rk.get(), scan.topic));
  // Where each partition is read from, and its end as it is now.
  std::map<int32_t, int64_t> end;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int32_t p = 0; p < partitions; ++p) {
    int64_t low = 0, high = 0;
    if (rd_kafka_resp_err_t err =
            rd_kafka_query_watermark_offsets(rk.get(), scan.topic.c_str(), p, &low, &high, 5000);
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_topic_partition_list_destroy(list);
      return absl::UnavailableError(
          absl::StrCat("the end of ", scan.topic, "[", p, "]: ", rd_kafka_err2str(err)));
    }
    int64_t start = low;
    if (auto it = scan.after.find(p); it != scan.after.end() && it->second < high) {
      start = std::max(low, it->second + 1);
    }
    start = std::max(start, high - scan.max_events_per_partition);
    if (start >= high) continue;
    end[p] = high;
    rd_kafka_topic_partition_list_add(list, scan.topic.c_str(), p)->offset = start;
  }
  if (end.empty()) {
    rd_kafka_topic_partition_list_destroy(list);
    return absl::OkStatus();
  }
  const rd_kafka_resp_err_t assigned = rd_kafka_assign(rk.get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  if (assigned != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InternalError(absl::StrCat("kafka reader: ", rd_kafka_err2str(assigned)));
  }
  int64_t read = 0;
  const int64_t dropped_before = into.dropped();
  absl::Time progress = absl::Now();
  while (!end.empty()) {
    const absl::Time now = absl::Now();
    if (now - progress > scan.stall_timeout) {
      return absl::UnavailableError(absl::StrCat("reading back ", scan.topic, ": ", read,
                                                 " events read, then nothing for ",
                                                 absl::FormatDuration(now - progress)));
    }
    if (now > deadline) {
      // Retried, a read too long to finish would hold every partition back for good, and no
      // clock would fire: the events are applied with what was read.
      runtime::log::Error(
          "reading back the SLA events published took too long: going on with what was read; "
          "a late event of a record whose firing was not read may complete a clock whose "
          "breach was published without withdrawing it",
          {{"topic", scan.topic},
           {"events", read},
           {"partitions_not_read_to_their_end", static_cast<int64_t>(end.size())}});
      break;
    }
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk.get(), 100);
    if (msg == nullptr) continue;
    const int32_t p = msg->partition;
    const int64_t offset = msg->offset;
    bool at_end = msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      progress = now;
      ++read;
      // Anything else on the topic (not a CloudEvent, another type) is not a firing.
      if (auto e = events::FromKafkaMessage(*msg); e.ok() && IsFiring(e->type)) {
        into.Add(e->subject, {.event_id = e->id, .at = e->time});
      }
      at_end = end.contains(p) && offset + 1 >= end[p];
    }
    rd_kafka_message_destroy(msg);
    if (at_end) end.erase(p);
  }
  if (const int64_t dropped = into.dropped() - dropped_before; dropped > 0) {
    runtime::log::Warn(
        "more firings published than the timer keeps in memory: the oldest read back were "
        "dropped, and a late event of their records may complete a clock whose breach was "
        "published without withdrawing it",
        {{"topic", scan.topic}, {"dropped", dropped}});
  }
  runtime::log::Info(
      "read back the SLA events published since the offsets Redis holds",
      {{"topic", scan.topic}, {"events", read}, {"firings", static_cast<int64_t>(into.size())}});
  return absl::OkStatus();
}

}  // namespace itsm::sla_timer
