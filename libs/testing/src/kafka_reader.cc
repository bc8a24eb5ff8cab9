#include "itsm/testing/kafka_reader.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "itsm/base/ids.h"

namespace itsm::testing {

std::string KafkaRecord::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

absl::StatusOr<std::vector<KafkaRecord>> ReadTopic(const std::string& bootstrap_servers,
                                                   const std::string& topic, size_t min_count,
                                                   absl::Duration timeout) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap_servers.c_str(), err, sizeof(err));
  // A group id is required by the consumer API even when partitions are assigned by hand.
  rd_kafka_conf_set(conf, "group.id", ("test-reader-" + base::NewUuid()).c_str(), err, sizeof(err));
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (!rk) return absl::InternalError(err);

  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  int partitions = 0;
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (rd_kafka_metadata(rk, 0, rkt, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        partitions = md->topics[0].partition_cnt;
      }
      rd_kafka_metadata_destroy(md);
      if (partitions > 0) break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  rd_kafka_topic_destroy(rkt);
  if (partitions == 0) {
    rd_kafka_destroy(rk);
    return absl::NotFoundError(absl::StrCat("topic ", topic, " has no partitions"));
  }
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);

  std::vector<KafkaRecord> out;
  absl::Time quiet_until = absl::InfiniteFuture();
  while (absl::Now() < deadline && absl::Now() < quiet_until) {
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk, 50);
    if (!msg) continue;
    if (!msg->err) {
      KafkaRecord r;
      r.partition = msg->partition;
      r.offset = msg->offset;
      r.timestamp_ms = rd_kafka_message_timestamp(msg, nullptr);
      if (msg->key) r.key.assign(static_cast<const char*>(msg->key), msg->key_len);
      if (msg->payload) r.value.assign(static_cast<const char*>(msg->payload), msg->len);
      rd_kafka_headers_t* hdrs = nullptr;
      if (rd_kafka_message_headers(msg, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name;
        const void* value;
        size_t size;
        for (size_t i = 0;
             rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
          r.headers.emplace_back(name,
                                 value ? std::string(static_cast<const char*>(value), size) : "");
        }
      }
      out.push_back(std::move(r));
      if (out.size() >= min_count && quiet_until == absl::InfiniteFuture()) {
        quiet_until = absl::Now() + absl::Milliseconds(300);
      }
    }
    rd_kafka_message_destroy(msg);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  std::sort(out.begin(), out.end(), [](const KafkaRecord& a, const KafkaRecord& b) {
    return std::tie(a.partition, a.offset) < std::tie(b.partition, b.offset);
  });
  return out;
}

}  // namespace itsm::testing
