#include "itsm/events/event_consumer.h"

#include <algorithm>
#include <atomic>
#include <set>

#include "google/protobuf/timestamp.pb.h"
#include "gtest/gtest.h"
#include "itsm/events/kafka_producer.h"
#include "itsm/kafkamock/mock_cluster.h"
#include "itsm/supervisor/child_process.h"

namespace itsm::events {
namespace {

constexpr char kTopic[] = "itsm.consumer-test.v1";

// Tests prove that an event was NOT handled with a sentinel, not a sleep: a marker event (a
// Timestamp with seconds at or above kMarker) published afterwards with the same key as the
// events in question, hence to the same partition (the producer partitions by key). A partition
// is handled in order, so once its marker was handled, whatever was going to be handled before
// it has been.
constexpr int kMarker = 1'000'000;

// The Timestamp seconds an event carries (-1 if it does not decode).
int64_t Seconds(const ConsumedEvent& e) {
  google::protobuf::Timestamp ts;
  return UnpackCloudEvent(e.event, &ts).ok() ? ts.seconds() : -1;
}

class EventConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = kafkamock::MockCluster::Start(1);
    ASSERT_TRUE(cluster.ok());
    cluster_ = std::move(*cluster);
    ASSERT_TRUE(cluster_->CreateTopic(kTopic, 2).ok());
  }

  // Publishes events as the outbox relay does (the shared idempotent producer, keyed by
  // subject); `repeat` sends each event that many times with the same ce_id, each time from a
  // new producer (as a relay would after a crash between delivery and marking).
  void Publish(const std::vector<std::pair<std::string, int>>& key_and_seconds, int repeat = 1) {
    std::vector<CloudEvent> events;
    for (const auto& [key, seconds] : key_and_seconds) {
      google::protobuf::Timestamp ts;
      ts.set_seconds(seconds);
      events.push_back(MakeCloudEvent(ts, "itsm/test", key, absl::Now()));
    }
    for (int r = 0; r < repeat; ++r) {
      auto producer = KafkaProducer::Create({.bootstrap_servers = cluster_->bootstrap_servers()});
      ASSERT_TRUE(producer.ok()) << producer.status();
      auto batch = (*producer)->NewBatch();
      ASSERT_TRUE(batch.ok()) << batch.status();
      for (const auto& e : events) {
        ASSERT_EQ(batch->Produce(kTopic, e.subject, e), RD_KAFKA_RESP_ERR_NO_ERROR);
      }
      for (const auto& d : batch->Wait()) ASSERT_TRUE(d.delivered());
    }
  }

  // Where the event of `key` with `seconds` lies (its partition and offset), found by a consumer
  // of its own: the producer puts a key's events in one partition, in order.
  void PositionOf(const std::string& key, int64_t seconds,
                  std::map<std::pair<std::string, int32_t>, int64_t>* position) {
    absl::Mutex mu;
    std::map<std::pair<std::string, int32_t>, int64_t> found;
    EventConsumer probe(
        Options("probe"),
        [&](const ConsumedEvent& e) {
          absl::MutexLock lock(&mu);
          if (e.key == key && Seconds(e) == seconds) found[{e.topic, e.partition}] = e.offset;
          return absl::OkStatus();
        },
        registry_);
    ASSERT_TRUE(probe.Start().ok());
    ASSERT_TRUE(supervisor::WaitUntil(
                    [&] {
                      absl::MutexLock lock(&mu);
                      return !found.empty();
                    },
                    absl::Seconds(20), key + "'s offset")
                    .ok());
    probe.Stop();
    *position = std::move(found);
  }

  EventConsumer::Options Options(const std::string& group) {
    EventConsumer::Options o;
    o.bootstrap_servers = cluster_->bootstrap_servers();
    o.group_id = group;
    o.topics = {kTopic};
    o.max_retry_backoff = absl::Milliseconds(50);
    return o;
  }

  std::unique_ptr<kafkamock::MockCluster> cluster_;
  prometheus::Registry registry_;
};

