// What the timer keeps of the firings it reads back, when it notes delivered offsets, and what
// it reads back from a real (embedded) Kafka-protocol broker.
#include "services/sla-timer/src/published_firings.h"

#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "itsm/events/cloud_event.h"
#include "itsm/events/kafka_producer.h"
#include "itsm/kafkamock/mock_cluster.h"
#include "itsm/sla/v1/events.pb.h"

namespace itsm::sla_timer {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

std::vector<std::string> Ids(const std::vector<PublishedFiring>& firings) {
  std::vector<std::string> ids;
  for (const PublishedFiring& f : firings) ids.push_back(f.event_id);
  return ids;
}

TEST(PublishedFirings, KeepsEachRecordsFiringsInTimeOrderMatchedToTheMicrosecond) {
  PublishedFirings firings(10);
  firings.Add("inc-1", {.event_id = "breach", .at = kT0 + absl::Minutes(30)});
  firings.Add("inc-1", {.event_id = "warning", .at = kT0 + absl::Minutes(15)});
  firings.Add("inc-1", {.event_id = "warning", .at = kT0 + absl::Minutes(15)});  // read twice
  EXPECT_THAT(Ids(firings.Of("inc-1")), ElementsAre("warning", "breach"));
  EXPECT_THAT(firings.Of("inc-2"), IsEmpty());
  EXPECT_EQ(firings.size(), 2u);
  // Published times are cut to the microsecond.
  EXPECT_TRUE(firings.Contains("breach", kT0 + absl::Minutes(30) + absl::Nanoseconds(700)));
  EXPECT_FALSE(firings.Contains("breach", kT0 + absl::Minutes(30) + absl::Microseconds(1)));
  EXPECT_FALSE(firings.Contains("breach", kT0 + absl::Minutes(15)));
}

TEST(PublishedFirings, WhenFullTheEarliestMakeRoomForTheLatest) {
  PublishedFirings firings(3);
  // Read partition by partition: not in time order.
  for (int k : {3, 0, 4, 1, 2}) {
    firings.Add(k % 2 == 0 ? "inc-even" : "inc-odd",
                {.event_id = "e" + std::to_string(k), .at = kT0 + absl::Seconds(k)});
  }
  EXPECT_EQ(firings.size(), 3u);
  EXPECT_EQ(firings.dropped(), 2);
  EXPECT_THAT(Ids(firings.Of("inc-even")), ElementsAre("e2", "e4"));
  EXPECT_THAT(Ids(firings.Of("inc-odd")), ElementsAre("e3"));
  EXPECT_FALSE(firings.Contains("e0", kT0));
  EXPECT_FALSE(firings.Contains("e1", kT0 + absl::Seconds(1)));
}

TEST(MaturingOffsets, ReleasesTheLastOffsetOfEachPartitionOnceItIsOldEnough) {
  MaturingOffsets offsets(absl::Hours(1));
  offsets.Delivered({{0, 10}, {1, 4}}, kT0);
  offsets.Delivered({{0, 12}}, kT0 + absl::Milliseconds(300));  // the same second: merged
  offsets.Delivered({{0, 20}, {2, 7}}, kT0 + absl::Minutes(30));
  EXPECT_THAT(offsets.Matured(kT0 + absl::Minutes(59)), IsEmpty());
  // Released an hour after the last delivery merged into it, not the first.
  EXPECT_THAT(offsets.Matured(kT0 + absl::Hours(1) + absl::Milliseconds(200)), IsEmpty());
  EXPECT_EQ(offsets.Matured(kT0 + absl::Hours(1) + absl::Milliseconds(300)),
            (std::map<int32_t, int64_t>{{0, 12}, {1, 4}}));
  EXPECT_THAT(offsets.Matured(kT0 + absl::Hours(1) + absl::Seconds(2)), IsEmpty());
  offsets.Clear();  // another Redis dataset: nothing delivered before it is noted
  EXPECT_THAT(offsets.Matured(kT0 + absl::Hours(5)), IsEmpty());
}

// A topic of two partitions on an embedded broker, and the events published to it.
class ReadPublishedFiringsTest : public ::testing::Test {
 protected:
  static constexpr char kTopic[] = "itsm.sla.v1";

  void SetUp() override {
    auto cluster = kafkamock::MockCluster::Start(1);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = std::move(*cluster);
    ASSERT_TRUE(cluster_->CreateTopic(kTopic, 2).ok());
    auto producer =
        events::KafkaProducer::Create({.bootstrap_servers = cluster_->bootstrap_servers()});
    ASSERT_TRUE(producer.ok()) << producer.status();
    producer_ = std::move(*producer);
  }

