#include "itsm/outbox/outbox_relay.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "google/protobuf/timestamp.pb.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "itsm/kafkamock/mock_cluster.h"
#include "itsm/outbox/outbox.h"
#include "itsm/storage/group_commit.h"
#include "itsm/storage/migrations.h"
#include "itsm/supervisor/child_process.h"
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

  // Writes `n` events for aggregate `key` in one transaction (of `db`, else the fixture's).
  void Write(const std::string& key, int n, bool commit = true, storage::Database* db = nullptr) {
    auto txn = (db ? db : db_.get())->Begin(storage::TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok()) << txn.status();
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

  int64_t DeletePublishedBefore(absl::Time before, int limit) {
    auto txn = db_->Begin(storage::TransactionMode::kReadWrite);
    EXPECT_TRUE(txn.ok()) << txn.status();
    if (!txn.ok()) return -1;
    auto deleted = Outbox::DeletePublishedBefore(**txn, before, limit);
    EXPECT_TRUE(deleted.ok()) << deleted.status();
    EXPECT_TRUE((*txn)->Commit().ok());
    return deleted.value_or(-1);
  }

  // Ends the session holding the relay lock, as the server does when the leader's process dies.
  void EndLeaderSession() {
    auto txn = db_->Begin(storage::TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    auto ended = (*txn)->Query(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_locks"
        " WHERE locktype = 'advisory' AND objid = 7318030 AND granted AND database ="
        " (SELECT oid FROM pg_database WHERE datname = current_database())");
    ASSERT_TRUE(ended.ok()) << ended.status();
    ASSERT_EQ(ended->size(), 1u);
    ASSERT_TRUE((*txn)->Commit().ok());
  }

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
  relay.Stop();  // the service restarts with the limit raised (and hands over the relay lock)
  OutboxRelay raised(*db_, Options(), registry_);
  ASSERT_EQ(*raised.PublishOnce(), 1);
  EXPECT_EQ(Stats().pending, 0);
}

// The broker's size limit may count a whole batch: a batch refused as too large is sent again
// one event at a time, and nothing is set aside when each fits alone.
TEST_P(OutboxRelayTest, ABatchRefusedAsTooLargeIsSentAgainOneEventAtATime) {
  Write("k", 4);  // one key: one partition, one produce request
  cluster_->RefuseNextRequests(kafkamock::MockCluster::Request::kProduce, 1,
                               RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  OutboxRelay relay(*db_, Options(), registry_);
  int published = 0;
  for (int round = 0; round < 10 && published < 4; ++round) {
    auto n = relay.PublishOnce();
    ASSERT_TRUE(n.ok()) << n.status();
    published += *n;
  }
  EXPECT_EQ(published, 4);
  EXPECT_EQ(Stats().pending, 0);
  EXPECT_EQ(Stats().dead_letters, 0);
  auto records = itsm::testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, 4);
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(records->size(), 4u);
  relay.Stop();
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
  const absl::Time before = absl::Now();
  Write("agg", 2);
  const absl::Time after = absl::Now();
  absl::SleepFor(absl::Milliseconds(20));  // published later than written, to the millisecond
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
  std::map<std::string, std::set<int64_t>> stamps;
  for (const auto& r : *records) {
    ids.insert(r.Header("ce_id"));
    stamps[r.Header("ce_id")].insert(r.timestamp_ms);
  }
  for (const auto& id : ids) EXPECT_EQ(ids.count(id), 2u) << id;
  // Each copy says when the event was written, not when it was sent: a consumer can tell an
  // old event published again from a new one (webhook subscriptions, decision 305).
  for (const auto& [id, times] : stamps) {
    ASSERT_EQ(times.size(), 1u) << id;
    EXPECT_GE(*times.begin(), absl::ToUnixMillis(before)) << id;
    EXPECT_LE(*times.begin(), absl::ToUnixMillis(after)) << id;
  }
}

// A re-published row's publish delay counts from its re-publish, not from its writing (found from
// outside: after a re-publish, itsm_outbox_publish_delay_seconds said every event had waited for
// hours, and the dashboard's p99 with it).
TEST_P(OutboxRelayTest, ARepublishedRowsDelayCountsFromTheRepublish) {
  Write("agg", 2);
  OutboxRelay relay(*db_, Options(), registry_);
  ASSERT_EQ(*relay.PublishOnce(), 2);
  {  // written ten minutes ago
    auto txn = db_->Begin(storage::TransactionMode::kReadWrite);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(
        (*txn)->Execute("UPDATE outbox SET created_at_us = created_at_us - 600000000", {}).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  auto delay_sum = [&] {
    for (const auto& family : registry_.Collect()) {
      if (family.name == "itsm_outbox_publish_delay_seconds") {
        return family.metric[0].histogram.sample_sum;
      }
    }
    return -1.0;
  };
  const double before = delay_sum();
  auto queued = Outbox::Republish(*db_, absl::Now() - absl::Hours(1), absl::Now(), "");
  ASSERT_TRUE(queued.ok()) << queued.status();
  ASSERT_EQ(*queued, 2);
  ASSERT_EQ(*relay.PublishOnce(), 2);
  EXPECT_LT(delay_sum() - before, 60.0);
}

TEST_P(OutboxRelayTest, RetentionDeletesOnlyOldPublishedRows) {
  Write("agg", 3);
  OutboxRelay relay(*db_, Options(), registry_);
  ASSERT_EQ(*relay.PublishOnce(), 3);
  Write("agg", 1);  // pending: never deleted
  EXPECT_EQ(DeletePublishedBefore(absl::Now() - absl::Hours(1), 100), 0);
  EXPECT_EQ(DeletePublishedBefore(absl::Now() + absl::Seconds(1), 100), 3);
  EXPECT_EQ(Stats().pending, 1);
  EXPECT_EQ(Stats().published, 0);
}

// A call looks at the oldest `limit` rows only, so that one with nothing to delete never reads
// the whole table under the write lock; a table is emptied batch by batch.
TEST_P(OutboxRelayTest, RetentionLooksAtTheOldestRowsOnly) {
  Write("agg", 5);
  OutboxRelay relay(*db_, Options(), registry_);
  ASSERT_EQ(*relay.PublishOnce(), 5);
  const absl::Time later = absl::Now() + absl::Seconds(1);
  EXPECT_EQ(DeletePublishedBefore(later, 2), 2);
  EXPECT_EQ(DeletePublishedBefore(later, 2), 2);
  EXPECT_EQ(DeletePublishedBefore(later, 2), 1);
  EXPECT_EQ(DeletePublishedBefore(later, 2), 0);
  EXPECT_EQ(Stats().published, 0);
}

TEST_P(OutboxRelayTest, ConcurrentRelaysNeverSendARowTwice) {
  // Replicas share a PostgreSQL database: one leads, the other stands by. A SQLite file belongs
  // to one process with one relay, so there the second relay does not run and the test checks
  // that one drains everything once.
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

double GaugeValue(prometheus::Registry& registry, const std::string& name) {
  for (const auto& family : registry.Collect()) {
    if (family.name == name) return family.metric[0].gauge.value;
  }
  return -1;
}

// While the relay waits for a broker that does not answer, it holds no transaction, no pooled
// connection and no table lock: writers (appending to the outbox on the relay's own one-connection
// pool), a migration's exclusive lock on the outbox and a second replica's relay all go on. The
// probes run over and over for the whole round, so they overlap its wait.
TEST_P(OutboxRelayTest, WaitingForTheBrokerBlocksNoOtherTransaction) {
  const bool postgres = GetParam() == Backend::kPostgres;
  auto shared = storage::OpenDatabase(url_, {.pool_size = 1, .busy_timeout_ms = 1000});
  ASSERT_TRUE(shared.ok()) << shared.status();
  auto db2 = storage::OpenDatabase(url_);
  ASSERT_TRUE(db2.ok());
  RelayOptions waiting = Options();
  waiting.delivery_timeout = absl::Seconds(3);
  OutboxRelay relay(**shared, waiting, registry_);
  prometheus::Registry registry2;
  OutboxRelay standby(**db2, Options(), registry2);
  ASSERT_EQ(*relay.PublishOnce(), 0);  // leads (PostgreSQL) and has its producer: nothing to send
  Write("agg", 3);
  cluster_->SetBrokerDown(1, true);

  std::atomic<bool> round_done{false};
  absl::StatusOr<int> round = 0;
  const absl::Time started = absl::Now();
  std::thread waiter([&] {
    round = relay.PublishOnce();
    round_done.store(true);
  });
  int probes_during_round = 0;
  while (!round_done.load()) {
    const absl::Time probe = absl::Now();
    // A writer on the relay's one-connection pool appends to the outbox.
    Write("writer", 1, /*commit=*/true, shared->get());
    if (postgres) {
      {
        // What a migration of the outbox needs: no snapshot or read may hold the table for
        // long (the relay's own short read may, for a few milliseconds).
        auto txn = db_->Begin(storage::TransactionMode::kReadWrite);
        ASSERT_TRUE(txn.ok());
        ASSERT_TRUE((*txn)->Execute("SET LOCAL lock_timeout = '500ms'").ok());
        EXPECT_TRUE((*txn)->Execute("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE").ok())
            << "the relay holds the outbox while it waits for the broker";
      }  // rolled back: the standby below reads the table
      // Another replica's relay does not wait: it sees the lead taken and answers at once.
      auto n = standby.PublishOnce();
      ASSERT_TRUE(n.ok()) << n.status();
      EXPECT_EQ(*n, 0);
      EXPECT_FALSE(standby.leader());
    }
    EXPECT_LT(absl::Now() - probe, absl::Milliseconds(900)) << "a probe waited";
    if (!round_done.load()) ++probes_during_round;
    absl::SleepFor(absl::Milliseconds(50));  // pacing between probes
  }
  waiter.join();
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_EQ(*round, 0);
  EXPECT_GE(absl::Now() - started, waiting.delivery_timeout);  // it really waited
  EXPECT_GE(probes_during_round, 5);

  // The broker is back: everything, the writer's rows included, goes once, by the leader.
  cluster_->SetBrokerDown(1, false);
  const int64_t rows = Stats().pending;
  int64_t published = 0;
  for (int i = 0; i < 20 && published < rows; ++i) {
    auto n = relay.PublishOnce();
    ASSERT_TRUE(n.ok()) << n.status();
    published += *n;
  }
  EXPECT_EQ(published, rows);
  EXPECT_EQ(Stats().pending, 0);
}

// One replica leads; a standby takes over when the leader's lock session ends (what the server
// does when the leader's process dies), and the old leader learns it and stands by. A stopping
// leader hands the lead over at once.
TEST_P(OutboxRelayTest, AStandbyTakesOverWhenTheLeaderSessionEnds) {
  if (GetParam() == Backend::kSqlite) GTEST_SKIP() << "one process per SQLite file: no replicas";
  auto db2 = storage::OpenDatabase(url_);
  ASSERT_TRUE(db2.ok());
  prometheus::Registry registry2;
  OutboxRelay a(*db_, Options(), registry_);
  OutboxRelay b(**db2, Options(), registry2);
  Write("agg", 2);
  ASSERT_EQ(*a.PublishOnce(), 2);
  EXPECT_TRUE(a.leader());
  EXPECT_EQ(GaugeValue(registry_, "itsm_outbox_relay_leader"), 1);

  Write("agg", 3);
  ASSERT_EQ(*b.PublishOnce(), 0);
  EXPECT_FALSE(b.leader());
  EXPECT_EQ(GaugeValue(registry2, "itsm_outbox_relay_leader"), 0);
  EXPECT_EQ(Stats().pending, 3);

  EndLeaderSession();
  ASSERT_EQ(*b.PublishOnce(), 3);
  EXPECT_TRUE(b.leader());
  ASSERT_EQ(*a.PublishOnce(), 0);
  EXPECT_FALSE(a.leader());
  EXPECT_EQ(GaugeValue(registry_, "itsm_outbox_relay_leader"), 0);

  b.Stop();
  EXPECT_FALSE(b.leader());
  Write("agg", 1);
  ASSERT_EQ(*a.PublishOnce(), 1);
  EXPECT_TRUE(a.leader());

  auto records = itsm::testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, 6);
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(records->size(), 6u);
}

// The leader is a real process killed with SIGKILL: its connection dies with it, the server
// releases the relay lock, and the standby relays from then on. The child is this test binary
// running OutboxRelayChild.RelaysUntilKilled.
TEST_P(OutboxRelayTest, KillDashNineOfTheLeaderHandsTheLeadToAStandby) {
  if (GetParam() == Backend::kSqlite) GTEST_SKIP() << "one process per SQLite file: no replicas";
  itsm::testing::ScratchDir dir;
  Write("before", 2);
  char self[4096];
  const ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
  ASSERT_GT(len, 0);
  auto child = supervisor::ChildProcess::Start(
      {.binary = std::string(self, len),
       .args = {"--gtest_filter=OutboxRelayChild.RelaysUntilKilled"},
       .env = {{"ITSM_OUTBOX_TEST_CHILD_URL", url_},
               {"ITSM_OUTBOX_TEST_CHILD_KAFKA", cluster_->bootstrap_servers()},
               {"ITSM_OUTBOX_TEST_CHILD_READY", dir.File("leading")}},
       .log_file = dir.File("child.log"),
       .user = ""});
  ASSERT_TRUE(child.ok()) << child.status();
  ASSERT_TRUE(supervisor::WaitUntil([&] { return std::filesystem::exists(dir.File("leading")); },
                                    absl::Seconds(30), "the child leads")
                  .ok())
      << supervisor::ReadFile(dir.File("child.log")).value_or("");
  // The child relays: the rows go, and this replica stands by.
  ASSERT_TRUE(supervisor::WaitUntil([&] { return Stats().pending == 0; }, absl::Seconds(20),
                                    "the child published")
                  .ok());
  OutboxRelay standby(*db_, Options(), registry_);
  ASSERT_EQ(*standby.PublishOnce(), 0);
  EXPECT_FALSE(standby.leader());

  (*child)->Kill();
  Write("after", 3);
  int published = 0;
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    auto n = standby.PublishOnce();
                    published += n.ok() ? *n : 0;
                    return published == 3;
                  },
                  absl::Seconds(20), "the standby took over", absl::Milliseconds(100))
                  .ok());
  EXPECT_TRUE(standby.leader());
  EXPECT_EQ(Stats().pending, 0);
  auto records = itsm::testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, 5);
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(records->size(), 5u);
}