TEST_F(EventConsumerTest, HandlesInOrderPerKeyAndSkipsDuplicateIds) {
  Publish({{"a", 1}, {"b", 1}, {"a", 2}, {"b", 2}, {"a", 3}}, /*repeat=*/2);
  // Behind the duplicates, in the partitions of "a" and of "b".
  Publish({{"a", kMarker}, {"b", kMarker}});
  absl::Mutex mu;
  std::map<std::string, std::vector<int64_t>> seen;
  int handled = 0;
  int markers = 0;
  EventConsumer consumer(
      Options("order"),
      [&](const ConsumedEvent& e) {
        google::protobuf::Timestamp ts;
        absl::Status s = UnpackCloudEvent(e.event, &ts);
        if (!s.ok()) return s;
        absl::MutexLock lock(&mu);
        if (ts.seconds() == kMarker) {
          markers++;
        } else {
          seen[e.key].push_back(ts.seconds());
          handled++;
        }
        return absl::OkStatus();
      },
      registry_);
  ASSERT_TRUE(consumer.Start().ok());
  // Every duplicate came before a marker: any that slipped through has been handled by now.
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    absl::MutexLock lock(&mu);
                    return markers == 2;
                  },
                  absl::Seconds(20), "both markers")
                  .ok());
  consumer.Stop();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(handled, 5);
  EXPECT_EQ(seen["a"], (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(seen["b"], (std::vector<int64_t>{1, 2}));
}

// A handler that keeps its positions in a store that cannot answer when the partitions are
// assigned (down, loading its data): the partitions wait, fetching nothing, until it answers,
// and then start at the stored positions — never at the beginning, which would hand the whole
// topic again. The positions are told back to it as events are done.
TEST_F(EventConsumerTest, PositionsThatCannotBeReadYetMakeThePartitionsWaitNotReplay) {
  Publish({{"a", 1}, {"a", 2}, {"a", 3}, {"b", 1}, {"b", 2}});
  absl::Mutex mu;
  int asked = 0;
  bool answering = false;
  std::map<std::pair<std::string, int32_t>, int64_t> stored;  // set below: "a"'s third event
  std::map<std::pair<std::string, int32_t>, int64_t> told;
  std::vector<int64_t> handled;
  EventConsumer::Options options = Options("stored-positions");
  options.start_positions = [&](const std::string& cluster_id,
                                const std::vector<std::pair<std::string, int32_t>>& partitions)
      -> absl::StatusOr<std::map<std::pair<std::string, int32_t>, int64_t>> {
    EXPECT_FALSE(cluster_id.empty());
    EXPECT_FALSE(partitions.empty());
    absl::MutexLock lock(&mu);
    ++asked;
    if (!answering) return absl::UnavailableError("LOADING Redis is loading the dataset");
    return stored;
  };
  options.store_positions = [&](const std::string&,
                                const std::map<std::pair<std::string, int32_t>, int64_t>& next) {
    absl::MutexLock lock(&mu);
    for (const auto& [k, v] : next) told[k] = v;
  };
  EventConsumer consumer(
      options,
      [&](const ConsumedEvent& e) {
        absl::MutexLock lock(&mu);
        handled.push_back(Seconds(e));
        // "a"'s partition's stored position is its third event: the first two never come.
        if (e.key == "a" && Seconds(e) < 3) ADD_FAILURE() << "a/" << Seconds(e) << " handed";
        return absl::OkStatus();
      },
      registry_);
  ASSERT_NO_FATAL_FAILURE(PositionOf("a", 3, &stored));
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    absl::MutexLock lock(&mu);
                    return asked >= 3;
                  },
                  absl::Seconds(20), "asked again while the store cannot answer")
                  .ok());
  {
    absl::MutexLock lock(&mu);
    EXPECT_TRUE(handled.empty()) << "handed events before their positions were known";
    answering = true;
  }
  // "a" from its stored position (its third event only); "b", with no position, from its
  // beginning.
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    absl::MutexLock lock(&mu);
                    return handled.size() == 3;
                  },
                  absl::Seconds(20), "handled from the stored positions")
                  .ok());
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    absl::MutexLock lock(&mu);
                    return told.contains(stored.begin()->first);
                  },
                  absl::Seconds(20), "positions told")
                  .ok());
  consumer.Stop();
  absl::MutexLock lock(&mu);
  std::sort(handled.begin(), handled.end());
  EXPECT_EQ(handled, (std::vector<int64_t>{1, 2, 3}));  // a/3, b/1, b/2
  EXPECT_GT(told[stored.begin()->first], stored.begin()->second);
}

