#include "itsm/events/kafka_producer.h"

#include "google/protobuf/timestamp.pb.h"
#include "gtest/gtest.h"
#include "itsm/kafkamock/mock_cluster.h"
#include "itsm/testing/kafka_reader.h"

namespace itsm::events {
namespace {

constexpr char kTopic[] = "itsm.producer-test.v1";

class KafkaProducerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = kafkamock::MockCluster::Start(1);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = std::move(*cluster);
    ASSERT_TRUE(cluster_->CreateTopic(kTopic, 2).ok());
  }

  ProducerOptions Options() {
    return {.bootstrap_servers = cluster_->bootstrap_servers(),
            .client_id = "producer-test",
            .delivery_timeout = absl::Seconds(2)};
  }

  static CloudEvent Event(const std::string& subject, int64_t seconds) {
    google::protobuf::Timestamp ts;
    ts.set_seconds(seconds);
    return MakeCloudEvent(ts, "itsm/test", subject, absl::Now());
  }

  // Queues `n` events of `subject` in one batch and returns the deliveries.
  static std::vector<KafkaProducer::Delivery> Send(KafkaProducer& producer,
                                                   const std::string& subject, int n) {
    auto batch = producer.NewBatch();
    EXPECT_TRUE(batch.ok()) << batch.status();
    if (!batch.ok()) return {};
    for (int i = 0; i < n; ++i) {
      EXPECT_EQ(batch->Produce(kTopic, subject, Event(subject, i)), RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    return batch->Wait();
  }

  static int Delivered(const std::vector<KafkaProducer::Delivery>& deliveries) {
    int n = 0;
    for (const auto& d : deliveries) n += d.delivered() ? 1 : 0;
    return n;
  }

  std::unique_ptr<kafkamock::MockCluster> cluster_;
};

TEST_F(KafkaProducerTest, DeliversABatchInOrderWithTheCloudEventHeaders) {
  auto producer = KafkaProducer::Create(Options());
  ASSERT_TRUE(producer.ok()) << producer.status();
  auto deliveries = Send(**producer, "agg-1", 5);
  ASSERT_EQ(deliveries.size(), 5u);
  EXPECT_EQ(Delivered(deliveries), 5);

  auto records = itsm::testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, 5);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 5u);
  for (size_t i = 0; i < records->size(); ++i) {
    const auto& r = (*records)[i];
    EXPECT_EQ(r.key, "agg-1");
    EXPECT_EQ(r.Header("ce_specversion"), "1.0");
    EXPECT_EQ(r.Header("ce_type"), "google.protobuf.Timestamp");
    EXPECT_EQ(r.Header("ce_subject"), "agg-1");
    google::protobuf::Timestamp ts;
    ASSERT_TRUE(ts.ParseFromString(r.value));
    EXPECT_EQ(ts.seconds(), static_cast<int64_t>(i));  // one key, one partition: in order
  }
}

TEST_F(KafkaProducerTest, BadPropertyIsInvalidArgument) {
  ProducerOptions options = Options();
  options.client_properties = "no.such.property=1";
  EXPECT_EQ(KafkaProducer::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(KafkaProducerTest, UnreachableKafkaIsReportedNotDeliveredByTheDeadline) {
  auto producer = KafkaProducer::Create(Options());
  ASSERT_TRUE(producer.ok()) << producer.status();
  cluster_->SetBrokerDown(1, true);
  const absl::Time start = absl::Now();
  auto deliveries = Send(**producer, "agg", 3);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2 + 1 + 2));  // delivery_timeout + 1 s, + slack
  ASSERT_EQ(deliveries.size(), 3u);
  EXPECT_EQ(Delivered(deliveries), 0);

  cluster_->SetBrokerDown(1, false);
  int delivered = 0;
  for (int round = 0; round < 10 && delivered == 0; ++round) {
    delivered = Delivered(Send(**producer, "agg", 3));
  }
  EXPECT_EQ(delivered, 3);
}

TEST_F(KafkaProducerTest, MessageLargerThanTheLimitIsNotQueued) {
  ProducerOptions options = Options();
  options.client_properties = "message.max.bytes=20000";
  auto producer = KafkaProducer::Create(options);
  ASSERT_TRUE(producer.ok()) << producer.status();
  auto batch = (*producer)->NewBatch();
  ASSERT_TRUE(batch.ok()) << batch.status();
  CloudEvent huge = Event("huge", 0);
  huge.data = std::string(50'000, 'x');
  EXPECT_EQ(batch->Produce(kTopic, "huge", huge), RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  EXPECT_EQ(batch->Produce(kTopic, "small", Event("small", 1)), RD_KAFKA_RESP_ERR_NO_ERROR);
  auto deliveries = batch->Wait();
  ASSERT_EQ(deliveries.size(), 1u);  // only what was queued
  EXPECT_TRUE(deliveries[0].delivered());
}

// After a fatal error the producer refuses everything; the next batch runs on a new one.
TEST_F(KafkaProducerTest, FatalErrorIsFollowedByANewProducer) {
  auto producer = KafkaProducer::Create(Options());
  ASSERT_TRUE(producer.ok()) << producer.status();
  EXPECT_EQ(Delivered(Send(**producer, "before", 2)), 2);

  auto doomed = (*producer)->NewBatch();
  ASSERT_TRUE(doomed.ok()) << doomed.status();
  (*producer)->TriggerFatalErrorForTest();
  EXPECT_EQ(doomed->Produce(kTopic, "lost", Event("lost", 0)), RD_KAFKA_RESP_ERR__FATAL);
  EXPECT_TRUE(doomed->Wait().empty());

  EXPECT_EQ(Delivered(Send(**producer, "after", 3)), 3);
  auto records = itsm::testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, 5);
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(records->size(), 5u);
}

}  // namespace
}  // namespace itsm::events
