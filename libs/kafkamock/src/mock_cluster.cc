#include "itsm/kafkamock/mock_cluster.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <vector>

#include "absl/strings/str_cat.h"

namespace itsm::kafkamock {

absl::StatusOr<std::unique_ptr<MockCluster>> MockCluster::Start(int brokers) {
  // The mock cluster lives inside an rd_kafka_t handle; a producer that never produces will do.
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
  auto cluster = std::unique_ptr<MockCluster>(new MockCluster());
  cluster->handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (!cluster->handle_) {
    return absl::InternalError(absl::StrCat("cannot create the host handle: ", err));
  }
  cluster->cluster_ = rd_kafka_mock_cluster_new(cluster->handle_, brokers);
  if (!cluster->cluster_) return absl::InternalError("cannot create the mock cluster");
  cluster->bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster->cluster_);
  return cluster;
}

MockCluster::~MockCluster() {
  if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
  if (handle_) rd_kafka_destroy(handle_);
}

absl::Status MockCluster::CreateTopic(const std::string& topic, int partitions, int replication) {
  rd_kafka_resp_err_t err =
      rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, replication);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InternalError(
        absl::StrCat("cannot create topic ", topic, ": ", rd_kafka_err2str(err)));
  }
  return absl::OkStatus();
}

void MockCluster::RefuseNextRequests(Request request, int count, int error) {
  std::vector<rd_kafka_resp_err_t> errors(count, static_cast<rd_kafka_resp_err_t>(error));
  rd_kafka_mock_push_request_errors_array(cluster_, static_cast<int16_t>(request), errors.size(),
                                          errors.data());
}

}  // namespace itsm::kafkamock

namespace itsm::kafkamock {

void MockCluster::SetBrokerDown(int id, bool down) {
  if (down) {
    rd_kafka_mock_broker_set_down(cluster_, id);
  } else {
    rd_kafka_mock_broker_set_up(cluster_, id);
  }
}

}  // namespace itsm::kafkamock
