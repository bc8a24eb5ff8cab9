// A Kafka-protocol broker on loopback, built on librdkafka's mock cluster (rdkafka_mock.h).
// It backs the embedded broker binary (itsm-kafka) for local runs and in-process unit tests.
// Limits (see docs/operations.md): random ports only, memory only, about 5 MB kept per
// partition, no CreateTopics admin call (topics are created here), aborted transactions visible.
#ifndef ITSM_KAFKAMOCK_MOCK_CLUSTER_H_
#define ITSM_KAFKAMOCK_MOCK_CLUSTER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace itsm::kafkamock {

class MockCluster {
 public:
  static absl::StatusOr<std::unique_ptr<MockCluster>> Start(int brokers);
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  // "127.0.0.1:port,..." for bootstrap.servers.
  const std::string& bootstrap_servers() const { return bootstrap_; }
  absl::Status CreateTopic(const std::string& topic, int partitions, int replication = 1);
  // Takes broker `id` (1..brokers) down or up again: how tests make Kafka unreachable.
  void SetBrokerDown(int id, bool down);
  // The Kafka protocol's requests (their API keys) tests make the cluster refuse.
  enum class Request : int16_t { kProduce = 0, kListOffsets = 2 };
  // The next `count` requests of kind `request` the cluster receives are answered with `error`
  // (a broker refusing a batch: too large, invalid; a partition's ends that cannot be asked).
  void RefuseNextRequests(Request request, int count, int error);

 private:
  MockCluster() = default;
  rd_kafka_s* handle_ = nullptr;
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  std::string bootstrap_;
};

}  // namespace itsm::kafkamock

#endif  // ITSM_KAFKAMOCK_MOCK_CLUSTER_H_