// Where a partition with a stored position ends cannot be asked when it is assigned (the broker
// refuses the offset lookups, as while it elects leaders): the partition waits and is asked
// again, never replayed from its beginning.
TEST_F(EventConsumerTest, APartitionWhoseEndCannotBeAskedWaitsInsteadOfReplaying) {
  Publish({{"a", 1}, {"a", 2}, {"a", 3}});
  absl::Mutex mu;
  std::map<std::pair<std::string, int32_t>, int64_t> stored;  // "a"'s third event
  std::vector<int64_t> handled;
  ASSERT_NO_FATAL_FAILURE(PositionOf("a", 3, &stored));
  EventConsumer::Options options = Options("end-unknown");
  options.start_positions = [&](const std::string&,
                                const std::vector<std::pair<std::string, int32_t>>&)
      -> absl::StatusOr<std::map<std::pair<std::string, int32_t>, int64_t>> {
    absl::MutexLock lock(&mu);
    return stored;
  };
  options.store_positions = [](const std::string&,
                               const std::map<std::pair<std::string, int32_t>, int64_t>&) {};
  EventConsumer consumer(
      options,
      [&](const ConsumedEvent& e) {
        absl::MutexLock lock(&mu);
        handled.push_back(Seconds(e));
        if (e.key == "a" && Seconds(e) < 3) ADD_FAILURE() << "a/" << Seconds(e) << " replayed";
        return absl::OkStatus();
      },
      registry_);
  cluster_->RefuseNextRequests(kafkamock::MockCluster::Request::kListOffsets, 6,
                               RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  ASSERT_TRUE(consumer.Start().ok());
  Publish({{"a", kMarker}});
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    absl::MutexLock lock(&mu);
                    return std::find(handled.begin(), handled.end(), kMarker) != handled.end();
                  },
                  absl::Seconds(30), "a's marker")
                  .ok());
  consumer.Stop();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(handled, (std::vector<int64_t>{3, kMarker}));
}

TEST_F(EventConsumerTest, TransientFailureIsRetriedAndCommittedOnlyAfterSuccess) {
  Publish({{"k", 1}, {"k", 2}});
  std::atomic<int> calls{0};
  std::atomic<int> succeeded{0};
  {
    EventConsumer consumer(
        Options("retry"),
        [&](const ConsumedEvent&) {
          if (calls++ < 2) return absl::UnavailableError("store down");
          succeeded++;
          return absl::OkStatus();
        },
        registry_);
    ASSERT_TRUE(consumer.Start().ok());
    ASSERT_TRUE(
        supervisor::WaitUntil([&] { return succeeded.load() == 2; }, absl::Seconds(20), "2 ok")
            .ok());
    consumer.Stop();
  }
  // The same group again: offsets were committed after success, so nothing comes back. The
  // marker, behind k3 in k's partition, is the last thing this member handles.
  absl::Mutex mu;
  std::vector<int64_t> again;
  Publish({{"k", 3}, {"k", kMarker}});
  EventConsumer consumer(
      Options("retry"),
      [&](const ConsumedEvent& e) {
        absl::MutexLock lock(&mu);
        again.push_back(Seconds(e));
        return absl::OkStatus();
      },
      registry_);
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    absl::MutexLock lock(&mu);
                    return !again.empty() && again.back() == kMarker;
                  },
                  absl::Seconds(20), "the marker")
                  .ok());
  consumer.Stop();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(again, (std::vector<int64_t>{3, kMarker}));
}

