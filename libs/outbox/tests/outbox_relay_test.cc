#include "itsm/outbox/outbox_relay.h"

#include <set>
#include <thread>

#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "itsm/kafkamock/mock_cluster.h"
#include "itsm/outbox/outbox.h"
#include "itsm/storage/migrations.h"
#include "itsm/testing/kafka_reader.h"
#include "itsm/testing/test_env.h"

namespace itsm::outbox {
namespace {

using ::itsm::testing::Backend;
constexpr char kTopic[] = "itsm.test.v1";

class OutboxRelayTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    auto url = itsm::testing::NewDatabaseUrl(GetParam());
    ASSERT_TRUE(url.ok()) << url.status();
    url_ = *url;
    auto db = storage::OpenDatabase(url_);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    ASSERT_TRUE(storage::ApplyMigrations(*db_, "outbox", Outbox::Migrations()).ok());
    auto cluster = kafkamock::MockCluster::Start(1);
    ASSERT_TRUE(cluster.ok());
    cluster_ = std::move(*cluster);
    ASSERT_TRUE(cluster_->CreateTopic(kTopic, 4).ok());
  }

  RelayOptions Options() {
    RelayOptions o;
    o.bootstrap_servers = cluster_->bootstrap_servers();
    o.delivery_timeout = absl::Seconds(2);
    o.batch_size = 50;
    return o;
  }

  // Writes `n` events for aggregate `key` in one transaction.
  void Write(const std::string& key, int n, bool commit = true) {
    auto txn = db_->Begin(storage::TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    for (int i = 0; i < n; ++i) {
      google::protobuf::Timestamp ts;
      ts.set_seconds(i);
      events::CloudEvent e = events::MakeCloudEvent(ts, "itsm/test", key, absl::Now());
      ASSERT_TRUE(Outbox::Append(**txn, {kTopic, key, e}).ok());
    }
    if (commit) {
      ASSERT_TRUE((*txn)->Commit().ok());
    }
  }

  OutboxStats Stats() { return *Outbox::Stats(*db_); }

  std::string url_;
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<kafkamock::MockCluster> cluster_;
  prometheus::Registry registry_;
};

TEST_P(OutboxRelayTest, PublishesCommittedRowsInOrderWithEnvelopeAndMarksThem) {
  Write("agg-1", 5);
  Write("agg-2", 3);
  Write("rolled-back", 2, /*commit=*/false);
  OutboxRelay relay(*db_, Options(), registry_);
  auto n = relay.PublishOnce();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 8);
  EXPECT_EQ(Stats().pending, 0);
  EXPECT_EQ(Stats().published, 8);

  auto records = itsm::testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, 8);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 8u);
  std::map<std::string, std::vector<int64_t>> seconds_by_key;
  for (const auto& r : *records) {
    EXPECT_EQ(r.Header("ce_specversion"), "1.0");
    EXPECT_EQ(r.Header("ce_type"), "google.protobuf.Timestamp");
    EXPECT_EQ(r.Header("ce_subject"), r.key);
    EXPECT_EQ(r.Header("content-type"), "application/protobuf");
    google::protobuf::Timestamp ts;
    ASSERT_TRUE(ts.ParseFromString(r.value));
    seconds_by_key[r.key].push_back(ts.seconds());
  }
  EXPECT_EQ(seconds_by_key["agg-1"], (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(seconds_by_key["agg-2"], (std::vector<int64_t>{0, 1, 2}));
  EXPECT_FALSE(seconds_by_key.contains("rolled-back"));
}

TEST_P(OutboxRelayTest, UnreachableKafkaKeepsRowsUntilItComesBack) {
  Write("agg", 3);
  cluster_->SetBrokerDown(1, true);
  OutboxRelay relay(*db_, Options(), registry_);
  auto n = relay.PublishOnce();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 0);
  EXPECT_EQ(Stats().pending, 3);

  cluster_->SetBrokerDown(1, false);
  int published = 0;
  for (int round = 0; round < 10 && published < 3; ++round) {
    auto again = relay.PublishOnce();
    ASSERT_TRUE(again.ok()) << again.status();
    published += *again;
  }
  EXPECT_EQ(published, 3);
  EXPECT_EQ(Stats().pending, 0);
}