// Not a test of its own: the leader process of KillDashNineOfTheLeaderHandsTheLeadToAStandby.
TEST(OutboxRelayChild, RelaysUntilKilled) {
  const char* url = std::getenv("ITSM_OUTBOX_TEST_CHILD_URL");
  if (url == nullptr) GTEST_SKIP() << "run by KillDashNineOfTheLeaderHandsTheLeadToAStandby";
  auto db = storage::OpenDatabase(url);
  ASSERT_TRUE(db.ok()) << db.status();
  prometheus::Registry registry;
  RelayOptions options;
  options.bootstrap_servers = std::getenv("ITSM_OUTBOX_TEST_CHILD_KAFKA");
  OutboxRelay relay(**db, options, registry);
  ASSERT_TRUE(relay.Start().ok());
  ASSERT_TRUE(
      supervisor::WaitUntil([&] { return relay.leader(); }, absl::Seconds(20), "leading").ok());
  ASSERT_TRUE(
      supervisor::WriteFileAtomically(std::getenv("ITSM_OUTBOX_TEST_CHILD_READY"), "1").ok());
  for (;;) absl::SleepFor(absl::Hours(1));  // until SIGKILL
}

// With the service's writer, marks are deferred and a round reads only after the rows earlier
// rounds settled (SQLite): each row still goes exactly once, in order, rows the broker did not
// take are sent again from the first of them, and rows set pending again behind the relay are
// found by a rescan: at once after RepublishEvents, else within rescan_interval.
TEST_P(OutboxRelayTest, WithTheWriterEachRowGoesOnceAndRowsSetPendingAgainAreFound) {
  storage::GroupCommitter writer(*db_, {});
  RelayOptions options = Options();
  options.rescan_interval = absl::InfiniteDuration();
  OutboxRelay relay(*db_, options, registry_, &writer);
  Write("agg-1", 3);
  ASSERT_EQ(*relay.PublishOnce(), 3);
  ASSERT_EQ(*relay.PublishOnce(), 0);  // delivered, mark not yet committed: not sent again
  Write("agg-1", 2);
  ASSERT_EQ(*relay.PublishOnce(), 2);

  cluster_->SetBrokerDown(1, true);
  Write("agg-2", 2);
  ASSERT_EQ(*relay.PublishOnce(), 0);
  cluster_->SetBrokerDown(1, false);
  int published = 0;
  for (int round = 0; round < 10 && published < 2; ++round) published += *relay.PublishOnce();
  ASSERT_EQ(published, 2);
  auto records = itsm::testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, 7);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 7u);
  std::set<std::string> ids;
  for (const auto& r : *records) ids.insert(r.Header("ce_id"));
  EXPECT_EQ(ids.size(), 7u);

  relay.Stop();  // commits the deferred marks
  EXPECT_EQ(Stats().pending, 0);
  auto queued = Outbox::Republish(*db_, absl::InfinitePast(), absl::Now() + absl::Hours(1), "");
  ASSERT_EQ(*queued, 7);
  relay.Rescan();
  ASSERT_EQ(*relay.PublishOnce(), 7);
}

TEST_P(OutboxRelayTest, WithTheWriterARescanFindsRowsSetPendingByHand) {
  storage::GroupCommitter writer(*db_, {});
  RelayOptions options = Options();
  options.rescan_interval = absl::Milliseconds(1);
  OutboxRelay relay(*db_, options, registry_, &writer);
  Write("agg", 3);
  ASSERT_EQ(*relay.PublishOnce(), 3);
  relay.Stop();
  // An operator's UPDATE, not RepublishEvents: the relay is not told.
  auto txn = db_->Begin(storage::TransactionMode::kReadWrite);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)->Execute("UPDATE outbox SET published_at_us = NULL", {}).ok());
  ASSERT_TRUE((*txn)->Commit().ok());
  absl::SleepFor(absl::Milliseconds(5));  // past rescan_interval
  ASSERT_EQ(*relay.PublishOnce(), 3);
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