  // Publishes `message` about `record` (the key: all of a record's events share a partition)
  // and returns where it was written.
  events::KafkaProducer::Delivery Publish(const google::protobuf::Message& message,
                                          const std::string& record, absl::Time at) {
    events::CloudEvent e = events::MakeCloudEvent(message, "itsm/sla-timer", record, at);
    auto batch = producer_->NewBatch();
    EXPECT_TRUE(batch.ok());
    EXPECT_EQ(batch->Produce(kTopic, record, e), RD_KAFKA_RESP_ERR_NO_ERROR);
    std::vector<events::KafkaProducer::Delivery> deliveries = batch->Wait();
    EXPECT_TRUE(deliveries.at(0).delivered());
    ids_.push_back(e.id);
    return deliveries.at(0);
  }

  PublishedFiringsScan Scan() const {
    return {.bootstrap_servers = cluster_->bootstrap_servers(),
            .topic = kTopic,
            .stall_timeout = absl::Seconds(3),
            .deadline = absl::Seconds(20)};
  }

  std::unique_ptr<kafkamock::MockCluster> cluster_;
  std::unique_ptr<events::KafkaProducer> producer_;
  std::vector<std::string> ids_;  // of the events published, in order
};

TEST_F(ReadPublishedFiringsTest, ReadsWarningsAndBreachesAfterTheOffsetsGivenAndNothingElse) {
  sla::v1::SlaClockStarted started;
  sla::v1::SlaWarningReached warning;
  sla::v1::SlaBreached breach;
  Publish(started, "inc-2", kT0);
  Publish(started, "inc-1", kT0);
  const auto first_warning = Publish(warning, "inc-1", kT0 + absl::Minutes(15));
  Publish(breach, "inc-1", kT0 + absl::Minutes(30));
  const std::string& warning_id = ids_[2];
  const std::string& breach_id = ids_[3];

  PublishedFirings all(100);
  ASSERT_TRUE(ReadPublishedFirings(Scan(), all).ok());
  EXPECT_THAT(Ids(all.Of("inc-1")), ElementsAre(warning_id, breach_id));  // not the start
  EXPECT_THAT(all.Of("inc-2"), IsEmpty());
  EXPECT_TRUE(all.Contains(breach_id, kT0 + absl::Minutes(30)));

  // After the warning's offset: only what came later on that partition.
  PublishedFiringsScan after = Scan();
  after.after[first_warning.partition] = first_warning.offset;
  PublishedFirings later(100);
  ASSERT_TRUE(ReadPublishedFirings(after, later).ok());
  EXPECT_THAT(Ids(later.Of("inc-1")), ElementsAre(breach_id));

  // At most each partition's last event: the breach, not the warning before it.
  PublishedFiringsScan last = Scan();
  last.max_events_per_partition = 1;
  PublishedFirings bounded(100);
  ASSERT_TRUE(ReadPublishedFirings(last, bounded).ok());
  EXPECT_THAT(Ids(bounded.Of("inc-1")), ElementsAre(breach_id));
}

TEST_F(ReadPublishedFiringsTest, AStoredOffsetPastThePartitionsEndReadsItFromTheBeginning) {
  sla::v1::SlaBreached breach;
  const auto published = Publish(breach, "inc-1", kT0);
  // The log went back (a topic deleted and created again, a cluster restored): the offset
  // Redis holds says nothing about what this log holds.
  PublishedFiringsScan scan = Scan();
  scan.after[published.partition] = 1'000;
  PublishedFirings firings(100);
  ASSERT_TRUE(ReadPublishedFirings(scan, firings).ok());
  EXPECT_THAT(Ids(firings.Of("inc-1")), ElementsAre(ids_[0]));
  // Up to its end, exactly: nothing to read.
  scan.after[published.partition] = published.offset;
  PublishedFirings none(100);
  ASSERT_TRUE(ReadPublishedFirings(scan, none).ok());
  EXPECT_EQ(none.size(), 0u);
}

TEST_F(ReadPublishedFiringsTest, ATopicNotCreatedYetHasNothingToReadBack) {
  PublishedFiringsScan scan = Scan();
  scan.topic = "itsm.sla.v1.not-yet";
  PublishedFirings firings(100);
  EXPECT_TRUE(ReadPublishedFirings(scan, firings).ok());
  EXPECT_EQ(firings.size(), 0u);
}

TEST_F(ReadPublishedFiringsTest, ABrokerThatCannotBeReachedIsUnavailableToBeAskedAgain) {
  sla::v1::SlaBreached breach;
  Publish(breach, "inc-1", kT0);
  cluster_->SetBrokerDown(1, true);
  PublishedFirings firings(100);
  const absl::Status read = ReadPublishedFirings(Scan(), firings);
  EXPECT_EQ(read.code(), absl::StatusCode::kUnavailable) << read;
  EXPECT_EQ(firings.size(), 0u);
}

}  // namespace
}  // namespace itsm::sla_timer
