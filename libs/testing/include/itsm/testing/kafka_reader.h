// Reads a topic back in tests: every message from the beginning of every partition, with its
// key, value and headers, without joining a consumer group.
#ifndef ITSM_TESTING_KAFKA_READER_H_
#define ITSM_TESTING_KAFKA_READER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace itsm::testing {

struct KafkaRecord {
  int32_t partition;
  int64_t offset;
  // The message's timestamp (ms since the epoch) as its producer set it (CreateTime).
  int64_t timestamp_ms = 0;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string Header(const std::string& name) const;
};

// Reads until at least `min_count` messages arrived (then a short quiet period, to catch extra
// ones) or `timeout` passed. Records are ordered by partition, then offset.
absl::StatusOr<std::vector<KafkaRecord>> ReadTopic(const std::string& bootstrap_servers,
                                                   const std::string& topic, size_t min_count,
                                                   absl::Duration timeout = absl::Seconds(20));

}  // namespace itsm::testing

#endif  // ITSM_TESTING_KAFKA_READER_H_