TEST_F(EventConsumerTest, BatchHandlerGetsFetchedEventsTogetherAndFailedOnesAgain) {
  Publish({{"a", 1}, {"b", 1}, {"a", 2}, {"b", 2}, {"a", 3}, {"b", 3}});
  absl::Mutex mu;
  std::map<std::string, std::vector<int64_t>> applied;  // per key, in the order applied
  size_t largest_batch = 0;
  bool failed_once = false;
  {
    EventConsumer consumer(
        Options("batch"),
        [&](const std::vector<ConsumedEvent>& batch) {
          absl::MutexLock lock(&mu);
          largest_batch = std::max(largest_batch, batch.size());
          std::vector<absl::Status> out;
          std::set<std::string> blocked;  // keys with an earlier failure in this batch
          for (const ConsumedEvent& e : batch) {
            google::protobuf::Timestamp ts;
            EXPECT_TRUE(UnpackCloudEvent(e.event, &ts).ok());
            if (blocked.contains(e.key)) {
              out.push_back(absl::AbortedError("earlier event of the key failed"));
            } else if (e.key == "a" && ts.seconds() == 2 && !failed_once) {
              failed_once = true;
              blocked.insert(e.key);
              out.push_back(absl::UnavailableError("store down"));
            } else {
              applied[e.key].push_back(ts.seconds());
              out.push_back(absl::OkStatus());
            }
          }
          return out;
        },
        registry_);
    ASSERT_TRUE(consumer.Start().ok());
    ASSERT_TRUE(supervisor::WaitUntil(
                    [&] {
                      absl::MutexLock lock(&mu);
                      return applied["a"].size() + applied["b"].size() >= 6;
                    },
                    absl::Seconds(20), "6 applied")
                    .ok());
    consumer.Stop();
  }
  {
    absl::MutexLock lock(&mu);
    EXPECT_TRUE(failed_once);
    EXPECT_GT(largest_batch, 1u);
    // Each applied once, in order: what succeeded was not handed again.
    EXPECT_EQ(applied["a"], (std::vector<int64_t>{1, 2, 3}));
    EXPECT_EQ(applied["b"], (std::vector<int64_t>{1, 2, 3}));
  }
  // Offsets were stored for all six: the group resumes after them. Markers behind them in the
  // partitions of "a" and "b" bound what could come back.
  Publish({{"c", 1}, {"a", kMarker}, {"b", kMarker}});
  std::vector<std::pair<std::string, int64_t>> again;
  std::set<std::string> markers;
  EventConsumer consumer(
      Options("batch"),
      [&](const std::vector<ConsumedEvent>& batch) {
        absl::MutexLock lock(&mu);
        for (const ConsumedEvent& e : batch) {
          if (Seconds(e) == kMarker) {
            markers.insert(e.key);
          } else {
            again.emplace_back(e.key, Seconds(e));
          }
        }
        return std::vector<absl::Status>(batch.size());
      },
      registry_);
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    absl::MutexLock lock(&mu);
                    return markers.size() == 2 && !again.empty();
                  },
                  absl::Seconds(20), "c1 and both markers")
                  .ok());
  consumer.Stop();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(again, (std::vector<std::pair<std::string, int64_t>>{{"c", 1}}));
}