// A row the broker can never take (here: larger than message.max.bytes) is set aside with its
// error and counted; the rows behind it, of other records and of its own, are published; once
// the limit is raised, the admin call brings it back.
TEST_P(OutboxRelayTest, RowRefusedForGoodIsDeadLetteredWhileLaterRowsFlow) {
  Write("before", 2);
  {
    auto txn = db_->Begin(storage::TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    google::protobuf::StringValue huge;
    huge.set_value(std::string(50'000, 'x'));
    ASSERT_TRUE(
        Outbox::Append(
            **txn, {kTopic, "huge", events::MakeCloudEvent(huge, "itsm/test", "huge", absl::Now())})
            .ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  Write("after", 3);
  Write("huge", 1);
  RelayOptions small = Options();
  small.client_properties = "message.max.bytes=20000";
  OutboxRelay relay(*db_, small, registry_);
  auto n = relay.PublishOnce();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 6);
  EXPECT_EQ(Stats().pending, 0);
  EXPECT_EQ(Stats().dead_letters, 1);
  auto records = itsm::testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, 6);
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(records->size(), 6u);
  double dead_total = 0;
  for (const auto& family : registry_.Collect()) {
    if (family.name == "itsm_outbox_dead_letter_total") dead_total = family.metric[0].counter.value;
  }
  EXPECT_EQ(dead_total, 1);
  // Still refused by this relay: nothing moves until the limit is raised.
  auto requeued = Outbox::RequeueDeadLetters(*db_, absl::Now() - absl::Hours(1),
                                             absl::Now() + absl::Hours(1), "");
  ASSERT_TRUE(requeued.ok()) << requeued.status();
  EXPECT_EQ(*requeued, 1);
  EXPECT_EQ(Stats().dead_letters, 0);
  OutboxRelay raised(*db_, Options(), registry_);
  ASSERT_EQ(*raised.PublishOnce(), 1);
  EXPECT_EQ(Stats().pending, 0);
}

// Stop publishes what was committed after the loop's last round instead of leaving it for the
// next start.
TEST_P(OutboxRelayTest, StopPublishesWhatIsPendingInAFinalRound) {
  RelayOptions slow = Options();
  slow.poll_interval = absl::Hours(1);  // the loop itself will not look again
  OutboxRelay relay(*db_, slow, registry_);
  ASSERT_TRUE(relay.Start().ok());
  Write("late", 4);  // no Wake(): only the final round can publish these
  relay.Stop();
  EXPECT_EQ(Stats().pending, 0);
  auto records = itsm::testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, 4);
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(records->size(), 4u);
}

// The last guard behind the field limits: an event larger than any broker takes is refused
// before it is committed, so it can never reach the relay.
TEST_P(OutboxRelayTest, AppendRefusesAnEventAboveTheMaximumAndWritesNothing) {
  auto txn = db_->Begin(storage::TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok());
  google::protobuf::StringValue huge;
  huge.set_value(std::string(Outbox::kMaxEventBytes + 1, 'x'));
  absl::Status s = Outbox::Append(
      **txn, {kTopic, "k", events::MakeCloudEvent(huge, "itsm/test", "k", absl::Now())});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  ASSERT_TRUE((*txn)->Commit().ok());
  EXPECT_EQ(Stats().pending, 0);
}

// A producer configured to refuse what the outbox accepts is refused at start.
TEST_P(OutboxRelayTest, StartRefusesAMessageMaxBytesBelowTheLargestEvent) {
  RelayOptions small = Options();
  small.client_properties = "message.max.bytes=100000";
  OutboxRelay relay(*db_, small, registry_);
  absl::Status s = relay.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().rfind("kafka_client_properties: message.max.bytes=100000", 0), 0u) << s;
}

// A topic configured for JSON carries the proto3 JSON mapping with content-type
// application/json, for integration platforms without protobuf; consumers decode either.
TEST_P(OutboxRelayTest, JsonTopicsArePublishedInTheProto3JsonMapping) {
  Write("agg", 1);
  RelayOptions json = Options();
  json.json_topics = {kTopic};
  OutboxRelay relay(*db_, json, registry_);
  ASSERT_EQ(*relay.PublishOnce(), 1);
  auto records = itsm::testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, 1);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  const auto& r = (*records)[0];
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.value, "\"1970-01-01T00:00:00Z\"");  // Timestamp{seconds: 0} in JSON
  auto event = events::FromKafkaMessage({{"ce_specversion", "1.0"},
                                         {"ce_id", r.Header("ce_id")},
                                         {"ce_source", "itsm/test"},
                                         {"ce_type", r.Header("ce_type")},
                                         {"ce_time", r.Header("ce_time")},
                                         {"ce_subject", r.key},
                                         {"content-type", r.Header("content-type")}},
                                        r.value);
  ASSERT_TRUE(event.ok()) << event.status();
  google::protobuf::Timestamp ts;
  EXPECT_TRUE(events::UnpackCloudEvent(*event, &ts).ok());
  // The outbox keeps protobuf: switching the topic back needs no migration.
  EXPECT_EQ(Stats().pending, 0);
}