TEST_F(EventConsumerTest, OffsetsStopAtTheFirstEventNotDoneOfEachPartition) {
  Publish({{"a", 1}, {"b", 1}, {"a", 2}, {"b", 2}, {"a", 3}, {"b", 3}});
  absl::Mutex mu;
  std::map<std::string, std::vector<int64_t>> applied;
  auto handler = [&](bool a2_fails) {
    return [&, a2_fails](const std::vector<ConsumedEvent>& batch) {
      absl::MutexLock lock(&mu);
      std::vector<absl::Status> out;
      bool a_blocked = false;
      for (const ConsumedEvent& e : batch) {
        google::protobuf::Timestamp ts;
        EXPECT_TRUE(UnpackCloudEvent(e.event, &ts).ok());
        if (e.key == "a" && (a_blocked || (a2_fails && ts.seconds() == 2))) {
          a_blocked = true;
          out.push_back(absl::UnavailableError("a2 cannot be stored"));
          continue;
        }
        applied[e.key].push_back(ts.seconds());
        out.push_back(absl::OkStatus());
      }
      return out;
    };
  };
  {
    // a2 never succeeds: the member stops with a1 and the b events done.
    EventConsumer consumer(Options("offsets"), EventConsumer::BatchHandler(handler(true)),
                           registry_);
    ASSERT_TRUE(consumer.Start().ok());
    ASSERT_TRUE(supervisor::WaitUntil(
                    [&] {
                      absl::MutexLock lock(&mu);
                      return applied["a"].size() == 1 && applied["b"].size() == 3;
                    },
                    absl::Seconds(20), "a1 and b done")
                    .ok());
    consumer.Stop();
  }
  auto applied_to = [&](const std::string& key) {
    absl::MutexLock lock(&mu);
    return applied[key];
  };
  {
    absl::MutexLock lock(&mu);
    applied.clear();
  }
  // The same group again: from a2 on in a's partition, nothing before. The marker behind a3 is
  // the last event of a's partition: anything else coming back there comes before it.
  Publish({{"a", kMarker}});
  EventConsumer consumer(Options("offsets"), EventConsumer::BatchHandler(handler(false)),
                         registry_);
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    auto a = applied_to("a");
                    return !a.empty() && a.back() == kMarker;
                  },
                  absl::Seconds(20), "a2, a3 and the marker")
                  .ok());
  consumer.Stop();
  // b's events come back only if they share a's partition behind a2; a1 never does.
  EXPECT_EQ(applied_to("a"), (std::vector<int64_t>{2, 3, kMarker}));
}

TEST_F(EventConsumerTest, AStuckEventHoldsUpOnlyItsPartition) {
  // "stuck" first, then keys spread over both partitions.
  std::vector<std::pair<std::string, int>> events = {{"stuck", 1}};
  for (int k = 0; k < 20; ++k) events.push_back({"k" + std::to_string(k), 1});
  Publish(events);
  absl::Mutex mu;
  std::atomic<bool> stuck{true};
  std::map<int32_t, std::vector<std::string>> applied;  // partition -> keys, in order
  std::set<int64_t> markers;
  int32_t stuck_partition = -1;
  EventConsumer consumer(
      Options("stuck"),
      [&](const ConsumedEvent& e) {
        absl::MutexLock lock(&mu);
        if (e.key == "stuck") {
          stuck_partition = e.partition;
          if (stuck.load()) return absl::UnavailableError("store down for this record");
        }
        if (Seconds(e) >= kMarker) {
          markers.insert(Seconds(e));
        } else {
          applied[e.partition].push_back(e.key);
        }
        return absl::OkStatus();
      },
      registry_);
  ASSERT_TRUE(consumer.Start().ok());
  auto count = [&](bool in_stuck_partition) {
    absl::MutexLock lock(&mu);
    size_t n = 0;
    for (const auto& [p, keys] : applied) {
      if ((p == stuck_partition) == in_stuck_partition) n += keys.size();
    }
    return n;
  };
  auto marker_seen = [&](int64_t marker) {
    absl::MutexLock lock(&mu);
    return markers.contains(marker);
  };
  // The other partition is handled completely while "stuck" keeps failing: a marker published
  // with the key of one of its events, so behind all of them, is handled...
  ASSERT_TRUE(supervisor::WaitUntil([&] { return count(false) > 0; }, absl::Seconds(20),
                                    "the other partition handled")
                  .ok());
  std::string other_key;
  {
    absl::MutexLock lock(&mu);
    for (const auto& [p, keys] : applied) {
      if (p != stuck_partition) other_key = keys.front();
    }
  }
  Publish({{other_key, kMarker}});
  ASSERT_TRUE(supervisor::WaitUntil([&] { return marker_seen(kMarker); }, absl::Seconds(20),
                                    "the other partition's marker")
                  .ok());
  const size_t others = count(false);
  EXPECT_EQ(count(true), 0u) << "events behind the stuck one were handled";
  // ... and still takes new events (some of these ten land on it), up to a second marker.
  std::vector<std::pair<std::string, int>> late;
  for (int k = 0; k < 10; ++k) late.push_back({"late" + std::to_string(k), 1});
  late.push_back({other_key, kMarker + 1});
  Publish(late);
  ASSERT_TRUE(supervisor::WaitUntil([&] { return marker_seen(kMarker + 1); }, absl::Seconds(20),
                                    "new events of the other partition handled")
                  .ok());
  EXPECT_GT(count(false), others);
  EXPECT_EQ(count(true), 0u);
  // Once the record can be stored, its partition follows, in order.
  stuck.store(false);
  ASSERT_TRUE(supervisor::WaitUntil([&] { return count(true) + count(false) == 31; },
                                    absl::Seconds(20), "everything handled")
                  .ok());
  consumer.Stop();
  absl::MutexLock lock(&mu);
  // The proof for the stuck partition is its order: a marker there would wait behind "stuck"
  // too, but had anything behind "stuck" been handled while it failed, it would come first.
  EXPECT_EQ(applied[stuck_partition].front(), "stuck");
  EXPECT_GE(others, 1u);
}

// A partition paused while its failing event waits for a retry, revoked by a rebalance (a
// member joins) and given back (it leaves), is fetched again: librdkafka keeps a pause across
// an unassign and an assign, and the backlog that would have resumed it went with the revoke.
TEST_F(EventConsumerTest, APartitionPausedAcrossARebalanceIsFetchedAgain) {
  std::vector<std::pair<std::string, int>> events;
  for (int k = 0; k < 10; ++k) events.push_back({"k" + std::to_string(k), 1});
  Publish(events);
  std::atomic<bool> store_up{false};
  std::atomic<int> failed{0};
  absl::Mutex mu;
  std::set<std::string> handled;
  EventConsumer::Options slow_retries = Options("paused");
  slow_retries.max_retry_backoff = absl::Seconds(30);  // paused for the whole rebalance
  EventConsumer first(
      slow_retries,
      [&](const ConsumedEvent& e) {
        if (!store_up.load()) {
          failed++;
          return absl::UnavailableError("store down");
        }
        absl::MutexLock lock(&mu);
        handled.insert(e.key);
        return absl::OkStatus();
      },
      registry_);
  ASSERT_TRUE(first.Start().ok());
  ASSERT_TRUE(
      supervisor::WaitUntil([&] { return failed.load() >= 2; }, absl::Seconds(20), "failures")
          .ok());
  {
    // Joins (every partition is revoked from the first member, one given back), then leaves
    // (both go back to the first). It handles nothing: its events come again to the first.
    EventConsumer second(
        Options("paused"), [](const ConsumedEvent&) { return absl::UnavailableError("not me"); },
        registry_);
    ASSERT_TRUE(second.Start().ok());
    absl::SleepFor(absl::Seconds(3));  // the group's rebalance, not a result being waited for
    second.Stop();
  }
  store_up.store(true);
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    absl::MutexLock lock(&mu);
                    return handled.size() == events.size();
                  },
                  absl::Seconds(25), "every event handled after the rebalances")
                  .ok());
  first.Stop();
}

// The sum of itsm_consumer_lag_messages of a group (-1: no series yet).
double GroupLag(prometheus::Registry& registry, const std::string& group) {
  double sum = -1;
  for (const auto& family : registry.Collect()) {
    if (family.name != "itsm_consumer_lag_messages") continue;
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "group" && label.value == group)
          sum = std::max(sum, 0.0) + metric.gauge.value;
      }
    }
  }
  return sum;
}

TEST_F(EventConsumerTest, LagCountsTheMessagesNotYetHandled) {
  Publish({{"a", 1}, {"b", 1}, {"a", 2}, {"c", 1}, {"a", 3}});
  std::atomic<bool> store_down{true};
  std::atomic<int> ok{0};
  EventConsumer consumer(
      Options("lag"),
      [&](const ConsumedEvent&) {
        if (store_down.load()) return absl::UnavailableError("store down");
        ok++;
        return absl::OkStatus();
      },
      registry_);
  ASSERT_TRUE(consumer.Start().ok());
  // Stuck on the first event of a partition: everything fetched is lag.
  EXPECT_TRUE(supervisor::WaitUntil([&] { return GroupLag(registry_, "lag") >= 1; },
                                    absl::Seconds(20), "lag shows")
                  .ok());
  store_down.store(false);
  ASSERT_TRUE(
      supervisor::WaitUntil([&] { return ok.load() == 5; }, absl::Seconds(20), "5 ok").ok());
  EXPECT_TRUE(supervisor::WaitUntil([&] { return GroupLag(registry_, "lag") == 0; },
                                    absl::Seconds(20), "lag back to 0")
                  .ok());
  consumer.Stop();
}