TEST_P(OutboxRelayTest, RepublishSendsARangeAgainWithTheSameIds) {
  Write("agg", 2);
  OutboxRelay relay(*db_, Options(), registry_);
  ASSERT_EQ(*relay.PublishOnce(), 2);
  auto queued =
      Outbox::Republish(*db_, absl::Now() - absl::Hours(1), absl::Now() + absl::Hours(1), "");
  ASSERT_TRUE(queued.ok()) << queued.status();
  EXPECT_EQ(*queued, 2);
  auto other_topic = Outbox::Republish(*db_, absl::InfinitePast(), absl::Now(), "other.topic");
  EXPECT_EQ(*other_topic, 0);
  ASSERT_EQ(*relay.PublishOnce(), 2);
  auto records = itsm::testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, 4);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 4u);
  std::multiset<std::string> ids;
  for (const auto& r : *records) ids.insert(r.Header("ce_id"));
  for (const auto& id : ids) EXPECT_EQ(ids.count(id), 2u) << id;
}

TEST_P(OutboxRelayTest, RetentionDeletesOnlyOldPublishedRows) {
  Write("agg", 3);
  OutboxRelay relay(*db_, Options(), registry_);
  ASSERT_EQ(*relay.PublishOnce(), 3);
  Write("agg", 1);  // pending: never deleted
  EXPECT_EQ(*Outbox::DeletePublishedBefore(*db_, absl::Now() - absl::Hours(1), 100), 0);
  EXPECT_EQ(*Outbox::DeletePublishedBefore(*db_, absl::Now() + absl::Seconds(1), 100), 3);
  EXPECT_EQ(Stats().pending, 1);
  EXPECT_EQ(Stats().published, 0);
}

TEST_P(OutboxRelayTest, ConcurrentRelaysNeverSendARowTwice) {
  // Replicas share a PostgreSQL database. A SQLite file belongs to one process with one relay,
  // so there the second relay does not run and the test checks that one drains everything once.
  const bool replicas = GetParam() == Backend::kPostgres;
  constexpr int kRows = 300;
  for (int i = 0; i < kRows / 10; ++i) Write("agg-" + std::to_string(i), 10);
  auto db2 = storage::OpenDatabase(url_);
  ASSERT_TRUE(db2.ok());
  prometheus::Registry registry2;
  OutboxRelay a(*db_, Options(), registry_);
  OutboxRelay b(**db2, Options(), registry2);
  std::atomic<int> total{0};
  auto drain = [&](OutboxRelay& relay) {
    for (int i = 0; i < 40 && total.load() < kRows; ++i) {
      auto n = relay.PublishOnce();
      ASSERT_TRUE(n.ok()) << n.status();
      total += *n;
    }
  };
  std::thread ta([&] { drain(a); });
  std::thread tb([&] {
    if (replicas) drain(b);
  });
  ta.join();
  tb.join();
  EXPECT_EQ(total.load(), kRows);
  auto records = itsm::testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, kRows);
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->size(), static_cast<size_t>(kRows));
}

TEST_P(OutboxRelayTest, BackgroundThreadPublishesAfterWake) {
  OutboxRelay relay(*db_, Options(), registry_);
  ASSERT_TRUE(relay.Start().ok());
  Write("agg", 4);
  relay.Wake();
  auto records = itsm::testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, 4);
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->size(), 4u);
  relay.Stop();
  EXPECT_EQ(Stats().pending, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, OutboxRelayTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return itsm::testing::BackendName(info.param); });

}  // namespace
}  // namespace itsm::outbox