// Issue 12, finding 5: a partition waiting on a failed event stopped fetching, and its lag kept
// the watermark of its last fetch: events arriving meanwhile did not count.
TEST_F(EventConsumerTest, LagCountsEventsArrivingWhileAPartitionWaits) {
  Publish({{"a", 1}});
  std::atomic<bool> store_down{true};
  std::atomic<int> ok{0};
  EventConsumer consumer(
      Options("lag-waiting"),
      [&](const ConsumedEvent&) {
        if (store_down.load()) return absl::UnavailableError("store down");
        ok++;
        return absl::OkStatus();
      },
      registry_);
  ASSERT_TRUE(consumer.Start().ok());
  // Both partitions' positions become known: the busy one's at its first event, the idle one's
  // at the end of the partition (nothing to fetch there).
  ASSERT_TRUE(supervisor::WaitUntil(
                  [&] {
                    return consumer.Applied(kTopic, 0).has_value() &&
                           consumer.Applied(kTopic, 1).has_value();
                  },
                  absl::Seconds(20), "positions known")
                  .ok());
  EXPECT_EQ(*consumer.Applied(kTopic, 0) + *consumer.Applied(kTopic, 1), 0);
  EXPECT_TRUE(supervisor::WaitUntil([&] { return GroupLag(registry_, "lag-waiting") == 1; },
                                    absl::Seconds(20), "lag shows")
                  .ok());
  Publish({{"a", 2}, {"a", 3}, {"a", 4}});  // same key: the waiting partition
  EXPECT_TRUE(supervisor::WaitUntil([&] { return GroupLag(registry_, "lag-waiting") == 4; },
                                    absl::Seconds(20), "events arriving while waiting count")
                  .ok());
  int64_t high = 0;
  for (int32_t p : {0, 1}) {
    auto h = consumer.QueryHighWatermark(kTopic, p, absl::Seconds(5));
    ASSERT_TRUE(h.ok()) << h.status();
    high += *h;
  }
  EXPECT_EQ(high, 4);
  store_down.store(false);
  ASSERT_TRUE(
      supervisor::WaitUntil([&] { return ok.load() == 4; }, absl::Seconds(20), "4 ok").ok());
  EXPECT_TRUE(supervisor::WaitUntil(
                  [&] { return *consumer.Applied(kTopic, 0) + *consumer.Applied(kTopic, 1) == 4; },
                  absl::Seconds(20), "all applied")
                  .ok());
  EXPECT_TRUE(supervisor::WaitUntil([&] { return GroupLag(registry_, "lag-waiting") == 0; },
                                    absl::Seconds(20), "lag back to 0")
                  .ok());
  consumer.Stop();
  EXPECT_FALSE(consumer.Applied(kTopic, 0).has_value());
}

TEST_F(EventConsumerTest, UnprocessableEventIsSkippedNotRetriedForever) {
  Publish({{"k", 1}, {"k", 2}});
  std::atomic<int> calls{0};
  std::atomic<int> ok{0};
  EventConsumer consumer(
      Options("reject"),
      [&](const ConsumedEvent&) {
        if (calls++ == 0) return absl::InvalidArgumentError("bad payload");
        ok++;
        return absl::OkStatus();
      },
      registry_);
  ASSERT_TRUE(consumer.Start().ok());
  ASSERT_TRUE(
      supervisor::WaitUntil([&] { return ok.load() == 1; }, absl::Seconds(20), "1 ok").ok());
  consumer.Stop();
  EXPECT_EQ(calls.load(), 2);
}

}  // namespace
}  // namespace itsm::events
